package dev.kindred.api.alerts;

import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Alerts as the API's JSON, with other patients de-identified unless the caller's role may see them: each similar
 * patient becomes a pseudonym ({@code #1} … {@code #k}, by rank in the alert, so the same alert always gives the
 * same pseudonyms and two alerts cannot be linked by them), with its similarity, what it shares with the patient
 * and its treatment outcomes (no dates, no ids). The alert's own patient is the one the caller asked about and is
 * named.
 */
public final class AlertJson {
    private AlertJson() {
    }

    /** Pseudonyms of an alert's similar patients, by key: {@code #1} is the most similar. */
    public static Map<String, String> pseudonyms(List<SimilarPatient> similar) {
        Map<String, String> out = new LinkedHashMap<>();
        for (SimilarPatient s : similar) {
            out.putIfAbsent(s.getPatientKey(), "#" + (out.size() + 1));
        }
        return out;
    }

    /** Text with every key replaced by its pseudonym (the alert's markdown detail names similar patients by key). */
    public static String deidentify(String text, Map<String, String> pseudonyms) {
        String out = text;
        for (Map.Entry<String, String> e : pseudonyms.entrySet()) {
            out = out.replace(e.getKey(), e.getValue());
        }
        return out;
    }

    /** The short form, for lists and the live stream. */
    public static Map<String, Object> summary(AlertView.Entry e, AlertView.CardFeedback feedback) {
        ClinicalAlert a = e.alert();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alertId", a.getAlertId());
        out.put("patientKey", a.getPatientKey());
        out.put("indicator", a.getIndicator().name());
        out.put("summary", a.getSummary());
        out.put("trigger", trigger(a.getTrigger()));
        out.put("eventTime", a.getEventTime().toString());
        out.put("processingTime", a.getProcessingTime().toString());
        out.put("similarPatients", a.getSimilarPatients().size());
        out.put("recommendations", a.getRecommendations().size());
        out.put("feedback", Map.of("accepted", feedback.accepted(), "overridden", feedback.overridden()));
        out.put("position", e.position());
        return out;
    }

    static Map<String, Object> trigger(AlertTrigger t) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", t.getType().name());
        out.put("featureId", t.getFeatureId());
        out.put("system", t.getSystem());
        out.put("code", t.getCode());
        out.put("display", t.getDisplay());
        out.put("value", t.getValue());
        out.put("unit", t.getUnit());
        out.put("referenceLow", t.getReferenceLow());
        out.put("referenceHigh", t.getReferenceHigh());
        out.put("effectiveTime", t.getEffectiveTime().toString());
        out.put("sourceResource", t.getSourceResource());
        return out;
    }

    /**
     * The whole alert: detail, similar patients with their outcomes, recommendations with their evidence.
     *
     * @param identified whether the caller may see other patients' keys
     * @param outcomesOf a similar patient's treatment outcomes now (from the index), by key
     */
    public static Map<String, Object> full(ClinicalAlert a, boolean identified, AlertView.CardFeedback feedback,
            Function<String, List<TreatmentOutcome>> outcomesOf) {
        Map<String, String> names = pseudonyms(a.getSimilarPatients());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alertId", a.getAlertId());
        out.put("patientKey", a.getPatientKey());
        out.put("indicator", a.getIndicator().name());
        out.put("summary", a.getSummary());
        out.put("detail", identified ? a.getDetail() : deidentify(a.getDetail(), names));
        out.put("trigger", trigger(a.getTrigger()));
        out.put("abnormalFeatures", a.getAbnormalFeatures());
        out.put("similarPatients", similar(a.getSimilarPatients(), names, identified, outcomesOf));
        out.put("recommendations", recommendations(a.getRecommendations(), names, identified));
        out.put("suggestions", a.getSuggestions().stream().map(s -> Map.of("uuid", s.getUuid(), "label", s.getLabel(),
                "isRecommended", s.getIsRecommended())).toList());
        out.put("indexVersion", a.getIndexVersion());
        out.put("catalogVersion", a.getCatalogVersion());
        out.put("eventTime", a.getEventTime().toString());
        out.put("processingTime", a.getProcessingTime().toString());
        out.put("feedback", Map.of("accepted", feedback.accepted(), "overridden", feedback.overridden()));
        out.put("identified", identified);
        return out;
    }

    public static List<Map<String, Object>> similar(List<SimilarPatient> similar, Map<String, String> names,
            boolean identified, Function<String, List<TreatmentOutcome>> outcomesOf) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (SimilarPatient s : similar) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pseudonym", names.get(s.getPatientKey()));
            if (identified) {
                m.put("patientKey", s.getPatientKey());
            }
            m.put("similarity", round(s.getSimilarity()));
            m.put("distance", round(s.getDistance()));
            m.put("featureSpace", s.getFeatureSpace());
            m.put("sharedFeatures", s.getSharedFeatures());
            m.put("outcomes", outcomes(outcomesOf.apply(s.getPatientKey())));
            out.add(m);
        }
        return out;
    }

    /** A patient's treatment outcomes without dates: treatment, status, the rule that judged it. */
    public static List<Map<String, Object>> outcomes(List<TreatmentOutcome> outcomes) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (outcomes == null) {
            return out;
        }
        for (TreatmentOutcome o : outcomes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("treatment", o.getDisplay() != null ? o.getDisplay() : o.getCode());
            m.put("code", o.getSystem() + "|" + o.getCode());
            m.put("status", o.getStatus().name());
            if (o.getRule() != null) {
                m.put("rule", o.getRule());
            }
            out.add(m);
        }
        return out;
    }

    public static List<Map<String, Object>> recommendations(List<TreatmentRecommendation> recs, Map<String, String> names,
            boolean identified) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (TreatmentRecommendation r : recs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("treatment", r.getDisplay() != null ? r.getDisplay() : r.getCode());
            m.put("system", r.getSystem());
            m.put("code", r.getCode());
            m.put("neighboursTreated", r.getNeighboursTreated());
            m.put("neighboursWithOutcome", r.getNeighboursWithOutcome());
            m.put("neighboursImproved", r.getNeighboursImproved());
            m.put("weightedImprovementRate", round(r.getWeightedImprovementRate()));
            m.put("wilsonLowerBound", round(r.getWilsonLowerBound()));
            m.put("alreadyReceiving", r.getAlreadyReceiving());
            m.put("matchesTrigger", r.getMatchesTrigger());
            m.put("outcomeRules", r.getOutcomeRules());
            m.put("evidence", r.getEvidenceNeighbours().stream()
                    .map(k -> identified ? k : names.getOrDefault(k, "(another patient)")).toList());
            out.add(m);
        }
        return out;
    }

    static double round(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }
}
