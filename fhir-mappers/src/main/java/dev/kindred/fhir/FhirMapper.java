package dev.kindred.fhir;

import dev.kindred.fhir.catalog.FeatureCatalog;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Entry point of the mapping: one Kafka record value (FHIR JSON, a resource or a Bundle of any type) in,
 * clinical facts and typed rejections out. A bad entry in a Bundle rejects that entry only.
 *
 * <p>Thread-safe; holds no per-record state.
 */
public final class FhirMapper {
    private final FeatureCatalog catalog;
    private final ObservationMapper observations;

    public FhirMapper(FeatureCatalog catalog) {
        this.catalog = catalog;
        this.observations = new ObservationMapper(catalog);
    }

    public FeatureCatalog catalog() {
        return catalog;
    }

    /**
     * Maps one record. Malformed input gives a single malformed-json rejection; it never throws for bad
     * input.
     *
     * @param arrivalTime when the record arrived, used when a resource carries no time of its own
     */
    public MappingResult map(byte[] json, Instant arrivalTime) {
        MappingResult result = new MappingResult();
        Resource resource;
        try {
            resource = FhirParsing.parse(json);
        } catch (Rejection r) {
            result.reject(r);
            return result;
        }
        if (resource instanceof Bundle) {
            mapBundle((Bundle) resource, arrivalTime, result);
        } else {
            mapResource(resource, Map.of(), arrivalTime, result);
        }
        return result;
    }

    private void mapBundle(Bundle bundle, Instant arrivalTime, MappingResult result) {
        Map<String, Patient> patients = new HashMap<>();
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            if (entry.getResource() instanceof Patient && entry.hasFullUrl()) {
                patients.put(entry.getFullUrl(), (Patient) entry.getResource());
                Patient p = (Patient) entry.getResource();
                if (p.hasIdElement() && p.getIdElement().hasIdPart()) {
                    patients.put("Patient/" + p.getIdElement().getIdPart(), p);
                }
            }
        }
        boolean notification = bundle.getType() == Bundle.BundleType.HISTORY && !bundle.getEntry().isEmpty()
                && bundle.getEntryFirstRep().getResource() instanceof Parameters;
        int resourcesBefore = result.resources();
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            Resource r = entry.getResource();
            if (r == null || (notification && r instanceof Parameters)) {
                continue;
            }
            if (r instanceof Bundle) {
                mapBundle((Bundle) r, arrivalTime, result);
            } else {
                mapResource(r, patients, arrivalTime, result);
            }
        }
        if (notification && result.resources() == resourcesBefore && bundle.getEntry().size() > 1) {
            result.reject(new Rejection(RejectionReason.ID_ONLY_NOTIFICATION,
                    "subscription notification carries resource ids only and no FHIR server is configured to fetch them",
                    "Bundle", bundle.getIdElement().getIdPart()));
        }
    }

    private void mapResource(Resource resource, Map<String, Patient> bundledPatients, Instant arrivalTime,
            MappingResult result) {
        result.countResource();
        String type = resource.fhirType();
        String id = resource.hasIdElement() ? resource.getIdElement().getIdPart() : null;
        try {
            if (resource instanceof Observation) {
                Observation obs = (Observation) resource;
                String key = PatientReferences.patientKey(obs.getSubject(), obs, bundledPatients);
                var facts = observations.map(obs, key, arrivalTime);
                if (facts.isEmpty()) {
                    result.countIgnored();
                }
                result.addFacts(facts);
            } else {
                throw new Rejection(RejectionReason.UNSUPPORTED_RESOURCE,
                        "resource type " + type + " is not consumed by Kindred");
            }
        } catch (Rejection r) {
            result.reject(r.about(type, id));
        }
    }
}
