package dev.kindred.fhir;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationAdministration;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Entry point of the mapping: one Kafka record value (FHIR JSON, a resource or a Bundle of any type) in,
 * clinical facts and typed rejections out. A bad entry in a Bundle rejects that entry only.
 *
 * <p>Resource types and their facts: Observation → MEASUREMENT/FINDING ({@link ObservationMapper}), Patient →
 * DEMOGRAPHICS, Condition → DIAGNOSIS, MedicationRequest, MedicationAdministration and Procedure → TREATMENT,
 * ImagingStudy → IMAGING. A record whose top-level resource is of another type is rejected
 * unsupported-resource (it was sent to Kindred on purpose); inside a Bundle, entries of other types
 * (Encounter, Claim, Organization …) are context and are counted as ignored. Medication resources, alone or in a
 * Bundle, give {@link MappingResult#medications() medication entries} for the reference table, and a request
 * naming a {@code Medication/<id>} it cannot resolve gives an {@link MappingResult#awaiting() awaiting} fact.
 *
 * <p>Bundles of every type are unwrapped, nested Bundles too; references between entries resolve through
 * their fullUrls. A subscription notification (a {@code history} Bundle whose first entry is the
 * subscription status {@code Parameters}) yields the resources it carries; handshakes and heartbeats yield
 * nothing. An id-only notification (entries with a fullUrl but no resource, or focus references in the
 * status that the Bundle does not carry) is rejected id-only-notification unless a {@link ResourceFetcher} is
 * configured, which then fetches the missing resources of the types above (fetch-failed for each one that
 * cannot be had; those of other types are ignored).
 *
 * <p>Thread-safe; holds no per-record state.
 */
public final class FhirMapper {
    /** The resource types that give facts. */
    public static final Set<String> MAPPED_TYPES = Set.of("Observation", "Patient", "Condition", "MedicationRequest",
            "MedicationAdministration", "Procedure", "ImagingStudy");
    /** The resource types read for reference, not facts: what the treatments above refer to. */
    public static final Set<String> REFERENCE_TYPES = Set.of("Medication");

    private final FeatureCatalog catalog;
    private final ResourceFetcher fetcher;
    private final ObservationMapper observations;
    private final PatientMapper patients = new PatientMapper();
    private final ConditionMapper conditions = new ConditionMapper();
    private final TreatmentMapper treatments;
    private final ImagingStudyMapper imaging;

    public FhirMapper(FeatureCatalog catalog) {
        this(catalog, ResourceFetcher.NONE);
    }

    /** A mapper that fetches what id-only notifications and medication references name from {@code fetcher}. */
    public FhirMapper(FeatureCatalog catalog, ResourceFetcher fetcher) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.observations = new ObservationMapper(catalog);
        this.treatments = new TreatmentMapper(fetcher);
        this.imaging = new ImagingStudyMapper(catalog.imaging());
    }

    public FeatureCatalog catalog() {
        return catalog;
    }

    /**
     * Maps one record. Malformed input gives a single malformed-json (or unsupported-fhir-version) rejection;
     * it never throws for bad input.
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
            mapResource(resource, null, BundleContext.EMPTY, arrivalTime, result, true);
        }
        return result;
    }

    private void mapBundle(Bundle bundle, Instant arrivalTime, MappingResult result) {
        BundleContext context = BundleContext.of(bundle);
        SubscriptionStatus status = SubscriptionStatus.of(bundle);
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            Resource r = entry.getResource();
            if (r == null || (status != null && r instanceof Parameters && entry == bundle.getEntryFirstRep())) {
                continue;
            }
            if (r instanceof Bundle) {
                mapBundle((Bundle) r, arrivalTime, result);
            } else {
                mapResource(r, entry.hasFullUrl() ? entry.getFullUrl() : null, context, arrivalTime, result, false);
            }
        }
        if (status != null) {
            fetchMissing(bundle, status, context, arrivalTime, result);
        }
    }

    /** The resources an id-only notification names but does not carry: fetched, or one rejection for all. */
    private void fetchMissing(Bundle bundle, SubscriptionStatus status, BundleContext context, Instant arrivalTime,
            MappingResult result) {
        Map<String, String> missing = new LinkedHashMap<>(); // Type/id -> reference as sent
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            if (entry.getResource() == null && entry.hasFullUrl()) {
                addMissing(entry.getFullUrl(), context, missing);
            }
        }
        for (Reference focus : status.focus()) {
            addMissing(focus.getReference(), context, missing);
        }
        if (missing.isEmpty()) {
            return;
        }
        if (!fetcher.enabled()) {
            // Whatever the types: the notification is id-only and nothing can be made of it here.
            result.reject(new Rejection(RejectionReason.ID_ONLY_NOTIFICATION, "subscription notification names "
                    + missing.size() + " resource(s) (" + String.join(", ", missing.keySet()) + ") without carrying"
                    + " them and no FHIR server is configured to fetch them", "Bundle", MappingSupport.idOf(bundle)));
            return;
        }
        for (Map.Entry<String, String> m : missing.entrySet()) {
            String missingType = new IdType(m.getKey()).getResourceType();
            if (!MAPPED_TYPES.contains(missingType) && !REFERENCE_TYPES.contains(missingType)) {
                result.countContext();
                continue;
            }
            Resource fetched;
            try {
                fetched = fetcher.fetch(m.getKey());
            } catch (Rejection r) {
                result.countResource();
                IdType id = new IdType(m.getKey());
                result.reject(r.about(id.getResourceType(), id.getIdPart()));
                continue;
            }
            context.add(m.getValue(), fetched);
            mapResource(fetched, m.getValue(), context, arrivalTime, result, false);
        }
    }

    /** Adds a reference (Type/id or absolute) to a resource that the Bundle does not hold. */
    private static void addMissing(String reference, BundleContext context, Map<String, String> missing) {
        if (reference == null || reference.isBlank() || context.resolve(reference) != null
                || reference.regionMatches(true, 0, "urn:", 0, 4)) {
            return;
        }
        IdType id = new IdType(reference);
        if (id.hasResourceType() && id.hasIdPart()) {
            missing.putIfAbsent(id.getResourceType() + "/" + id.getIdPart(), reference);
        }
    }

    private void mapResource(Resource resource, String fullUrl, BundleContext bundle, Instant arrivalTime,
            MappingResult result, boolean topLevel) {
        String type = resource.fhirType();
        String id = MappingSupport.idOf(resource);
        if (resource instanceof Medication) {
            // Not a fact: an entry of the medication reference table that requests elsewhere may name.
            result.countResource();
            MedicationEntry entry = MedicationReferences.entryOf((Medication) resource, fullUrl);
            if (entry != null) {
                result.addMedication(entry);
            } else {
                result.countIgnored();
            }
            return;
        }
        if (!MAPPED_TYPES.contains(type)) {
            if (topLevel) {
                result.countResource();
                result.reject(new Rejection(RejectionReason.UNSUPPORTED_RESOURCE,
                        "resource type " + type + " is not consumed by Kindred", type, id));
            } else {
                result.countContext();
            }
            return;
        }
        result.countResource();
        try {
            Map<String, Patient> bundled = bundle.patients();
            List<ClinicalFact> facts;
            if (resource instanceof Observation) {
                Observation obs = (Observation) resource;
                facts = observations.map(obs, PatientReferences.patientKey(obs.getSubject(), obs, bundled), arrivalTime);
            } else if (resource instanceof Patient) {
                facts = List.of(patients.map((Patient) resource, fullUrl, arrivalTime));
            } else if (resource instanceof Condition) {
                Condition c = (Condition) resource;
                facts = List.of(conditions.map(c, PatientReferences.patientKey(c.getSubject(), c, bundled), bundle,
                        arrivalTime));
            } else if (resource instanceof MedicationRequest) {
                MedicationRequest m = (MedicationRequest) resource;
                facts = List.of(treatments.map(m, PatientReferences.patientKey(m.getSubject(), m, bundled), bundle,
                        arrivalTime));
            } else if (resource instanceof MedicationAdministration) {
                MedicationAdministration m = (MedicationAdministration) resource;
                facts = List.of(treatments.map(m, PatientReferences.patientKey(m.getSubject(), m, bundled), bundle,
                        arrivalTime));
            } else if (resource instanceof Procedure) {
                Procedure p = (Procedure) resource;
                facts = List.of(treatments.map(p, PatientReferences.patientKey(p.getSubject(), p, bundled), bundle,
                        arrivalTime));
            } else {
                ImagingStudy s = (ImagingStudy) resource;
                facts = List.of(imaging.map(s, PatientReferences.patientKey(s.getSubject(), s, bundled), arrivalTime));
            }
            if (facts.isEmpty()) {
                result.countIgnored();
            }
            result.addFacts(facts);
        } catch (AwaitMedication waiting) {
            result.await(new AwaitingMedication(waiting.medicationKey, waiting.fact,
                    FhirParsing.context().newJsonParser().encodeResourceToString(resource)
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (Rejection r) {
            result.reject(r.about(type, id));
        } catch (RuntimeException e) {
            // A bug here must not stop the stream: the record goes to the dead letter with the exception's type.
            result.reject(new Rejection(RejectionReason.INTERNAL_ERROR, "mapping " + type + " failed with "
                    + e.getClass().getName(), type, id));
        }
    }
}
