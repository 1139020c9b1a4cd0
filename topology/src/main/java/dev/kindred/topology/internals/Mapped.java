package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DeadLetter;

/** What the mapping step emits for one input record: a fact for the patient, or a dead letter. */
public record Mapped(ClinicalFact fact, DeadLetter deadLetter) {

    public static Mapped fact(ClinicalFact fact) {
        return new Mapped(fact, null);
    }

    public static Mapped deadLetter(DeadLetter deadLetter) {
        return new Mapped(null, deadLetter);
    }

    public boolean isFact() {
        return fact != null;
    }
}
