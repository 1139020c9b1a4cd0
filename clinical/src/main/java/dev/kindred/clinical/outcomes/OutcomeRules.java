package dev.kindred.clinical.outcomes;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.OutcomeStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The outcome rules: how Kindred decides whether a treatment worked. A data file
 * ({@code outcome-rules.json} in this package, replaceable with {@code kindred.outcomes.rules.path}); its
 * {@code description} says how a course is judged. Treatments are identified as {@code system|code}.
 */
public final class OutcomeRules {
    /** Classpath location of the rules shipped with Kindred. */
    public static final String DEFAULT_RESOURCE = "/dev/kindred/clinical/outcomes/outcome-rules.json";
    /** History kept beyond the longest rule, so a window that closes a little late still finds its values. */
    static final Duration RETENTION_MARGIN = Duration.ofDays(60);

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String version;
    private final List<MeasurementRule> rules;
    private final Map<String, MeasurementRule> ruleByTreatment = new HashMap<>();
    private final Map<String, OutcomeStatus> procedureOutcomes;
    private final Duration defaultCourseGap;
    private final Duration receivingWindow;
    private final Duration grace;
    private final Duration resolvedWindow;
    private final Duration resolvedCourseGap;
    private final Set<String> resolvedExcludedTreatments;
    private final Set<String> resolvedExcludedDiagnoses;
    private final List<Pattern> notTreatments;
    private final Map<String, Duration> retentionByFeature = new HashMap<>();
    /** Whether each treatment name seen matches a not-a-treatment pattern, bounded against unusual inputs. */
    private final Map<String, Boolean> notTreatmentByDisplay = new ConcurrentHashMap<>();
    private static final int MAX_REMEMBERED_DISPLAYS = 50_000;

