package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Medication;

/**
 * Medication references that a treatment resource cannot resolve by itself: the key both sides meet on
 * ({@code Medication/<id>}, whatever base or version the reference carries) and the completion of a waiting
 * treatment fact once its Medication is known.
 */
public final class MedicationReferences {
    /** Placeholder system and code of a fact that waits for its Medication; never leaves the mapping step. */
    static final String PENDING = "pending-medication";

    private MedicationReferences() {
    }

    /**
     * The table key of a literal reference to a Medication ({@code Medication/1}, an absolute URL, with or
     * without {@code _history}), or null for references that cannot name one outside their Bundle
     * ({@code urn:}, {@code #contained}, another type).
     */
    public static String keyOf(String reference) {
        if (reference == null || reference.isBlank() || reference.startsWith("#")
                || reference.regionMatches(true, 0, "urn:", 0, 4)) {
            return null;
        }
        IdType id = new IdType(reference);
        return "Medication".equals(id.getResourceType()) && id.hasIdPart() ? "Medication/" + id.getIdPart() : null;
    }

    /** The entry of a Medication resource, or null when it has no id (nothing outside its Bundle can name it). */
    static MedicationEntry entryOf(Medication medication, String fullUrl) {
        String key = fullUrl == null ? null : keyOf(fullUrl);
        if (key == null && medication.hasIdElement() && medication.getIdElement().hasIdPart()) {
            // HAPI gives a Bundle entry the id of its fullUrl: urn:uuid:<id> stands for the resource's own id,
            // the one a Bulk export or a server names it by (Synthea uses the same uuid for both).
            String id = medication.getIdElement().getIdPart();
            if (id.regionMatches(true, 0, "urn:uuid:", 0, 9)) {
                id = id.substring(9);
            }
            key = id.regionMatches(true, 0, "urn:", 0, 4) ? null : "Medication/" + id;
        }
        if (key == null) {
            return null;
        }
        Coding c = MappingSupport.pick(medication.getCode(), MappingSupport.RXNORM);
        return c == null ? new MedicationEntry(key, null, null, null)
                : new MedicationEntry(key, c.getSystem(), c.getCode(), c.getDisplay());
    }

    /**
     * The waiting fact with the Medication's coding.
     *
     * @throws Rejection unknown-medication when the Medication has no coding with both system and code
     */
    public static ClinicalFact complete(ClinicalFact waiting, MedicationEntry medication) {
        if (!medication.hasCode()) {
            throw new Rejection(RejectionReason.UNKNOWN_MEDICATION, waiting.getSourceResourceType()
                    + " refers to " + medication.key() + ", which has no coding with both system and code",
                    waiting.getSourceResourceType(), waiting.getSourceResourceId());
        }
        return ClinicalFact.newBuilder(waiting)
                .setSystem(medication.system())
                .setCode(medication.code())
                .setDisplay(medication.display())
                .build();
    }
}
