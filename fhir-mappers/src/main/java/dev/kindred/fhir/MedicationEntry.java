package dev.kindred.fhir;

/**
 * A Medication resource as the medication reference table keeps it: its key ({@code Medication/<id>}) and the
 * coding a treatment that refers to it takes (RxNorm first, else the first coding with system and code). The
 * coding is null when the Medication has none usable; a treatment referring to it is then rejected.
 */
public record MedicationEntry(String key, String system, String code, String display) {
    public boolean hasCode() {
        return system != null && code != null;
    }
}
