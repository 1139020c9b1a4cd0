package dev.kindred.topology.alerts;

import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.CardSource;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.Neighbour;
import dev.kindred.index.VectorIndexStore;
import dev.kindred.topology.patient.PatientVectorizer;
import dev.kindred.topology.patient.RangeCheck;
import dev.kindred.topology.patient.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Builds a {@link ClinicalAlert} for a trigger: searches the index for the patient's nearest neighbours
 * (never the patient itself), explains each by the features it shares, and writes the card text.
 */
public final class AlertFactory {
    /** CDS Hooks limits a card summary to 140 characters. */
    public static final int MAX_SUMMARY = 139;
    private static final int SHARED_FEATURES = 3;
    private static final String SOURCE_LABEL = "Kindred similar-patient analysis";

    private final FeatureCatalog catalog;
    private final int k;
    private final DistanceMetric metric;

    public AlertFactory(FeatureCatalog catalog, int k, DistanceMetric metric) {
        this.catalog = catalog;
        this.k = k;
        this.metric = metric;
    }

    /** Same patient, cause and source event give the same id, so a replay does not look like a new alert. */
    public static String alertId(String patientKey, Trigger trigger) {
        ClinicalFact f = trigger.fact();
        String name = String.join("|", patientKey, trigger.type().name(), String.valueOf(f.getFeatureId()),
                f.getCode(), String.valueOf(f.getEffectiveTime().toEpochMilli()),
                String.valueOf(f.getSourceResourceId()));
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    public ClinicalAlert build(Trigger trigger, PatientState state, Map<String, List<Float>> vectors,
            VectorIndexStore<List<TreatmentOutcome>> index, Instant now) {
        ClinicalFact fact = trigger.fact();
        String patientKey = state.getPatientKey();
        Feature feature = fact.getFeatureId() == null ? null : catalog.feature(fact.getFeatureId());
        String space = feature != null ? feature.space() : "clinical";

        List<SimilarPatient> similar = new ArrayList<>();
        List<Float> own = vectors.get(space);
        if (own != null) {
            float[] query = PatientVectorizer.toArray(own);
            for (Neighbour<List<TreatmentOutcome>> n : index.search(space, query, k,
                    item -> !item.key().equals(patientKey))) {
                similar.add(SimilarPatient.newBuilder()
                        .setPatientKey(n.key())
                        .setDistance(n.distance())
                        .setSimilarity(similarity(n.distance()))
                        .setFeatureSpace(space)
                        .setSharedFeatures(sharedFeatures(space, query, n.item().vector()))
                        .build());
            }
        }
        List<String> abnormal = abnormalFeatures(state);
        RangeCheck check = trigger.check();
        AlertTrigger alertTrigger = AlertTrigger.newBuilder()
                .setType(trigger.type())
                .setFeatureId(String.valueOf(fact.getFeatureId()))
                .setSystem(fact.getSystem())
                .setCode(fact.getCode())
                .setDisplay(feature != null ? feature.name() : fact.getDisplay())
                .setValue(fact.getValue())
                .setUnit(fact.getUnit())
                .setReferenceLow(check.range().low())
                .setReferenceHigh(check.range().high())
                .setEffectiveTime(fact.getEffectiveTime())
                .setSourceResource(fact.getSourceResourceId() == null ? null
                        : fact.getSourceResourceType() + "/" + fact.getSourceResourceId())
                .build();
        return ClinicalAlert.newBuilder()
                .setAlertId(alertId(patientKey, trigger))
                .setPatientKey(patientKey)
                .setSummary(summary(alertTrigger, check, feature, similar.size()))
                .setDetail(detail(alertTrigger, abnormal, similar))
                .setIndicator(check.severity())
                .setSource(CardSource.newBuilder().setLabel(SOURCE_LABEL).build())
                .setSuggestions(List.of())
                .setTrigger(alertTrigger)
                .setSimilarPatients(similar)
                .setRecommendations(List.of())
                .setAbnormalFeatures(abnormal)
                .setIndexVersion(space + ":size=" + index.size(space) + ":updates=" + index.updates())
                .setCatalogVersion(catalog.version())
                .setEventTime(fact.getEffectiveTime())
                .setProcessingTime(now)
                .build();
    }

    private double similarity(float distance) {
        return switch (metric) {
            case COSINE, INNER_PRODUCT -> 1.0 - distance;
            case EUCLIDEAN -> 1.0 / (1.0 + distance);
        };
    }

    /**
     * Features on which both patients are away from the population mean in the same direction, closest
     * first: what the two have in common that makes them alike.
     */
    private List<String> sharedFeatures(String space, float[] own, float[] other) {
        List<String> dims = catalog.dimensions(space);
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < own.length && i < other.length && i < dims.size(); i++) {
            if (Math.abs(own[i]) >= 0.5f && Math.abs(other[i]) >= 0.5f && Math.signum(own[i]) == Math.signum(other[i])) {
                candidates.add(i);
            }
        }
        candidates.sort(Comparator.comparingDouble(i -> Math.abs(own[i] - other[i])));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < candidates.size() && out.size() < SHARED_FEATURES; i++) {
            out.add(dims.get(candidates.get(i)));
        }
        return out;
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

    static String summary(AlertTrigger t, RangeCheck check, Feature feature, int neighbours) {
        String what = feature != null ? shortName(feature) : String.valueOf(t.getDisplay());
        String side = check.direction() > 0 ? "above" : check.direction() < 0 ? "below" : "outside";
        String text = String.format(Locale.ROOT, "%s %s %s %s reference range%s; %d similar patients",
                what, number(t.getValue()), t.getUnit() == null ? "" : t.getUnit(), side, range(t), neighbours)
                .replace("  ", " ");
        return text.length() <= MAX_SUMMARY ? text : text.substring(0, MAX_SUMMARY - 1) + "…";
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
        return String.format(Locale.ROOT, "%.3g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }

    private static String detail(AlertTrigger t, List<String> abnormal, List<SimilarPatient> similar) {
        StringBuilder md = new StringBuilder();
        md.append("**Trigger:** ").append(t.getDisplay()).append(' ').append(number(t.getValue())).append(' ')
                .append(t.getUnit() == null ? "" : t.getUnit()).append(range(t))
                .append(", effective ").append(t.getEffectiveTime());
        if (t.getSourceResource() != null) {
            md.append(" (").append(t.getSourceResource()).append(')');
        }
        md.append("\n\n");
        if (!abnormal.isEmpty()) {
            md.append("**Outside reference range now:** ").append(String.join(", ", abnormal)).append("\n\n");
        }
        if (similar.isEmpty()) {
            md.append("No similar patients are indexed yet.\n");
        } else {
            md.append("| Similar patient | Similarity | Shared features |\n|---|---|---|\n");
            for (SimilarPatient s : similar) {
                md.append("| ").append(s.getPatientKey()).append(" | ")
                        .append(String.format(Locale.ROOT, "%.3f", s.getSimilarity())).append(" | ")
                        .append(s.getSharedFeatures().isEmpty() ? "—" : String.join(", ", s.getSharedFeatures()))
                        .append(" |\n");
            }
        }
        return md.toString();
    }
}
