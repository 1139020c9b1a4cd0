package dev.kindred.clinical.recommend;

import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.clinical.outcomes.MeasurementRule;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.outcomes.OutcomeSummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the outcomes of a patient's nearest neighbours into treatment recommendations. Per treatment
 * (system|code): the neighbours treated, those whose outcome is known, those improved, the improvement rate
 * with each neighbour weighted by its similarity, and the Wilson lower bound (95 %) of that rate over the
 * effective number of neighbours (Kish: (Σw)² / Σw²), so a rate seen in few or in dissimilar patients counts
 * for less. Treatments with fewer than {@code minSupport} neighbours of known outcome are not recommended.
 * Ranked by the bound, treatments addressing the trigger first.
 */
public final class Recommender {

    /**
     * @param minSupport least number of neighbours with a known outcome for a recommendation
     * @param maxRecommendations recommendations per alert
     */
    public record Settings(int minSupport, int maxRecommendations) {
        public static final Settings DEFAULT = new Settings(3, 5);

        public Settings {
            if (minSupport < 1 || maxRecommendations < 1) {
                throw new IllegalArgumentException("minSupport and maxRecommendations must be at least 1");
            }
        }
    }

    /** One neighbour's evidence: its similarity to the patient and its outcome summary. */
    public record Evidence(String patientKey, double similarity, List<TreatmentOutcome> outcomes) {
    }

    /** What the alert is about, so treatments that address it rank first. */
    public record Focus(String featureId, String diagnosis) {
        public static final Focus NONE = new Focus(null, null);
    }

    /** Aggregated evidence for one treatment, before the support filter and ranking. */
    public record Tally(String key, String system, String code, String display, int treated, int withOutcome,
            int improved, double weightedRate, double wilsonLowerBound, List<String> evidence, List<String> rules,
            Set<String> reasons) {
    }

    private final OutcomeRules rules;
    private final Settings settings;

