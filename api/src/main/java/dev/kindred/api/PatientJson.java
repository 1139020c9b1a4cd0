package dev.kindred.api;

import dev.kindred.avro.DiagnosisRecord;
import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.HistoryPoint;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.clinical.patient.RangeCheck;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.ValueRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A patient's current state as the API's JSON: features with their ranges and history, diagnoses, treatments, vectors. */
final class PatientJson {
    private PatientJson() {
    }

    static Map<String, Object> of(PatientState s, FeatureCatalog catalog, PatientVectorizer vectorizer, String servedBy) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("patientKey", s.getPatientKey());
        out.put("servedBy", servedBy);
        out.put("version", s.getVersion());
        out.put("lastEventTime", s.getLastEventTime() == null ? null : s.getLastEventTime().toString());
        if (s.getDemographics() != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("gender", s.getDemographics().getGender());
            d.put("birthDate", s.getDemographics().getBirthDate() == null ? null : s.getDemographics().getBirthDate().toString());
            d.put("deceased", s.getDemographics().getDeceased());
            out.put("demographics", d);
        }
        List<Map<String, Object>> features = new ArrayList<>();
        for (FeatureValue v : s.getFeatures().values()) {
            Feature f = catalog.feature(v.getFeatureId());
            RangeCheck check = RangeCheck.of(v.getValue(), f, v.getReferenceLow(), v.getReferenceHigh(), v.getInterpretation());
            ValueRange range = check.range();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("featureId", v.getFeatureId());
            m.put("name", f != null && f.name() != null ? f.name() : v.getFeatureId());
            m.put("loinc", v.getCode());
            m.put("value", v.getValue());
            m.put("unit", v.getUnit());
            m.put("effectiveTime", v.getEffectiveTime().toString());
            m.put("referenceLow", range.low());
            m.put("referenceHigh", range.high());
            m.put("rangeSource", v.getReferenceLow() != null || v.getReferenceHigh() != null ? "resource" : "catalog");
            m.put("abnormal", check.abnormal());
            m.put("direction", check.direction());
            m.put("severity", check.severity().name());
            FeatureHistory h = s.getHistory().get(v.getFeatureId());
            List<Map<String, Object>> points = new ArrayList<>();
            if (h != null) {
                for (HistoryPoint p : h.getPoints()) {
                    points.add(Map.of("time", p.getTime().toString(), "value", p.getValue(), "abnormal", p.getAbnormal()));
                }
                m.put("count", h.getCount());
                m.put("abnormalCount", h.getAbnormalCount());
            }
            m.put("history", points);
            features.add(m);
        }
        features.sort(Comparator.comparing((Map<String, Object> m) -> !(Boolean) m.get("abnormal"))
                .thenComparing(m -> String.valueOf(m.get("name"))));
        out.put("features", features);
        List<Map<String, Object>> diagnoses = new ArrayList<>();
        for (DiagnosisRecord d : s.getDiagnoses().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("display", d.getDisplay() != null ? d.getDisplay() : d.getCode());
            m.put("code", d.getSystem() + "|" + d.getCode());
            m.put("status", d.getStatus());
            m.put("onset", d.getOnset().toString());
            m.put("abatement", d.getAbatement() == null ? null : d.getAbatement().toString());
            diagnoses.add(m);
        }
        diagnoses.sort(Comparator.comparing((Map<String, Object> m) -> String.valueOf(m.get("onset"))).reversed());
        out.put("diagnoses", diagnoses);
        List<Map<String, Object>> treatments = new ArrayList<>();
        for (TreatmentCourse c : s.getTreatments().values()) {
            if (c.getEpisodes().isEmpty()) {
                continue;
            }
            TreatmentEpisode last = c.getEpisodes().get(c.getEpisodes().size() - 1);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("display", c.getDisplay() != null ? c.getDisplay() : c.getCode());
            m.put("code", c.getSystem() + "|" + c.getCode());
            m.put("resourceType", c.getResourceType());
            m.put("courses", c.getEpisodes().size());
            m.put("lastStart", last.getStart().toString());
            m.put("outcome", last.getStatus().name());
            m.put("rule", last.getRule());
            treatments.add(m);
        }
        treatments.sort(Comparator.comparing((Map<String, Object> m) -> String.valueOf(m.get("lastStart"))).reversed());
        out.put("treatments", treatments);
        Map<String, Object> vectors = new LinkedHashMap<>();
        vectorizer.vectors(s).forEach((space, values) -> {
            Map<String, Object> v = new LinkedHashMap<>();
            List<String> dims = vectorizer.dimensions(space);
            if (!dims.isEmpty()) {
                v.put("dimensions", dims);
            }
            v.put("values", values);
            vectors.put(space, v);
        });
        out.put("vectors", vectors);
        return out;
    }
}
