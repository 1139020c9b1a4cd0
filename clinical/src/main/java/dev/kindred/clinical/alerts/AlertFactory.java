package dev.kindred.clinical.alerts;

import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.CardSource;
import dev.kindred.avro.CardSuggestion;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.Neighbour;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PatientIndex;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.patient.RangeCheck;
import dev.kindred.clinical.patient.Trigger;
import dev.kindred.clinical.recommend.Recommender;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Comparator;

/**
 * Builds a {@link ClinicalAlert} for a trigger: searches the index for the patient's nearest neighbours
 * (never the patient itself), explains each by the features that brought it closest, aggregates the
 * neighbours' treatment outcomes into recommendations, and writes the card text (summary under 140
 * characters, markdown detail with the evidence, suggestions for the best-supported treatments).
 *
 * <p>Out-of-range values and new diagnoses search the clinical space; a new imaging study searches the
 * image-embedding space when the patient has an embedding, else the imaging descriptor space (the clinical
 * space when neither is indexed yet). The recommendations come from exactly the neighbours the alert lists,
 * so every count can be checked against them.
 */
public final class AlertFactory {
    /** CDS Hooks limits a card summary to 140 characters. */
    public static final int MAX_SUMMARY = 139;
    public static final String SOURCE_LABEL = "Kindred similar-patient analysis";
    static final int SHARED_FEATURES = 3;
    static final int SUGGESTIONS = 3;

    private final FeatureCatalog catalog;
    private final int k;
    private final DistanceMetric metric;
    private final PatientVectorizer vectorizer;
    private final Recommender recommender;
    private final Map<String, DimensionGroups> groupsBySpace = new ConcurrentHashMap<>();

    public AlertFactory(FeatureCatalog catalog, int k, DistanceMetric metric, PatientVectorizer vectorizer,
            Recommender recommender) {
        this.catalog = catalog;
        this.k = k;
        this.metric = metric;
        this.vectorizer = vectorizer;
        this.recommender = recommender;
    }

