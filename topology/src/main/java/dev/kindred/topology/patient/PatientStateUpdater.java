package dev.kindred.topology.patient;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Applies one clinical fact to a patient's state. The latest value of a feature is the one with the latest
 * effective time: a late or out-of-order older value never replaces a newer one, and replaying the same
 * fact changes nothing, so reprocessing is idempotent.
 */
public final class PatientStateUpdater {
    private final FeatureCatalog catalog;

    public PatientStateUpdater(FeatureCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * The outcome of applying a fact.
     *
     * @param changed whether the state (and so the patient's vectors) changed
     */
    public record Update(PatientState state, boolean changed, List<Trigger> triggers) {
    }

    public static PatientState empty(String patientKey) {
        return PatientState.newBuilder().setPatientKey(patientKey).setVersion(0).setFeatures(new HashMap<>())
                .setLastEventTime(null).build();
    }

    public Update apply(PatientState current, ClinicalFact fact) {
        PatientState state = current != null ? current : empty(fact.getPatientKey());
        if (fact.getFeatureId() == null
                || (fact.getKind() != FactKind.MEASUREMENT && fact.getKind() != FactKind.FINDING)) {
            return new Update(state, false, List.of());
        }
        String featureId = fact.getFeatureId();
        FeatureValue existing = state.getFeatures().get(featureId);
        Map<String, FeatureValue> features = new HashMap<>(state.getFeatures());

        if (fact.getRetracted()) {
            if (existing == null || !Objects.equals(existing.getSourceResourceId(), fact.getSourceResourceId())) {
                return new Update(state, false, List.of());
            }
            features.remove(featureId);
            return new Update(next(state, features, fact.getEffectiveTime()), true, List.of());
        }
        if (fact.getValue() == null) {
            return new Update(state, false, List.of());
        }
        if (existing != null) {
            int order = existing.getEffectiveTime().compareTo(fact.getEffectiveTime());
            if (order > 0) {
                return new Update(state, false, List.of());
            }
            if (order == 0 && existing.getValue() == fact.getValue()
                    && Objects.equals(existing.getSourceResourceId(), fact.getSourceResourceId())) {
                return new Update(state, false, List.of());
            }
        }
        features.put(featureId, FeatureValue.newBuilder()
                .setFeatureId(featureId)
                .setCode(fact.getCode())
                .setValue(fact.getValue())
                .setUnit(fact.getUnit() != null ? fact.getUnit() : "1")
                .setEffectiveTime(fact.getEffectiveTime())
                .setReferenceLow(fact.getReferenceLow())
                .setReferenceHigh(fact.getReferenceHigh())
                .setInterpretation(fact.getInterpretation())
                .setSourceResourceId(fact.getSourceResourceId())
                .build());
        PatientState updated = next(state, features, fact.getEffectiveTime());

        List<Trigger> triggers = List.of();
        if (fact.getKind() == FactKind.MEASUREMENT) {
            RangeCheck check = RangeCheck.of(fact.getValue(), catalog.feature(featureId), fact.getReferenceLow(),
                    fact.getReferenceHigh(), fact.getInterpretation());
            if (check.abnormal()) {
                triggers = List.of(new Trigger(TriggerType.OUT_OF_RANGE, fact, check));
            }
        }
        return new Update(updated, true, triggers);
    }

    private static PatientState next(PatientState state, Map<String, FeatureValue> features, Instant eventTime) {
        Instant last = state.getLastEventTime();
        return PatientState.newBuilder(state)
                .setVersion(state.getVersion() + 1)
                .setFeatures(features)
                .setLastEventTime(last == null || eventTime.isAfter(last) ? eventTime : last)
                .build();
    }
}
