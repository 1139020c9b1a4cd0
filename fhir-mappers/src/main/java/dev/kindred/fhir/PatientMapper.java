package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.Demographics;
import dev.kindred.avro.FactKind;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Patient;

/**
 * Maps a Patient to one DEMOGRAPHICS fact: birth date, administrative gender, deceased (deceasedBoolean, or a
 * deceasedDateTime, which also gives the time of death). Age is not computed here: it depends on the time of
 * each event and is derived downstream from the birth date. Nothing else of the Patient (names, addresses,
 * telecom, identifiers beyond the key) leaves the mapper.
 *
 * <p>The fact's code is the gender ({@code http://hl7.org/fhir/administrative-gender}, {@code unknown} when
 * absent); its effective time is {@code meta.lastUpdated} (source ISSUED) or the arrival time.
 */
final class PatientMapper {
    static final String GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender";

    ClinicalFact map(Patient patient, String fullUrl, Instant arrivalTime) {
        String key = PatientReferences.keyOf(patient, fullUrl);
        Demographics.Builder demographics = Demographics.newBuilder();
        if (patient.hasBirthDateElement() && !patient.getBirthDateElement().isEmpty()) {
            Instant birth = FhirTimes.toInstant(patient.getBirthDateElement());
            demographics.setBirthDate(LocalDate.ofInstant(birth, ZoneOffset.UTC));
        }
        String gender = patient.hasGender() ? patient.getGender().toCode() : null;
        demographics.setGender(gender);
        if (patient.hasDeceased()) {
            if (patient.getDeceased() instanceof BooleanType) {
                demographics.setDeceased(((BooleanType) patient.getDeceased()).booleanValue());
            } else if (patient.getDeceased() instanceof DateTimeType) {
                demographics.setDeceased(true).setDeceasedTime(FhirTimes.toInstant((DateTimeType) patient.getDeceased()));
            }
        }
        Instant updated = patient.getMeta().hasLastUpdated()
                ? FhirTimes.toInstant(patient.getMeta().getLastUpdatedElement()) : null;
        return MappingSupport.fact(FactKind.DEMOGRAPHICS, key, patient, MappingSupport.When.of(null, updated, arrivalTime))
                .setSystem(GENDER_SYSTEM)
                .setCode(gender != null ? gender : "unknown")
                .setDemographics(demographics.build())
                .build();
    }
}
