package dev.kindred.topology.patient;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.TriggerType;

/** A clinically meaningful change that calls for an alert: the fact behind it and why it matters. */
public record Trigger(TriggerType type, ClinicalFact fact, RangeCheck check) {
}