    /** Same patient, cause and source event give the same id, so a replay does not look like a new alert. */
    public static String alertId(String patientKey, Trigger trigger) {
        ClinicalFact f = trigger.fact();
        String name = String.join("|", patientKey, trigger.type().name(), String.valueOf(f.getFeatureId()),
                f.getCode(), String.valueOf(f.getEffectiveTime().toEpochMilli()),
                String.valueOf(f.getSourceResourceId()));
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** A suggestion's id: derived from the alert's and the treatment's, so it is as stable as the alert id. */
    public static String suggestionId(String alertId, String treatmentKey) {
        return UUID.nameUUIDFromBytes((alertId + "|" + treatmentKey).getBytes(StandardCharsets.UTF_8)).toString();
    }

    public ClinicalAlert build(Trigger trigger, PatientState state, Map<String, List<Float>> vectors,
            PatientIndex index, Instant now) {
        ClinicalFact fact = trigger.fact();
        String patientKey = state.getPatientKey();
        String clinical = vectorizer.clinicalSpace();

        String space = clinical;
        if (trigger.type() == TriggerType.NEW_IMAGING_STUDY) {
            String imaging = vectors.containsKey(vectorizer.embeddingSpace()) && index.size(vectorizer.embeddingSpace()) > 0
                    ? vectorizer.embeddingSpace() : vectorizer.imagingSpace();
            if (vectors.containsKey(imaging) && index.size(imaging) > 0) {
                space = imaging;
            }
        }
        List<Found> neighbours = fused(index, space, vectors, patientKey);
        List<SimilarPatient> similar = new ArrayList<>();
        List<Recommender.Evidence> evidence = new ArrayList<>();
        for (Found f : neighbours) {
            Neighbour<List<TreatmentOutcome>> n = f.neighbour();
            float[] own = vectors.containsKey(f.space()) ? PatientVectorizer.toArray(vectors.get(f.space())) : null;
            similar.add(similarPatient(n, f.space(), own));
            evidence.add(new Recommender.Evidence(n.key(), similarity(n.distance()),
                    n.payload() == null ? List.of() : n.payload()));
        }
        String answeredBy = space;
        Recommender.Focus focus = switch (trigger.type()) {
            case OUT_OF_RANGE -> new Recommender.Focus(fact.getFeatureId(), null);
            case NEW_DIAGNOSIS -> new Recommender.Focus(null, OutcomeRules.key(fact.getSystem(), fact.getCode()));
            case NEW_IMAGING_STUDY -> Recommender.Focus.NONE;
        };
        List<TreatmentRecommendation> recommendations = recommender.recommend(evidence, state, fact.getEffectiveTime(),
                focus);

        Feature feature = fact.getFeatureId() == null ? null : catalog.feature(fact.getFeatureId());
        RangeCheck check = trigger.check();
        AlertTrigger alertTrigger = AlertTrigger.newBuilder()
                .setType(trigger.type())
                .setFeatureId(fact.getFeatureId() != null ? fact.getFeatureId() : fact.getCode())
                .setSystem(fact.getSystem())
                .setCode(fact.getCode())
                .setDisplay(feature != null ? feature.name() : fact.getDisplay())
                .setValue(trigger.type() == TriggerType.OUT_OF_RANGE ? fact.getValue() : null)
                .setUnit(trigger.type() == TriggerType.OUT_OF_RANGE ? fact.getUnit() : null)
                .setReferenceLow(check == null ? null : check.range().low())
                .setReferenceHigh(check == null ? null : check.range().high())
                .setEffectiveTime(fact.getEffectiveTime())
                .setSourceResource(fact.getSourceResourceId() == null ? null
                        : fact.getSourceResourceType() + "/" + fact.getSourceResourceId())
                .build();
        String alertId = alertId(patientKey, trigger);
        List<String> abnormal = abnormalFeatures(state);
        return ClinicalAlert.newBuilder()
                .setAlertId(alertId)
                .setPatientKey(patientKey)
                .setSummary(summary(trigger, alertTrigger, feature, fact, similar.size(), recommendations))
                .setDetail(detail(alertTrigger, abnormal, similar, recommendations))
                .setIndicator(trigger.severity())
                .setSource(CardSource.newBuilder().setLabel(SOURCE_LABEL).build())
                .setSuggestions(suggestions(alertId, recommendations))
                .setTrigger(alertTrigger)
                .setSimilarPatients(similar)
                .setRecommendations(recommendations)
                .setAbnormalFeatures(abnormal)
                .setIndexVersion(answeredBy + ":" + index.version(answeredBy))
                .setCatalogVersion(catalog.version())
                .setEventTime(fact.getEffectiveTime())
                .setProcessingTime(now)
                .build();
    }

    /** A neighbour and the feature space whose search found it. */
    private record Found(Neighbour<List<TreatmentOutcome>> neighbour, String space) {
    }

    /** Reciprocal rank fusion's damping constant (Cormack et al.): ranks, not distances, are fused. */
    private static final int RRF_K = 60;

    /**
     * The neighbours of the trigger's space, fused with those of the other of {clinical, image embedding} when the
     * patient has vectors in both: reciprocal rank fusion (distances of two spaces are not comparable), the top
     * k kept, each neighbour said to be found in the space where it ranked best.
     */
    private List<Found> fused(PatientIndex index, String space, Map<String, List<Float>> vectors, String patientKey) {
        String embedding = vectorizer.embeddingSpace();
        String other = space.equals(embedding) ? vectorizer.clinicalSpace() : embedding;
        List<Neighbour<List<TreatmentOutcome>>> primary = search(index, space, vectors, patientKey);
        if (!vectors.containsKey(embedding) || other.equals(space)) {
            return primary.stream().map(n -> new Found(n, space)).toList();
        }
        List<Neighbour<List<TreatmentOutcome>>> secondary = search(index, other, vectors, patientKey);
        if (secondary.isEmpty()) {
            return primary.stream().map(n -> new Found(n, space)).toList();
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        Map<String, Found> best = new LinkedHashMap<>();
        for (int r = 0; r < Math.max(primary.size(), secondary.size()); r++) {
            for (Found f : new Found[] {r < primary.size() ? new Found(primary.get(r), space) : null,
                    r < secondary.size() ? new Found(secondary.get(r), other) : null}) {
                if (f != null) {
                    scores.merge(f.neighbour().key(), 1.0 / (RRF_K + r + 1), Double::sum);
                    best.putIfAbsent(f.neighbour().key(), f);
                }
            }
        }
        return best.values().stream()
                .sorted(Comparator.comparing((Found f) -> -scores.get(f.neighbour().key())))
                .limit(k)
                .toList();
    }

    private List<Neighbour<List<TreatmentOutcome>>> search(PatientIndex index,
            String space, Map<String, List<Float>> vectors, String patientKey) {
        List<Float> own = vectors.get(space);
        if (own == null || index.size(space) == 0) {
            return List.of();
        }
        return index.search(space, PatientVectorizer.toArray(own), k, item -> !item.key().equals(patientKey));
    }

    private SimilarPatient similarPatient(Neighbour<List<TreatmentOutcome>> n, String space, float[] own) {
        return SimilarPatient.newBuilder()
                .setPatientKey(n.key())
                .setDistance(n.distance())
                .setSimilarity(similarity(n.distance()))
                .setFeatureSpace(space)
                .setSharedFeatures(own == null ? List.of() : sharedFeatures(groups(space), own, n.item().vector()))
                .build();
    }

    private DimensionGroups groups(String space) {
        return groupsBySpace.computeIfAbsent(space,
                s -> DimensionGroups.of(vectorizer.dimensions(s), s.equals(vectorizer.clinicalSpace())));
    }

    double similarity(float distance) {
        return metric.similarity(distance);
    }

    /**
     * The features that brought a neighbour closest, largest first: per dimension, how much nearer the
     * neighbour is than a patient at the population mean (all zeros), {@code a² − (a − b)²}, summed over a
     * feature's dimensions (its value, abnormality, share abnormal, measured, trend); only features that
     * bring it nearer. Outside the clinical space each dimension stands for itself.
     */
    static List<String> sharedFeatures(DimensionGroups groups, float[] own, float[] other) {
        String[] names = groups.names();
        int[] groupOf = groups.groupOfDimension();
        double[] gains = new double[names.length];
        for (int i = 0; i < own.length && i < other.length && i < groupOf.length; i++) {
            double a = own[i];
            double b = other[i];
            gains[groupOf[i]] += a * a - (a - b) * (a - b);
        }
        // The few best by gain (ties by name): a selection, not a sort of every feature, per neighbour.
        int[] best = new int[SHARED_FEATURES];
        int found = 0;
        for (int g = 0; g < gains.length; g++) {
            if (gains[g] <= 1e-6) {
                continue;
            }
            int at = found < best.length ? found++ : best.length;
            while (at > 0 && closerFirst(g, best[at - 1], gains, names)) {
                if (at < best.length) {
                    best[at] = best[at - 1];
                }
                at--;
            }
            if (at < best.length) {
                best[at] = g;
            }
        }
        List<String> out = new ArrayList<>(found);
        for (int k = 0; k < found; k++) {
            out.add(names[best[k]]);
        }
        return out;
    }

    private static boolean closerFirst(int a, int b, double[] gains, String[] names) {
        return gains[a] > gains[b] || (gains[a] == gains[b] && names[a].compareTo(names[b]) < 0);
    }

    /**
     * The dimensions of a space grouped as explanations name them: by feature in the clinical space (its value,
     * abnormality, share abnormal, measured, trend), each dimension for itself elsewhere. Computed once per space.
     */
    record DimensionGroups(String[] names, int[] groupOfDimension) {
        static DimensionGroups of(List<String> dims, boolean byFeature) {
            Map<String, Integer> index = new LinkedHashMap<>();
            int[] groupOf = new int[dims.size()];
            for (int i = 0; i < dims.size(); i++) {
                String name = byFeature ? PatientVectorizer.featureOf(dims.get(i)) : dims.get(i);
                groupOf[i] = index.computeIfAbsent(name, n -> index.size());
            }
            return new DimensionGroups(index.keySet().toArray(new String[0]), groupOf);
        }
    }

    private List<String> abnormalFeatures(PatientState state) {
        List<String> out = new ArrayList<>();
        for (FeatureValue v : state.getFeatures().values()) {
            Feature f = catalog.feature(v.getFeatureId());
            if (f != null && RangeCheck.of(v.getValue(), f, v.getReferenceLow(), v.getReferenceHigh(),
                    v.getInterpretation()).abnormal()) {
                out.add(v.getFeatureId());
            }
        }
        out.sort(null);
        return out;
    }

    /** Suggestions for the best-supported treatments the patient does not already receive; the first is recommended. */
    static List<CardSuggestion> suggestions(String alertId, List<TreatmentRecommendation> recommendations) {
        List<CardSuggestion> out = new ArrayList<>();
        for (TreatmentRecommendation r : recommendations) {
            if (r.getAlreadyReceiving() || out.size() >= SUGGESTIONS) {
                continue;
            }
            String key = OutcomeRules.key(r.getSystem(), r.getCode());
            out.add(CardSuggestion.newBuilder()
                    .setUuid(suggestionId(alertId, key))
                    .setLabel(suggestionLabel(r))
                    .setIsRecommended(out.isEmpty())
                    .setTreatment(key)
                    .build());
        }
        return out;
    }

    static String suggestionLabel(TreatmentRecommendation r) {
        return "Consider " + treatmentName(r) + ": improved in " + r.getNeighboursImproved() + " of "
                + r.getNeighboursWithOutcome() + " similar patients (95% lower bound "
                + Math.round(r.getWilsonLowerBound() * 100) + "%)";
    }

    static String treatmentName(TreatmentRecommendation r) {
        return r.getDisplay() != null ? r.getDisplay() : r.getSystem() + "|" + r.getCode();
    }

    static String summary(Trigger trigger, AlertTrigger t, Feature feature, ClinicalFact fact, int neighbours,
            List<TreatmentRecommendation> recommendations) {
        String base = switch (trigger.type()) {
            case OUT_OF_RANGE -> {
                RangeCheck check = trigger.check();
                String what = feature != null ? shortName(feature) : String.valueOf(t.getDisplay());
                String side = check.direction() > 0 ? "above" : check.direction() < 0 ? "below" : "outside";
                yield (what + " " + number(t.getValue()) + " " + (t.getUnit() == null ? "" : t.getUnit()) + " " + side
                        + " reference range" + range(t)).replace("  ", " ");
            }
            case NEW_DIAGNOSIS -> "New diagnosis: " + (fact.getDisplay() != null ? fact.getDisplay() : fact.getCode());
            case NEW_IMAGING_STUDY -> "New imaging study: " + imagingName(fact);
        };
        String text = base + "; " + neighbours + " similar patients";
        TreatmentRecommendation top = recommendations.isEmpty() ? null : recommendations.get(0);
        if (top != null) {
            String withTop = text + "; " + top.getNeighboursImproved() + "/" + top.getNeighboursWithOutcome()
                    + " improved on " + treatmentName(top);
            if (withTop.length() <= MAX_SUMMARY) {
                text = withTop;
            }
        }
        return text.length() <= MAX_SUMMARY ? text : text.substring(0, MAX_SUMMARY - 1) + "…";
    }

    private static String imagingName(ClinicalFact fact) {
        String name = fact.getDisplay() != null ? fact.getDisplay() : fact.getCode();
        if (fact.getImaging() != null && !fact.getImaging().getModalities().isEmpty()) {
            name += " (" + String.join(", ", fact.getImaging().getModalities()) + ")";
        }
        return name;
    }

    private static String shortName(Feature f) {
        String name = f.name() == null ? f.id() : f.name();
        int bracket = name.indexOf('[');
        return (bracket > 0 ? name.substring(0, bracket) : name).trim();
    }

    private static String range(AlertTrigger t) {
        Double lo = t.getReferenceLow();
        Double hi = t.getReferenceHigh();
        if (lo == null && hi == null) {
            return "";
        }
        if (lo == null) {
            return " (≤ " + number(hi) + ")";
        }
        if (hi == null) {
            return " (≥ " + number(lo) + ")";
        }
        return " (" + number(lo) + "–" + number(hi) + ")";
    }

    static String number(Double v) {
        if (v == null) {
            return "?";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.valueOf(v.longValue());
        }
        return Decimals.threeSignificant(v);
    }

    private static String percent(double v) {
        return Math.round(v * 100) + " %";
    }

    private static String detail(AlertTrigger t, List<String> abnormal, List<SimilarPatient> similar,
            List<TreatmentRecommendation> recommendations) {
        StringBuilder md = new StringBuilder();
        md.append("**Trigger:** ").append(t.getType()).append(' ').append(t.getDisplay() == null ? t.getCode() : t.getDisplay());
        if (t.getValue() != null) {
            md.append(' ').append(number(t.getValue())).append(' ').append(t.getUnit() == null ? "" : t.getUnit())
                    .append(range(t));
        }
        md.append(", effective ").append(t.getEffectiveTime());
        if (t.getSourceResource() != null) {
            md.append(" (").append(t.getSourceResource()).append(')');
        }
        md.append("\n\n");
        if (!abnormal.isEmpty()) {
            md.append("**Outside reference range now:** ").append(String.join(", ", abnormal)).append("\n\n");
        }
        if (recommendations.isEmpty()) {
            md.append("**Treatments:** no treatment has enough similar patients with a known outcome to recommend.\n\n");
        } else {
            md.append("**What worked for similar patients** (outcome judged by the rule named; rate weighted by"
                    + " similarity; lower bound = 95 % Wilson)\n\n")
                    .append("| Treatment | Treated | Outcome known | Improved | Rate | Lower bound | Rule | Already receiving |\n")
                    .append("|---|---|---|---|---|---|---|---|\n");
            for (TreatmentRecommendation r : recommendations) {
                md.append("| ").append(treatmentName(r)).append(" | ").append(r.getNeighboursTreated())
                        .append(" | ").append(r.getNeighboursWithOutcome())
                        .append(" | ").append(r.getNeighboursImproved())
                        .append(" | ").append(percent(r.getWeightedImprovementRate()))
                        .append(" | ").append(percent(r.getWilsonLowerBound()))
                        .append(" | ").append(r.getOutcomeRules().isEmpty() ? "—" : String.join(", ", r.getOutcomeRules()))
                        .append(" | ").append(r.getAlreadyReceiving() ? "yes" : "no").append(" |\n");
            }
            md.append('\n');
        }
        if (similar.isEmpty()) {
            md.append("No similar patients are indexed yet.\n");
        } else {
            md.append("| Similar patient | Space | Similarity | Closest on |\n|---|---|---|---|\n");
            for (SimilarPatient s : similar) {
                md.append("| ").append(s.getPatientKey()).append(" | ").append(s.getFeatureSpace()).append(" | ")
                        .append(Decimals.threePlaces(s.getSimilarity())).append(" | ")
                        .append(s.getSharedFeatures().isEmpty() ? "—" : String.join(", ", s.getSharedFeatures()))
                        .append(" |\n");
            }
        }
        return md.toString();
    }
}
