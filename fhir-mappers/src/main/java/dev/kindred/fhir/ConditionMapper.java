package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import java.time.Instant;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Period;

/**
 * Maps a Condition to one DIAGNOSIS fact: the code (SNOMED CT preferred, else the first coding with system
 * and code, e.g. ICD-10; none → missing-code), the clinical status code as status, onset as effective time
 * (onsetDateTime or onsetPeriod.start; else recordedDate, source ISSUED; else arrival) and abatement as end
 * time (abatementDateTime, or abatementPeriod end, else its start). onsetAge/onsetString and the abatement
 * equivalents carry no instant and are not used.
 *
 * <p>A verificationStatus of entered-in-error or refuted retracts the diagnosis: the source says it is not
 * (or was never) true.
 */
final class ConditionMapper {
    static final String VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

    ClinicalFact map(Condition condition, String patientKey, BundleContext bundle, Instant arrivalTime) {
        Coding code = MappingSupport.pick(condition.getCode(), MappingSupport.SNOMED);
        if (code == null) {
            throw MappingSupport.missingCode(condition, "code");
        }
        Instant onset = null;
        if (condition.hasOnsetDateTimeType()) {
            onset = FhirTimes.toInstant(condition.getOnsetDateTimeType());
        } else if (condition.hasOnsetPeriod()) {
            onset = FhirTimes.toInstant(condition.getOnsetPeriod().getStartElement());
        }
        Instant recorded = condition.hasRecordedDateElement() ? FhirTimes.toInstant(condition.getRecordedDateElement()) : null;
        Instant abatement = null;
        if (condition.hasAbatement() && condition.getAbatement() instanceof DateTimeType) {
            abatement = FhirTimes.toInstant((DateTimeType) condition.getAbatement());
        } else if (condition.hasAbatement() && condition.getAbatement() instanceof Period) {
            Period p = (Period) condition.getAbatement();
            abatement = p.hasEnd() ? FhirTimes.toInstant(p.getEndElement()) : FhirTimes.toInstant(p.getStartElement());
        }
        Coding clinical = MappingSupport.pick(condition.getClinicalStatus());
        Coding verification = MappingSupport.pick(condition.getVerificationStatus(), VERIFICATION_SYSTEM);
        boolean retracted = verification != null
                && ("entered-in-error".equals(verification.getCode()) || "refuted".equals(verification.getCode()));
        return MappingSupport.fact(FactKind.DIAGNOSIS, patientKey, condition,
                        MappingSupport.When.of(onset, recorded, arrivalTime))
                .setSystem(code.getSystem())
                .setCode(code.getCode())
                .setDisplay(code.getDisplay())
                .setStatus(clinical != null ? clinical.getCode() : null)
                .setEndTime(abatement)
                .setRetracted(retracted)
                .build();
    }
}
