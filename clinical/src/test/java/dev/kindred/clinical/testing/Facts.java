package dev.kindred.clinical.testing;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.Demographics;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.ImagingFacts;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/** ClinicalFacts built directly, as the mapper would emit them, for unit tests. */
public final class Facts {
    public static final String LOINC = "http://loinc.org";
    public static final String SNOMED = "http://snomed.info/sct";
    public static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";

    private Facts() {
    }

    public static Instant day(String date) {
        return Instant.parse(date + "T10:00:00Z");
    }

    public static ClinicalFact measurement(String patient, String featureId, double value, String date, String id) {
        return base(patient, FactKind.MEASUREMENT, LOINC, featureId, day(date), "Observation", id)
                .setFeatureId(featureId).setValue(value).setUnit("1").build();
    }

    public static ClinicalFact demographics(String patient, String gender, String birthDate) {
        return base(patient, FactKind.DEMOGRAPHICS, "http://hl7.org/fhir/administrative-gender", gender,
                Instant.EPOCH, "Patient", patient)
                .setDemographics(Demographics.newBuilder().setGender(gender).setBirthDate(LocalDate.parse(birthDate)).build())
                .build();
    }

    public static ClinicalFact diagnosis(String patient, String code, String display, String onset, String abatement,
            String id) {
        return base(patient, FactKind.DIAGNOSIS, SNOMED, code, day(onset), "Condition", id)
                .setDisplay(display).setStatus(abatement == null ? "active" : "resolved")
                .setEndTime(abatement == null ? null : day(abatement)).build();
    }

    public static ClinicalFact medication(String patient, String rxnorm, String display, String date, String id,
            String... reasons) {
        return base(patient, FactKind.TREATMENT, RXNORM, rxnorm, day(date), "MedicationRequest", id)
                .setDisplay(display).setStatus("active").setReasons(List.of(reasons)).build();
    }

    public static ClinicalFact procedure(String patient, String snomed, String display, String date, String id,
            String outcome, String... reasons) {
        return base(patient, FactKind.TREATMENT, SNOMED, snomed, day(date), "Procedure", id)
                .setDisplay(display).setStatus("completed").setOutcome(outcome).setReasons(List.of(reasons)).build();
    }

    public static ClinicalFact imaging(String patient, String modality, String bodySite, String date, String id,
            List<Float> embedding) {
        return base(patient, FactKind.IMAGING, "http://dicom.nema.org/resources/ontology/DCM", modality, day(date),
                "ImagingStudy", id)
                .setImaging(ImagingFacts.newBuilder().setModalities(List.of(modality))
                        .setBodySites(bodySite == null ? List.of() : List.of(bodySite)).setSeries(1).setInstances(1)
                        .setEmbedding(embedding).build())
                .build();
    }

    public static ClinicalFact retracted(ClinicalFact fact) {
        return ClinicalFact.newBuilder(fact).setRetracted(true).build();
    }

    private static ClinicalFact.Builder base(String patient, FactKind kind, String system, String code, Instant time,
            String type, String id) {
        return ClinicalFact.newBuilder().setPatientKey(patient).setKind(kind).setSystem(system).setCode(code)
                .setEffectiveTime(time).setSourceResourceType(type).setSourceResourceId(id);
    }
}
