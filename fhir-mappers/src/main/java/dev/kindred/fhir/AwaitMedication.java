package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;

/** Thrown by {@link TreatmentMapper} when a fact must wait for a Medication; the mapper turns it into a result. */
final class AwaitMedication extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final String medicationKey;
    final transient ClinicalFact fact;

    AwaitMedication(String medicationKey, ClinicalFact fact) {
        super(medicationKey, null, false, false);
        this.medicationKey = medicationKey;
        this.fact = fact;
    }
}
