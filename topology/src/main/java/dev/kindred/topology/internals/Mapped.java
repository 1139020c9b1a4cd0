package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.MedicationLink;

/**
 * What the mapping step emits for one input record: a fact for the patient, a dead letter, or a medication link
 * (a Medication for the reference table, or a treatment waiting for one; keyed by {@code Medication/<id>}).
 */
public record Mapped(ClinicalFact fact, DeadLetter deadLetter, MedicationLink medicationLink) {

    public static Mapped fact(ClinicalFact fact) {
        return new Mapped(fact, null, null);
    }

    public static Mapped deadLetter(DeadLetter deadLetter) {
        return new Mapped(null, deadLetter, null);
    }

    public static Mapped medicationLink(MedicationLink link) {
        return new Mapped(null, null, link);
    }

    public boolean isFact() {
        return fact != null;
    }

    public boolean isMedicationLink() {
        return medicationLink != null;
    }
}
