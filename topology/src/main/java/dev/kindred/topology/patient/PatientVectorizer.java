package dev.kindred.topology.patient;

import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.PatientState;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.ValueRange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a patient's latest feature values out as one vector per feature space, in catalog dimension order.
 * A numeric feature is standardized against its population (z-score, clipped to ±{@value #CLIP}) and
 * multiplied by its catalog weight; a missing value is 0, the population mean. Findings contribute their
 * catalog score times weight.
 */
public final class PatientVectorizer {
    static final double CLIP = 4.0;

    private final FeatureCatalog catalog;

    public PatientVectorizer(FeatureCatalog catalog) {
        this.catalog = catalog;
    }

    /** Vectors by space; a space in which the patient has no value at all is left out. */
    public Map<String, List<Float>> vectors(PatientState state) {
        Map<String, List<Float>> out = new LinkedHashMap<>();
        for (String space : catalog.spaces()) {
            List<String> dims = catalog.dimensions(space);
            List<Float> vector = new ArrayList<>(dims.size());
            boolean any = false;
            for (String id : dims) {
                FeatureValue value = state.getFeatures().get(id);
                if (value == null) {
                    vector.add(0f);
                    continue;
                }
                any = true;
                vector.add((float) component(id, value.getValue()));
            }
            if (any) {
                out.put(space, vector);
            }
        }
        return out;
    }

    /** The contribution of one feature value to its dimension. */
    public double component(String featureId, double value) {
        Feature feature = catalog.feature(featureId);
        if (feature == null) {
            var finding = catalog.finding(featureId);
            return value * (finding != null ? finding.weight() : 1.0);
        }
        double z;
        if (feature.population() != null && feature.population().sd() > 0) {
            z = (value - feature.population().mean()) / feature.population().sd();
        } else {
            ValueRange r = feature.referenceRange();
            if (r.low() != null && r.high() != null && r.high() > r.low()) {
                z = (value - (r.low() + r.high()) / 2) / ((r.high() - r.low()) / 2);
            } else {
                z = 0;
            }
        }
        z = Math.max(-CLIP, Math.min(CLIP, z));
        return z * feature.weight();
    }

    public static float[] toArray(List<Float> vector) {
        float[] out = new float[vector.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vector.get(i);
        }
        return out;
    }
}
