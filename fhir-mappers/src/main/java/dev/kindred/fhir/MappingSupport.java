package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.EffectiveTimeSource;
import dev.kindred.avro.FactKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/** Pieces shared by the resource mappers: times with their source, code picking, reasons, the fact skeleton. */
final class MappingSupport {
    static final String SNOMED = "http://snomed.info/sct";
    static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
    static final String DICOM = "http://dicom.nema.org/resources/ontology/DCM";

    private MappingSupport() {
    }

    /** A fact's effective time and where it came from. */
    record When(Instant time, EffectiveTimeSource source) {
        /** The first of effective, issued (recorded) and arrival time that is present. */
        static When of(Instant effective, Instant issued, Instant arrival) {
            if (effective != null) {
                return new When(effective, EffectiveTimeSource.EFFECTIVE);
            }
            if (issued != null) {
                return new When(issued, EffectiveTimeSource.ISSUED);
            }
            return new When(arrival, EffectiveTimeSource.ARRIVAL);
        }
    }

    /**
     * The coding to use from a concept: the first with system and code in a preferred system (in order of
     * preference), else the first with system and code; null when none has both.
     */
    static Coding pick(CodeableConcept concept, String... preferredSystems) {
        if (concept == null) {
            return null;
        }
        for (String system : preferredSystems) {
            for (Coding c : concept.getCoding()) {
                if (system.equals(c.getSystem()) && c.hasCode()) {
                    return c;
                }
            }
        }
        for (Coding c : concept.getCoding()) {
            if (c.hasSystem() && c.hasCode()) {
                return c;
            }
        }
        return null;
    }

    static String systemCode(Coding coding) {
        return coding.getSystem() + "|" + coding.getCode();
    }

    /** Every coding with system and code of the concepts, as system|code, in order, without duplicates. */
    static List<String> systemCodes(List<CodeableConcept> concepts) {
        Set<String> out = new LinkedHashSet<>();
        for (CodeableConcept concept : concepts) {
            for (Coding c : concept.getCoding()) {
                if (c.hasSystem() && c.hasCode()) {
                    out.add(systemCode(c));
                }
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * What a treatment addresses: reason codes as system|code, reason references as Type/id (a reference to a
     * resource of the same Bundle becomes that resource's Type/id; an unresolved urn:uuid stays as it is).
     */
    static List<String> reasons(List<CodeableConcept> codes, List<Reference> references, BundleContext bundle) {
        Set<String> out = new LinkedHashSet<>(systemCodes(codes));
        for (Reference r : references) {
            String ref = r.getReference();
            if (ref == null || ref.isBlank() || ref.startsWith("#")) {
                continue;
            }
            Resource target = bundle.resolve(ref);
            if (target != null && idOf(target) != null) {
                out.add(target.fhirType() + "/" + idOf(target));
                continue;
            }
            if (ref.regionMatches(true, 0, "urn:", 0, 4)) {
                out.add(ref);
                continue;
            }
            IdType id = new IdType(ref);
            out.add(id.hasResourceType() && id.hasIdPart() ? id.getResourceType() + "/" + id.getIdPart() : ref);
        }
        return new ArrayList<>(out);
    }

    /** The skeleton every fact shares. */
    static ClinicalFact.Builder fact(FactKind kind, String patientKey, Resource source, When when) {
        return ClinicalFact.newBuilder()
                .setPatientKey(patientKey)
                .setKind(kind)
                .setEffectiveTime(when.time())
                .setEffectiveTimeSource(when.source())
                .setSourceResourceType(source.fhirType())
                .setSourceResourceId(idOf(source));
    }

    /**
     * The logical id of a resource. HAPI gives a Bundle entry the id of its fullUrl, so a resource under
     * {@code urn:uuid:x} has the id {@code urn:uuid:x}: the prefix is dropped, so that the same resource sent
     * alone or in a Bundle has the same id (retractions match on it).
     */
    static String idOf(Resource resource) {
        if (!resource.hasIdElement() || !resource.getIdElement().hasIdPart()) {
            return null;
        }
        String id = resource.getIdElement().getIdPart();
        return id.regionMatches(true, 0, "urn:uuid:", 0, 9) ? id.substring(9) : id;
    }

    static Rejection missingCode(Resource resource, String element) {
        return new Rejection(RejectionReason.MISSING_CODE,
                resource.fhirType() + " has no " + element + " coding with both system and code",
                resource.fhirType(), idOf(resource));
    }
}
