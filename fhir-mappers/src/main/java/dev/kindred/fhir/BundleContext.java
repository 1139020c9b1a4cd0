package dev.kindred.fhir;

import java.util.HashMap;
import java.util.Map;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * The resources of one Bundle, so that references between its entries resolve: by {@code fullUrl}
 * ({@code urn:uuid:…} or absolute), by {@code Type/id} (from the resource's id or the tail of an absolute
 * fullUrl) and, for Patients, by identifier ({@code identifier:<system>|<value>}). A resource fetched for an
 * id-only notification is added the same way. Outside a Bundle the context is empty.
 */
final class BundleContext {
    static final BundleContext EMPTY = new BundleContext();

    private final Map<String, Resource> resources = new HashMap<>();
    private final Map<String, Patient> patients = new HashMap<>();

    private BundleContext() {
    }

    static BundleContext of(Bundle bundle) {
        BundleContext context = new BundleContext();
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            if (entry.getResource() != null) {
                context.add(entry.hasFullUrl() ? entry.getFullUrl() : null, entry.getResource());
            }
        }
        return context;
    }

    void add(String fullUrl, Resource resource) {
        if (fullUrl != null && !fullUrl.isBlank()) {
            put(fullUrl, resource);
            IdType url = new IdType(fullUrl);
            if (!fullUrl.regionMatches(true, 0, "urn:", 0, 4) && url.hasResourceType() && url.hasIdPart()) {
                put(url.getResourceType() + "/" + url.getIdPart(), resource);
            }
        }
        if (resource.hasIdElement() && resource.getIdElement().hasIdPart()) {
            String id = resource.getIdElement().getIdPart();
            if (!id.regionMatches(true, 0, "urn:", 0, 4)) {
                put(resource.fhirType() + "/" + id, resource);
            }
        }
        if (resource instanceof Patient) {
            for (Identifier identifier : ((Patient) resource).getIdentifier()) {
                if (identifier.hasValue()) {
                    patients.putIfAbsent(PatientReferences.identifierKey(identifier), (Patient) resource);
                }
            }
        }
    }

    private void put(String key, Resource resource) {
        // A Bundle may hold several versions of one resource (a history); the last entry wins.
        resources.put(key, resource);
        if (resource instanceof Patient) {
            patients.put(key, (Patient) resource);
        }
    }

    /** Patients by fullUrl, Type/id and identifier key, for {@link PatientReferences}. */
    Map<String, Patient> patients() {
        return patients;
    }

    /** The entry a reference points at (fullUrl, then Type/id without base or version), or null. */
    Resource resolve(String reference) {
        if (reference == null || reference.isBlank() || resources.isEmpty()) {
            return null;
        }
        Resource exact = resources.get(reference);
        if (exact != null || reference.regionMatches(true, 0, "urn:", 0, 4) || reference.startsWith("#")) {
            return exact;
        }
        IdType id = new IdType(reference);
        if (id.hasResourceType() && id.hasIdPart()) {
            return resources.get(id.getResourceType() + "/" + id.getIdPart());
        }
        return null;
    }

    boolean isEmpty() {
        return resources.isEmpty();
    }
}
