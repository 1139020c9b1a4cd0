package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import java.time.Instant;
import java.util.List;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationAdministration;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Type;

/**
 * Maps MedicationRequest, MedicationAdministration and Procedure to TREATMENT facts.
 *
 * <ul>
 *   <li>code: for medications the RxNorm coding (else the first coding with system and code, e.g. NDC or
 *       SNOMED CT) of {@code medicationCodeableConcept}, or of the Medication that {@code medicationReference}
 *       points at (contained, in the same Bundle, or fetched from the configured FHIR server); a
 *       {@code Medication/<id>} reference found nowhere of these gives an {@link AwaitingMedication} instead, to be
 *       completed when that Medication arrives as a record of its own; a medication without a code, or a
 *       reference that cannot name a Medication outside its Bundle and is not in it, is rejected unknown-medication. For procedures the SNOMED CT
 *       coding of {@code code}, else the first with system and code; none → missing-code.</li>
 *   <li>status: the resource's status code as sent.</li>
 *   <li>effective time = start: {@code authoredOn} (request; else the dispense validity start), effective[x]
 *       (administration), performed[x] (procedure; dateTime or Period start); else {@code meta.lastUpdated}
 *       (ISSUED), else the arrival time. End time: the Period's end, or the request's dispense validity end.</li>
 *   <li>outcome: {@code Procedure.outcome} as system|code (a text-only outcome is not carried: free text).</li>
 *   <li>reasons: reasonCode as system|code and reasonReference as Type/id.</li>
 *   <li>retracted: the source says the treatment was recorded in error or did not happen:
 *       entered-in-error (all three), cancelled (request), not-done (administration, procedure).</li>
 * </ul>
 */
final class TreatmentMapper {
    private final ResourceFetcher fetcher;

    TreatmentMapper(ResourceFetcher fetcher) {
        this.fetcher = fetcher;
    }

    ClinicalFact map(MedicationRequest request, String patientKey, BundleContext bundle, Instant arrivalTime) {
        Coding code = medicationCode(request, request.getMedication(), bundle);
        Instant start = FhirTimes.toInstant(request.getAuthoredOnElement());
        Instant end = null;
        if (request.hasDispenseRequest() && request.getDispenseRequest().hasValidityPeriod()) {
            Period validity = request.getDispenseRequest().getValidityPeriod();
            if (start == null) {
                start = FhirTimes.toInstant(validity.getStartElement());
            }
            end = FhirTimes.toInstant(validity.getEndElement());
        }
        String status = request.hasStatus() ? request.getStatus().toCode() : null;
        return awaitIfPending(code, build(request, patientKey, code, start, end, status,
                "entered-in-error".equals(status) || "cancelled".equals(status),
                MappingSupport.reasons(request.getReasonCode(), request.getReasonReference(), bundle), arrivalTime));
    }

    ClinicalFact map(MedicationAdministration administration, String patientKey, BundleContext bundle,
            Instant arrivalTime) {
        Coding code = medicationCode(administration, administration.getMedication(), bundle);
        Instant[] period = period(administration.getEffective());
        String status = administration.hasStatus() ? administration.getStatus().toCode() : null;
        return awaitIfPending(code, build(administration, patientKey, code, period[0], period[1], status,
                "entered-in-error".equals(status) || "not-done".equals(status),
                MappingSupport.reasons(administration.getReasonCode(), administration.getReasonReference(), bundle),
                arrivalTime));
    }

    /** A fact whose medication is a reference not at hand waits for it (see {@link MedicationReferences}). */
    private static ClinicalFact awaitIfPending(Coding code, ClinicalFact fact) {
        if (MedicationReferences.PENDING.equals(code.getSystem())) {
            throw new AwaitMedication(code.getCode(), fact);
        }
        return fact;
    }

