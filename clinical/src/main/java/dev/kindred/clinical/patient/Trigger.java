package dev.kindred.clinical.patient;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.TriggerType;

/**
 * A clinically meaningful change that calls for an alert: the fact behind it, why it matters and how
 * severe it is.
 *
 * @param check the range check of an OUT_OF_RANGE trigger; null for the other types
 */
public record Trigger(TriggerType type, ClinicalFact fact, RangeCheck check, AlertIndicator severity) {

    /** An OUT_OF_RANGE trigger, as severe as its range check says. */
    public Trigger(TriggerType type, ClinicalFact fact, RangeCheck check) {
        this(type, fact, check, check.severity());
    }

    /**
     * What the alert is about, for suppression: the feature and the side of its range for a value out of
     * range, the code for a diagnosis or an imaging study. Two triggers with the same cause are the same
     * news for the same patient.
     */
    public String cause() {
        return switch (type) {
            case OUT_OF_RANGE -> type + "|" + fact.getFeatureId() + "|"
                    + (check == null || check.direction() == 0 ? "outside" : check.direction() > 0 ? "above" : "below");
            case NEW_DIAGNOSIS, NEW_IMAGING_STUDY -> type + "|" + fact.getSystem() + "|" + fact.getCode();
        };
    }
}
