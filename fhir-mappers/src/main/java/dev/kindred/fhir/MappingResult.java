package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What one input record (a resource or a Bundle) turned into: facts to apply, resources rejected with a
 * reason, and the count of resources read but not useful (e.g. an Observation code the catalog does not
 * know), which are not errors.
 */
public final class MappingResult {
    private final List<ClinicalFact> facts = new ArrayList<>();
    private final List<Rejection> rejections = new ArrayList<>();
    private final List<MedicationEntry> medications = new ArrayList<>();
    private final List<AwaitingMedication> awaiting = new ArrayList<>();
    private int resources;
    private int ignored;
    private int context;

    public List<ClinicalFact> facts() {
        return Collections.unmodifiableList(facts);
    }

    public List<Rejection> rejections() {
        return Collections.unmodifiableList(rejections);
    }

    /** Medication resources read (alone or in a Bundle), for the medication reference table. */
    public List<MedicationEntry> medications() {
        return Collections.unmodifiableList(medications);
    }

    /** Treatment facts waiting for a Medication that the record refers to but does not carry. */
    public List<AwaitingMedication> awaiting() {
        return Collections.unmodifiableList(awaiting);
    }

    /** Resources read from the record (a Bundle counts its entries). */
    public int resources() {
        return resources;
    }

    /** Resources that were valid but gave no fact. */
    public int ignored() {
        return ignored;
    }

    /** Bundle entries of types Kindred does not map (Encounter, Claim, Medication …), read as context only. */
    public int contextResources() {
        return context;
    }

    void addFacts(List<ClinicalFact> more) {
        facts.addAll(more);
    }

    void addMedication(MedicationEntry medication) {
        medications.add(medication);
    }

    void await(AwaitingMedication waiting) {
        awaiting.add(waiting);
    }

    void reject(Rejection rejection) {
        rejections.add(rejection);
    }

    void countResource() {
        resources++;
    }

    void countIgnored() {
        ignored++;
    }

    void countContext() {
        context++;
    }
}
