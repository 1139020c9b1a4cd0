package dev.kindred.fhir;

import java.util.Locale;
import java.util.Map;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Turns the patient reference forms that FHIR servers emit into one patient key, so that every fact
 * about a patient lands on the same key whichever form a source used:
 * <ul>
 *   <li>{@code Patient/123}, {@code Patient/123/_history/4}, {@code https://host/fhir/Patient/123} → {@code 123}</li>
 *   <li>{@code urn:uuid:abc} → {@code abc}, or the id of the Patient the enclosing Bundle holds under that
 *       fullUrl</li>
 *   <li>{@code #p1} (a contained Patient) and a logical reference (identifier only) →
 *       {@code identifier:<system>|<value>} of the patient's first identifier; a logical reference whose
 *       identifier belongs to a Patient in the same Bundle → that Patient's key</li>
 * </ul>
 * A Patient resource gets the same key as references to it ({@link #keyOf(Patient, String)}).
 * The server base of an absolute URL is dropped: Kindred assumes one hospital's patients share one id space.
 */
public final class PatientReferences {
    private static final String URN_UUID = "urn:uuid:";

    private PatientReferences() {
    }

    /**
     * The patient key for {@code reference}, found on {@code owner}.
     *
     * @param bundledPatients Patients of the enclosing Bundle by fullUrl, Type/id and identifier key (empty
     *     outside a Bundle)
     * @throws Rejection missing-subject, unsupported-subject or unresolvable-subject
     */
    public static String patientKey(Reference reference, Resource owner, Map<String, Patient> bundledPatients) {
        if (reference == null || reference.isEmpty()) {
            throw new Rejection(RejectionReason.MISSING_SUBJECT, owner.fhirType() + " has no patient reference");
        }
        if (reference.hasType() && !"Patient".equals(reference.getType())) {
            throw unsupported(owner, reference.getType());
        }
        String ref = reference.getReference();
        if (ref == null || ref.isBlank()) {
            if (reference.getResource() instanceof Patient) {
                return keyOf((Patient) reference.getResource(), owner);
            }
            if (reference.hasIdentifier()) {
                Patient known = reference.getIdentifier().hasValue()
                        ? bundledPatients.get(identifierKey(reference.getIdentifier())) : null;
                return known != null ? keyOf(known, owner) : identifierKey(reference.getIdentifier(), owner);
            }
            throw new Rejection(RejectionReason.MISSING_SUBJECT, owner.fhirType() + " has an empty patient reference");
        }
        if (ref.startsWith("#")) {
            return containedKey(ref.substring(1), reference, owner);
        }
        if (ref.regionMatches(true, 0, URN_UUID, 0, URN_UUID.length())) {
            Patient bundled = bundledPatients.get(ref);
            if (bundled != null && (hasLogicalId(bundled) || bundled.hasIdentifier())) {
                return keyOf(bundled, owner);
            }
            String uuid = ref.substring(URN_UUID.length()).toLowerCase(Locale.ROOT);
            if (uuid.isBlank()) {
                throw new Rejection(RejectionReason.UNRESOLVABLE_SUBJECT, "empty urn:uuid patient reference");
            }
            return uuid;
        }
        Patient bundled = bundledPatients.get(ref);
        if (bundled != null) {
            return keyOf(bundled, owner);
        }
        IdType id = new IdType(ref);
        if (id.hasIdPart() && id.hasResourceType()) {
            bundled = bundledPatients.get(id.getResourceType() + "/" + id.getIdPart());
            if (bundled != null && (hasLogicalId(bundled) || bundled.hasIdentifier())) {
                return keyOf(bundled, owner);
            }
        }
        if (!id.hasIdPart() || !id.hasResourceType()) {
            throw new Rejection(RejectionReason.UNRESOLVABLE_SUBJECT,
                    owner.fhirType() + " patient reference is neither Type/id, an absolute URL nor urn:uuid");
        }
        if (!"Patient".equals(id.getResourceType())) {
            throw unsupported(owner, id.getResourceType());
        }
        return id.getIdPart();
    }

    /**
     * The patient key a reference string gives on its own, without a Bundle around it: {@code Patient/123},
     * {@code Patient/123/_history/4}, {@code https://host/fhir/Patient/123} → {@code 123}; {@code urn:uuid:abc} →
     * {@code abc}. Null for anything else (another resource type, a contained {@code #id}, a blank string), as
     * the readers that group records by patient before mapping them need it.
     */
    public static String patientKey(String reference) {
        if (reference == null || reference.isBlank() || reference.startsWith("#")) {
            return null;
        }
        if (reference.regionMatches(true, 0, URN_UUID, 0, URN_UUID.length())) {
            String uuid = reference.substring(URN_UUID.length()).toLowerCase(Locale.ROOT);
            return uuid.isBlank() ? null : uuid;
        }
        IdType id = new IdType(reference);
        return id.hasIdPart() && "Patient".equals(id.getResourceType()) ? id.getIdPart() : null;
    }

    /**
     * The key of a Patient resource found in a Bundle under {@code fullUrl}: its logical id, else its first
     * identifier, else the uuid of a {@code urn:uuid:} fullUrl, which is what a reference to it gives too.
     */
    public static String keyOf(Patient patient, String fullUrl) {
        if (hasLogicalId(patient) || patient.hasIdentifier() || fullUrl == null
                || !fullUrl.regionMatches(true, 0, URN_UUID, 0, URN_UUID.length())
                || fullUrl.length() == URN_UUID.length()) {
            return keyOf(patient, patient);
        }
        return fullUrl.substring(URN_UUID.length()).toLowerCase(Locale.ROOT);
    }

    private static boolean hasLogicalId(Patient patient) {
        return patient.hasIdElement() && patient.getIdElement().hasIdPart()
                && !patient.getIdElement().getIdPart().startsWith("#");
    }

    /** The key of a Patient resource itself: its logical id (with a bundle's urn:uuid: prefix removed). */
    public static String keyOf(Patient patient, Resource owner) {
        if (patient.hasIdElement() && patient.getIdElement().hasIdPart()) {
            String id = patient.getIdElement().getIdPart();
            if (id.regionMatches(true, 0, URN_UUID, 0, URN_UUID.length())) {
                return id.substring(URN_UUID.length()).toLowerCase(Locale.ROOT);
            }
            if (!id.startsWith("#")) {
                return id;
            }
        }
        if (patient.hasIdentifier()) {
            return identifierKey(patient.getIdentifierFirstRep(), owner);
        }
        throw new Rejection(RejectionReason.UNRESOLVABLE_SUBJECT, "Patient has neither an id nor an identifier");
    }

    private static String containedKey(String localId, Reference reference, Resource owner) {
        if (reference.getResource() instanceof Patient) {
            Patient contained = (Patient) reference.getResource();
            if (contained.hasIdentifier()) {
                return identifierKey(contained.getIdentifierFirstRep(), owner);
            }
        }
        if (owner instanceof org.hl7.fhir.r4.model.DomainResource) {
            for (Resource r : ((org.hl7.fhir.r4.model.DomainResource) owner).getContained()) {
                String id = r.getIdElement().getIdPart();
                if (id != null && (id.equals(localId) || id.equals("#" + localId))) {
                    if (!(r instanceof Patient)) {
                        throw unsupported(owner, r.fhirType());
                    }
                    if (((Patient) r).hasIdentifier()) {
                        return identifierKey(((Patient) r).getIdentifierFirstRep(), owner);
                    }
                }
            }
        }
        throw new Rejection(RejectionReason.UNRESOLVABLE_SUBJECT,
                owner.fhirType() + " refers to a contained Patient without an identifier");
    }

    private static String identifierKey(Identifier identifier, Resource owner) {
        if (identifier == null || !identifier.hasValue()) {
            throw new Rejection(RejectionReason.UNRESOLVABLE_SUBJECT,
                    owner.fhirType() + " patient identifier has no value");
        }
        return identifierKey(identifier);
    }

    /** {@code identifier:<system>|<value>} of an identifier that has a value. */
    static String identifierKey(Identifier identifier) {
        return "identifier:" + (identifier.hasSystem() ? identifier.getSystem() : "") + "|" + identifier.getValue();
    }

    private static Rejection unsupported(Resource owner, String type) {
        return new Rejection(RejectionReason.UNSUPPORTED_SUBJECT,
                owner.fhirType() + " subject is a " + type + ", not a Patient");
    }
}