    public Recommender(OutcomeRules rules, Settings settings) {
        this.rules = rules;
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Per treatment over the neighbours: counts, the similarity-weighted rate and its Wilson bound. Each
     * neighbour counts once per treatment, so no count exceeds the number of distinct neighbours. A neighbour
     * with outcomes of the treatment for several diagnoses contributes its outcome for the focus diagnosis
     * when it has one, else its latest decided one.
     */
    public static Map<String, Tally> tally(List<Evidence> neighbours, Focus focus) {
        Map<String, Acc> acc = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        boolean anyPositive = neighbours.stream().anyMatch(n -> n.similarity() > 0);
        for (Evidence n : neighbours) {
            if (!seen.add(n.patientKey())) {
                continue;
            }
            double w = anyPositive ? Math.max(0, n.similarity()) : 1.0;
            // One pass over the neighbour's outcomes: the chosen one per treatment and every reason it was given for.
            Map<String, TreatmentOutcome> chosen = new LinkedHashMap<>();
            Map<String, Set<String>> reasons = new HashMap<>();
            for (TreatmentOutcome o : n.outcomes()) {
                String key = OutcomeRules.key(o.getSystem(), o.getCode());
                chosen.merge(key, o, (a, b) -> better(a, b, focus));
                reasons.computeIfAbsent(key, k -> new LinkedHashSet<>()).addAll(o.getReasons());
            }
            for (Map.Entry<String, TreatmentOutcome> e : chosen.entrySet()) {
                TreatmentOutcome o = e.getValue();
                Acc a = acc.computeIfAbsent(e.getKey(), k -> new Acc(o));
                a.treated++;
                a.reasons.addAll(reasons.get(e.getKey()));
                if (o.getStatus() == OutcomeStatus.UNKNOWN) {
                    continue;
                }
                a.withOutcome++;
                a.weight += w;
                a.weight2 += w * w;
                a.evidence.add(n.patientKey());
                if (o.getRule() != null) {
                    a.rules.add(o.getRule());
                }
                if (o.getStatus() == OutcomeStatus.IMPROVED) {
                    a.improved++;
                    a.weightImproved += w;
                }
            }
        }
        Map<String, Tally> out = new LinkedHashMap<>();
        acc.forEach((key, a) -> {
            double rate;
            double effective;
            if (a.weight > 0) {
                rate = a.weightImproved / a.weight;
                effective = a.weight * a.weight / a.weight2;
            } else {
                rate = a.withOutcome == 0 ? 0 : (double) a.improved / a.withOutcome;
                effective = a.withOutcome;
            }
            out.put(key, new Tally(key, a.system, a.code, a.display, a.treated, a.withOutcome, a.improved, rate,
                    Wilson.lowerBound(rate, effective, Wilson.Z95), List.copyOf(a.evidence), List.copyOf(a.rules),
                    Set.copyOf(a.reasons)));
        });
        return out;
    }

    /** Of two outcomes of one treatment for one neighbour, the one that speaks to the focus, else the later decided. */
    private static TreatmentOutcome better(TreatmentOutcome a, TreatmentOutcome b, Focus focus) {
        if (focus.diagnosis() != null) {
            boolean fa = a.getReasons().contains(focus.diagnosis());
            boolean fb = b.getReasons().contains(focus.diagnosis());
            if (fa != fb) {
                return fa ? a : b;
            }
        }
        boolean da = a.getStatus() != OutcomeStatus.UNKNOWN;
        boolean db = b.getStatus() != OutcomeStatus.UNKNOWN;
        if (da != db) {
            return da ? a : b;
        }
        Instant ta = a.getDecidedAt() != null ? a.getDecidedAt() : a.getStartedAt();
        Instant tb = b.getDecidedAt() != null ? b.getDecidedAt() : b.getStartedAt();
        return tb.isAfter(ta) ? b : a;
    }

    private static final class Acc {
        final String system;
        final String code;
        final String display;
        int treated;
        int withOutcome;
        int improved;
        double weight;
        double weight2;
        double weightImproved;
        final List<String> evidence = new ArrayList<>();
        final Set<String> rules = new LinkedHashSet<>();
        final Set<String> reasons = new LinkedHashSet<>();

        Acc(TreatmentOutcome o) {
            this.system = o.getSystem();
            this.code = o.getCode();
            this.display = o.getDisplay();
        }
    }

    /**
     * The recommendations for a patient: treatments with at least {@code minSupport} neighbours of known
     * outcome, those addressing the focus first, then by Wilson bound, rate and support.
     *
     * @param own the patient's state, for "already receiving" (may be null)
     * @param now when the alert happens
     */
    public List<TreatmentRecommendation> recommend(List<Evidence> neighbours, PatientState own, Instant now, Focus focus) {
        List<TreatmentRecommendation> out = new ArrayList<>();
        for (Tally t : tally(neighbours, focus).values()) {
            if (t.withOutcome() < settings.minSupport()) {
                continue;
            }
            out.add(TreatmentRecommendation.newBuilder()
                    .setCode(t.code())
                    .setSystem(t.system())
                    .setDisplay(t.display())
                    .setNeighboursTreated(t.treated())
                    .setNeighboursImproved(t.improved())
                    .setNeighboursWithOutcome(t.withOutcome())
                    .setWeightedImprovementRate(t.weightedRate())
                    .setWilsonLowerBound(t.wilsonLowerBound())
                    .setAlreadyReceiving(own != null
                            && OutcomeSummary.receiving(own, t.key(), now, rules.receivingWindow()))
                    .setEvidenceNeighbours(t.evidence())
                    .setOutcomeRules(t.rules())
                    .setMatchesTrigger(matches(t, focus))
                    .build());
        }
        out.sort(Comparator.comparing((TreatmentRecommendation r) -> !r.getMatchesTrigger())
                .thenComparing(Comparator.comparingDouble(TreatmentRecommendation::getWilsonLowerBound).reversed())
                .thenComparing(Comparator.comparingDouble(TreatmentRecommendation::getWeightedImprovementRate).reversed())
                .thenComparing(Comparator.comparingInt(TreatmentRecommendation::getNeighboursWithOutcome).reversed())
                .thenComparing(r -> OutcomeRules.key(r.getSystem(), r.getCode())));
        return out.size() > settings.maxRecommendations() ? List.copyOf(out.subList(0, settings.maxRecommendations()))
                : out;
    }

    private boolean matches(Tally t, Focus focus) {
        if (focus.diagnosis() != null && t.reasons().contains(focus.diagnosis())) {
            return true;
        }
        MeasurementRule rule = rules.ruleFor(t.key());
        return focus.featureId() != null && rule != null && rule.addresses(focus.featureId());
    }
}