    public OutcomeRules(String version, List<MeasurementRule> rules, Map<String, OutcomeStatus> procedureOutcomes,
            Duration defaultCourseGap, Duration receivingWindow, Duration grace, Duration resolvedWindow, Duration resolvedCourseGap,
            Set<String> resolvedExcludedTreatments, Set<String> resolvedExcludedDiagnoses, List<Pattern> notTreatments) {
        this.version = Objects.requireNonNull(version, "rules version");
        this.rules = List.copyOf(rules);
        this.procedureOutcomes = Map.copyOf(procedureOutcomes);
        this.defaultCourseGap = defaultCourseGap;
        this.receivingWindow = receivingWindow;
        this.grace = grace;
        this.resolvedWindow = resolvedWindow;
        this.resolvedCourseGap = resolvedCourseGap;
        this.resolvedExcludedTreatments = Set.copyOf(resolvedExcludedTreatments);
        this.resolvedExcludedDiagnoses = Set.copyOf(resolvedExcludedDiagnoses);
        this.notTreatments = List.copyOf(notTreatments);
        Set<String> ids = new HashSet<>();
        for (MeasurementRule r : this.rules) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("outcome rule id " + r.id() + " is listed twice");
            }
            for (String t : r.treatments()) {
                MeasurementRule before = ruleByTreatment.putIfAbsent(t, r);
                if (before != null) {
                    throw new IllegalArgumentException("treatment " + t + " is judged by two rules: " + before.id()
                            + " and " + r.id());
                }
            }
            retentionByFeature.merge(r.feature(), r.lookback().plus(r.window()).plus(RETENTION_MARGIN),
                    (a, b) -> a.compareTo(b) >= 0 ? a : b);
        }
    }

    /** The rules shipped with Kindred. */
    public static OutcomeRules builtIn() {
        try (InputStream in = OutcomeRules.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("built-in outcome rules missing from the classpath: " + DEFAULT_RESOURCE);
            }
            return read(in, DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rules from a file (configuration key kindred.outcomes.rules.path). */
    public static OutcomeRules load(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read outcome rules " + path, e);
        }
    }

    /** Reads rules; {@code origin} names the source in error messages. */
    public static OutcomeRules read(InputStream in, String origin) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("outcome rules " + origin + " are not valid JSON: " + e.getOriginalMessage(), e);
        }
        try {
            return parse(root);
        } catch (RuntimeException e) {
            throw new IOException("outcome rules " + origin + " are not valid: " + e.getMessage(), e);
        }
    }

    private static OutcomeRules parse(JsonNode root) {
        String version = text(root, "version");
        if (version == null) {
            throw new IllegalArgumentException("no version");
        }
        JsonNode defaults = root.path("defaults");
        int lookback = defaults.path("lookbackDays").asInt(365);
        int minDelay = defaults.path("minDelayDays").asInt(14);
        int window = defaults.path("windowDays").asInt(365);
        int gap = defaults.path("courseGapDays").asInt(400);
        boolean atGoal = defaults.path("atGoalImproves").asBoolean(false);
        int grace = defaults.path("graceDays").asInt(0);
        int receiving = defaults.path("receivingDays").asInt(400);

        Map<String, OutcomeStatus> procedureOutcomes = new LinkedHashMap<>();
        root.path("procedureOutcomes").fields().forEachRemaining(e ->
                procedureOutcomes.put(e.getKey(), OutcomeStatus.valueOf(e.getValue().asText())));

        JsonNode resolved = root.path("diagnosisResolved");
        List<MeasurementRule> rules = new ArrayList<>();
        for (JsonNode r : root.path("rules")) {
            String id = text(r, "id");
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("a rule without an id");
            }
            String feature = text(r, "feature");
            if (feature == null) {
                throw new IllegalArgumentException("rule " + id + " names no feature");
            }
            List<String> treatments = new ArrayList<>();
            r.path("treatments").forEach(t -> treatments.add(treatmentKey(t.asText())));
            if (treatments.isEmpty()) {
                throw new IllegalArgumentException("rule " + id + " lists no treatments");
            }
            List<String> alsoFor = new ArrayList<>();
            r.path("alsoFor").forEach(t -> alsoFor.add(t.asText()));
            JsonNode g = r.path("goal");
            MeasurementRule.Goal goal = g.isObject()
                    ? new MeasurementRule.Goal(number(g, "low"), number(g, "high")) : null;
            rules.add(new MeasurementRule(id, text(r, "description"), feature,
                    MeasurementRule.Direction.parse(r.path("direction").asText("")), r.path("threshold").asDouble(0),
                    r.path("relative").asBoolean(false), goal, r.path("atGoalImproves").asBoolean(atGoal), treatments,
                    alsoFor,
                    Duration.ofDays(r.path("lookbackDays").asInt(lookback)),
                    Duration.ofDays(r.path("minDelayDays").asInt(minDelay)),
                    Duration.ofDays(r.path("windowDays").asInt(window)),
                    Duration.ofDays(r.path("courseGapDays").asInt(gap))));
        }
        Set<String> excludedTreatments = new HashSet<>();
        resolved.path("excludeTreatments").forEach(t -> excludedTreatments.add(treatmentKey(t.asText())));
        List<Pattern> notTreatments = new ArrayList<>();
        resolved.path("excludeTreatmentsMatching").forEach(t ->
                notTreatments.add(Pattern.compile(t.asText(), Pattern.CASE_INSENSITIVE)));
        Set<String> excludedDiagnoses = new HashSet<>();
        resolved.path("excludeDiagnoses").forEach(t -> excludedDiagnoses.add(treatmentKey(t.asText())));
        return new OutcomeRules(version, rules, procedureOutcomes, Duration.ofDays(gap), Duration.ofDays(receiving),
                Duration.ofDays(grace),
                Duration.ofDays(resolved.path("windowDays").asInt(90)),
                Duration.ofDays(resolved.path("courseGapDays").asInt(30)), excludedTreatments, excludedDiagnoses,
                notTreatments);
    }

    private static String treatmentKey(String text) {
        int bar = text.indexOf('|');
        if (bar <= 0 || bar == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not system|code");
        }
        return text;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Double number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asDouble();
    }

    /** The key of a treatment or diagnosis code: {@code system|code}. */
    public static String key(String system, String code) {
        return system + "|" + code;
    }

    public String version() {
        return version;
    }

    public List<MeasurementRule> rules() {
        return rules;
    }

    /** The measurement rule judging a treatment, or null. */
    public MeasurementRule ruleFor(String treatmentKey) {
        return ruleByTreatment.get(treatmentKey);
    }

    /** The outcome a Procedure.outcome (system|code) decides, or null when the rules do not list it. */
    public OutcomeStatus procedureOutcome(String outcome) {
        return outcome == null ? null : procedureOutcomes.get(outcome);
    }

    /**
     * Whether a treatment without a measurement rule may be judged by its diagnosis being resolved: not when
     * the rules exclude its code, nor when its display matches one of the patterns of procedures that are
     * not treatments (screenings, examinations, tests, imaging, education, referrals).
     */
    public boolean judgedByResolution(String treatmentKey, String display) {
        if (ruleByTreatment.get(treatmentKey) != null || resolvedExcludedTreatments.contains(treatmentKey)) {
            return false;
        }
        // Asked for every open course on every event; a hospital has few distinct treatment names, so the
        // patterns run once per name (the profile showed them at a quarter of the stream thread's time).
        if (display == null) {
            return true;
        }
        Boolean known = notTreatmentByDisplay.get(display);
        if (known == null) {
            known = namesNoTreatment(display);
            if (notTreatmentByDisplay.size() < MAX_REMEMBERED_DISPLAYS) {
                notTreatmentByDisplay.put(display, known);
            }
        }
        return !known;
    }

    private boolean namesNoTreatment(String display) {
        for (Pattern p : notTreatments) {
            if (p.matcher(display).find()) {
                return true;
            }
        }
        return false;
    }

    /** Whether a diagnosis (system|code) may judge a treatment by being resolved. */
    public boolean resolutionCounts(String diagnosisKey) {
        return !resolvedExcludedDiagnoses.contains(diagnosisKey);
    }

    /** Window after which a treatment judged by resolution is decided. */
    public Duration resolvedWindow() {
        return resolvedWindow;
    }

    /** How far apart two orders of a treatment may start and still be one course. */
    public Duration courseGap(String treatmentKey) {
        MeasurementRule rule = ruleByTreatment.get(treatmentKey);
        if (rule != null) {
            return rule.courseGap();
        }
        return resolvedExcludedTreatments.contains(treatmentKey) ? defaultCourseGap : resolvedCourseGap;
    }

    /**
     * How long after its latest order (when it names no end) a patient counts as still receiving a treatment:
     * about the time a renewal would be due.
     */
    public Duration receivingWindow() {
        return receivingWindow;
    }

    /**
     * How long past the end of its window stream time must be before a course is judged: values that arrive
     * a little late (out of event-time order, from another topic) still count. The decision is dated at the
     * end of the window all the same.
     */
    public Duration grace() {
        return grace;
    }

    /** How much history of a feature the rules need: look-back plus window of the longest rule on it. */
    public Duration retention(String featureId) {
        return retentionByFeature.get(featureId);
    }
}
