package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;

/**
 * A MedicationRequest or MedicationAdministration whose {@code medicationReference} names a Medication that is
 * neither contained, in the same Bundle nor fetchable: its TREATMENT fact is complete except for the code, and
 * waits for the Medication {@code medicationKey} ({@link MedicationReferences#complete}).
 *
 * @param resourceJson the treatment resource alone as FHIR JSON, for the dead letter should the Medication never come
 */
public record AwaitingMedication(String medicationKey, ClinicalFact fact, byte[] resourceJson) {
}