    ClinicalFact map(Procedure procedure, String patientKey, BundleContext bundle, Instant arrivalTime) {
        Coding code = MappingSupport.pick(procedure.getCode(), MappingSupport.SNOMED);
        if (code == null) {
            throw MappingSupport.missingCode(procedure, "code");
        }
        Instant[] period = period(procedure.getPerformed());
        String status = procedure.hasStatus() ? procedure.getStatus().toCode() : null;
        ClinicalFact fact = build(procedure, patientKey, code, period[0], period[1], status,
                "entered-in-error".equals(status) || "not-done".equals(status),
                MappingSupport.reasons(procedure.getReasonCode(), procedure.getReasonReference(), bundle), arrivalTime);
        Coding outcome = MappingSupport.pick(procedure.getOutcome(), MappingSupport.SNOMED);
        if (outcome != null) {
            fact.setOutcome(MappingSupport.systemCode(outcome));
        }
        return fact;
    }

    private static ClinicalFact build(DomainResource resource, String patientKey, Coding code, Instant start,
            Instant end, String status, boolean retracted, List<String> reasons, Instant arrivalTime) {
        Instant updated = resource.getMeta().hasLastUpdated()
                ? FhirTimes.toInstant(resource.getMeta().getLastUpdatedElement()) : null;
        return MappingSupport.fact(FactKind.TREATMENT, patientKey, resource,
                        MappingSupport.When.of(start, updated, arrivalTime))
                .setSystem(code.getSystem())
                .setCode(code.getCode())
                .setDisplay(code.getDisplay())
                .setStatus(status)
                .setEndTime(end)
                .setRetracted(retracted)
                .setReasons(reasons)
                .build();
    }

    /** Start and end of a dateTime or Period choice; nulls when absent or another type. */
    private static Instant[] period(Type value) {
        if (value instanceof DateTimeType) {
            return new Instant[] {FhirTimes.toInstant((DateTimeType) value), null};
        }
        if (value instanceof Period) {
            Period p = (Period) value;
            Instant start = FhirTimes.toInstant(p.getStartElement());
            Instant end = FhirTimes.toInstant(p.getEndElement());
            return new Instant[] {start != null ? start : end, end};
        }
        return new Instant[] {null, null};
    }

    private Coding medicationCode(DomainResource owner, Type medication, BundleContext bundle) {
        String type = owner.fhirType();
        String id = MappingSupport.idOf(owner);
        if (medication instanceof CodeableConcept) {
            Coding c = MappingSupport.pick((CodeableConcept) medication, MappingSupport.RXNORM);
            if (c == null) {
                throw new Rejection(RejectionReason.UNKNOWN_MEDICATION,
                        type + " medicationCodeableConcept has no coding with both system and code", type, id);
            }
            return c;
        }
        if (!(medication instanceof Reference) || !((Reference) medication).hasReference()) {
            throw new Rejection(RejectionReason.UNKNOWN_MEDICATION, type + " names no medication (no medication[x]"
                    + " code or reference)", type, id);
        }
        String ref = ((Reference) medication).getReference();
        Resource target = null;
        if (ref.startsWith("#")) {
            for (Resource contained : owner.getContained()) {
                String cid = contained.getIdElement().getIdPart();
                if (cid != null && (cid.equals(ref.substring(1)) || cid.equals(ref))) {
                    target = contained;
                }
            }
        } else {
            target = bundle.resolve(ref);
            if (target == null && !ref.regionMatches(true, 0, "urn:", 0, 4) && fetcher.enabled()) {
                target = fetcher.fetch(ref);
            }
        }
        String key = MedicationReferences.keyOf(ref);
        if (target == null && key != null) {
            // A Medication sent as a record of its own (Bulk Medication.ndjson, a server's separate resource):
            // the fact waits for it in the topology's medication table instead of being lost.
            return new Coding(MedicationReferences.PENDING, key, null);
        }
        if (!(target instanceof Medication)) {
            throw new Rejection(RejectionReason.UNKNOWN_MEDICATION, type + " medicationReference " + describe(ref)
                    + (target == null ? " is neither contained, in the same Bundle nor fetchable"
                            : " points at a " + target.fhirType() + ", not a Medication"), type, id);
        }
        Coding c = MappingSupport.pick(((Medication) target).getCode(), MappingSupport.RXNORM);
        if (c == null) {
            throw new Rejection(RejectionReason.UNKNOWN_MEDICATION, type + " refers to a Medication without a coding"
                    + " with both system and code", type, id);
        }
        return c;
    }

    /** A reference is an id, not a value: safe to name in messages. */
    private static String describe(String ref) {
        return ref.length() > 120 ? ref.substring(0, 120) + "…" : ref;
    }
}
