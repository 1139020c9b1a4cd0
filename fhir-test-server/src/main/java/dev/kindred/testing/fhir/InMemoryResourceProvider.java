package dev.kindred.testing.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntryTransactionMethodEnum;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.annotation.ConditionalUrlParam;
import ca.uhn.fhir.rest.annotation.Create;
import ca.uhn.fhir.rest.annotation.History;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.ResourceParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Since;
import ca.uhn.fhir.rest.annotation.Sort;
import ca.uhn.fhir.rest.annotation.Update;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * A HAPI resource provider that keeps every version of one resource type in memory: read and vread, create
 * (also conditional, {@code If-None-Exist}), update (also update-as-create with a client id, and conditional
 * update {@code PUT [type]?identifier=system|value}), search by {@code _id}, {@code identifier},
 * {@code patient}/{@code subject} and {@code _lastUpdated} (sortable by {@code _lastUpdated}), and type and
 * instance history with {@code _since}.
 *
 * <p>Like HAPI's JPA server, an update whose content equals the current version is a no-op (no new
 * version), and with referential integrity on, a write that references a missing resource of a type the
 * server holds answers 400. Thread-safe (one lock per type).
 *
 * @param <T> the resource type
 */
public class InMemoryResourceProvider<T extends Resource> implements IResourceProvider {

    private static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    private final Class<T> type;
    private final String typeName;
    private final FhirContext context;
    private final Supplier<Instant> clock;
    private final String patientElement;
    private final Map<String, List<T>> versionsById = new LinkedHashMap<>();
    private long nextServerId = 1;
    private volatile BiPredicate<String, String> referenceExists;

    /**
     * @param clock gives each write its lastUpdated; must increase strictly so {@code _since} is exact
     */
    public InMemoryResourceProvider(FhirContext context, Class<T> type, Supplier<Instant> clock) {
        this.type = type;
        this.context = context;
        this.typeName = context.getResourceType(type);
        this.clock = clock;
        var definition = context.getResourceDefinition(type);
        this.patientElement = definition.getChildByName("patient") != null ? "patient"
            : definition.getChildByName("subject") != null ? "subject" : null;
    }

    @Override
    public Class<T> getResourceType() {
        return type;
    }

    /** With a check (type, id) → exists, writes referencing a missing resource fail; null turns it off. */
    void referenceCheck(BiPredicate<String, String> referenceExists) {
        this.referenceExists = referenceExists;
    }

    // ------------------------------------------------------------------------------ for tests, without HTTP

    /** Stores {@code resource} as an update of its id (a new id when it has none), as a client PUT would. */
    public synchronized T put(T resource) {
        String id = resource.getIdElement().hasIdPart() ? resource.getIdElement().getIdPart() : newServerId();
        return copyOf(store(id, resource, false).version());
    }

    /** The current version of {@code id}, if any. */
    public synchronized Optional<T> current(String id) {
        List<T> versions = versionsById.get(id);
        return versions == null ? Optional.empty() : Optional.of(copyOf(last(versions)));
    }

    /** The current version of every resource, in order of creation. */
    public synchronized List<T> all() {
        return versionsById.values().stream().map(v -> copyOf(last(v))).toList();
    }

    /** Every version of {@code id}, oldest first (empty when unknown). */
    public synchronized List<T> versions(String id) {
        return versionsById.getOrDefault(id, List.of()).stream().map(this::copyOf).toList();
    }

    /** The resources whose identifier is {@code system|value}. */
    public synchronized List<T> byIdentifier(String system, String value) {
        return currentVersions().stream().filter(r -> hasIdentifier(r, system, value)).map(this::copyOf).toList();
    }

    public synchronized boolean exists(String id) {
        return versionsById.containsKey(id);
    }

    public synchronized int size() {
        return versionsById.size();
    }

    public synchronized void clear() {
        versionsById.clear();
    }

    // ------------------------------------------------------------------------------ REST

    @Read(version = true)
    public synchronized T read(@IdParam IdType id) {
        List<T> versions = versionsById.get(id.getIdPart());
        if (versions == null) {
            throw new ResourceNotFoundException(id);
        }
        if (!id.hasVersionIdPart()) {
            return copyOf(last(versions));
        }
        return versions.stream().filter(v -> v.getMeta().getVersionId().equals(id.getVersionIdPart()))
            .findFirst().map(this::copyOf).orElseThrow(() -> new ResourceNotFoundException(id));
    }

    @Create
    public synchronized MethodOutcome create(@ResourceParam T resource, @ConditionalUrlParam String ifNoneExist) {
        if (ifNoneExist != null) {
            List<T> matches = matching(ifNoneExist);
            if (matches.size() > 1) {
                throw new PreconditionFailedException("If-None-Exist " + ifNoneExist + " matched " + matches.size()
                    + " resources");
            }
            if (matches.size() == 1) {
                return outcome(matches.get(0), false);
            }
        }
        Stored stored = store(newServerId(), resource, true);
        return outcome(stored.version(), stored.created());
    }

    @Update
    public synchronized MethodOutcome update(@IdParam IdType id, @ResourceParam T resource,
            @ConditionalUrlParam String conditionalUrl) {
        String bodyId = resource.getIdElement().hasIdPart() ? resource.getIdElement().getIdPart() : null;
        String target;
        if (conditionalUrl != null) {
            List<T> matches = matching(conditionalUrl);
            if (matches.size() > 1) {
                throw new PreconditionFailedException("Conditional update " + conditionalUrl + " matched "
                    + matches.size() + " resources");
            }
            if (matches.size() == 1) {
                target = matches.get(0).getIdElement().getIdPart();
                if (bodyId != null && !bodyId.equals(target)) {
                    throw new InvalidRequestException("Conditional update matched " + typeName + "/" + target
                        + " but the body has id " + bodyId);
                }
            } else {
                target = bodyId != null ? bodyId : newServerId();
            }
        } else {
            if (id == null || !id.hasIdPart()) {
                throw new InvalidRequestException("An update needs an id in the URL or a conditional URL");
            }
            target = id.getIdPart();
        }
        if (!FHIR_ID.matcher(target).matches()) {
            throw new InvalidRequestException("Invalid FHIR id: " + target);
        }
        Stored stored = store(target, resource, false);
        return outcome(stored.version(), stored.created());
    }

    @Search(allowUnknownParams = false)
    public synchronized List<T> search(
            @OptionalParam(name = "_id") TokenParam idParam,
            @OptionalParam(name = "identifier") TokenParam identifier,
            @OptionalParam(name = "patient") ReferenceParam patient,
            @OptionalParam(name = "subject") ReferenceParam subject,
            @OptionalParam(name = "_lastUpdated") DateRangeParam lastUpdated,
            @Sort SortSpec sort) {
        List<T> result = new ArrayList<>();
        for (T resource : currentVersions()) {
            if (idParam != null && !resource.getIdElement().getIdPart().equals(idParam.getValue())) {
                continue;
            }
            if (identifier != null && !hasIdentifier(resource, identifier.getSystem(), identifier.getValue())) {
                continue;
            }
            if (patient != null && !refersToPatient(resource, patient)
                    || subject != null && !refersToPatient(resource, subject)) {
                continue;
            }
            if (lastUpdated != null && !within(resource, lastUpdated)) {
                continue;
            }
            result.add(copyOf(resource));
        }
        if (sort != null) {
            if (!"_lastUpdated".equals(sort.getParamName())) {
                throw new InvalidRequestException("This test server sorts by _lastUpdated only");
            }
            Comparator<T> byTime = Comparator.comparing(r -> r.getMeta().getLastUpdated());
            result.sort(sort.getOrder() == SortOrderEnum.DESC ? byTime.reversed() : byTime);
        }
        return result;
    }

    @History
    public synchronized List<T> instanceHistory(@IdParam IdType id, @Since InstantType since) {
        List<T> versions = versionsById.get(id.getIdPart());
        if (versions == null) {
            throw new ResourceNotFoundException(id);
        }
        return history(versions, since);
    }

    @History
    public synchronized List<T> typeHistory(@Since InstantType since) {
        List<T> all = new ArrayList<>();
        versionsById.values().forEach(all::addAll);
        return history(all, since);
    }

    // ------------------------------------------------------------------------------ internals

    private record Stored(Resource version, boolean created) {
    }

    private Stored store(String id, T resource, boolean mustBeNew) {
        checkReferences(resource);
        List<T> versions = versionsById.computeIfAbsent(id, k -> new ArrayList<>());
        if (!versions.isEmpty() && mustBeNew) {
            throw new InvalidRequestException(typeName + "/" + id + " already exists");
        }
        if (!versions.isEmpty() && sameContent(last(versions), resource)) {
            return new Stored(last(versions), false);
        }
        String version = Integer.toString(versions.size() + 1);
        T copy = copyOf(resource);
        Instant now = clock.get();
        copy.setId(new IdType(typeName, id, version));
        copy.getMeta().setVersionId(version).setLastUpdated(Date.from(now));
        versions.add(copy);
        return new Stored(copy, versions.size() == 1);
    }

    private MethodOutcome outcome(Resource version, boolean created) {
        MethodOutcome outcome = new MethodOutcome(version.getIdElement().copy(), created);
        outcome.setResource(version.copy());
        return outcome;
    }

    private boolean sameContent(T stored, T incoming) {
        IParser parser = context.newJsonParser();
        return parser.encodeResourceToString(withoutMeta(stored)).equals(parser.encodeResourceToString(withoutMeta(incoming)));
    }

    private T withoutMeta(T resource) {
        T copy = copyOf(resource);
        copy.setMeta(null);
        copy.setIdElement(null);
        return copy;
    }

    private void checkReferences(T resource) {
        BiPredicate<String, String> exists = referenceExists;
        if (exists == null) {
            return;
        }
        for (Reference reference : context.newTerser().getAllPopulatedChildElementsOfType(resource, Reference.class)) {
            IIdType target = reference.getReferenceElement();
            if (!reference.hasReference() || target.isLocal() || target.isAbsolute() || !target.hasResourceType()
                    || target.getValue().startsWith("urn:")) {
                continue;
            }
            if (!exists.test(target.getResourceType(), target.getIdPart())) {
                throw new InvalidRequestException("Resource " + target.getResourceType() + "/" + target.getIdPart()
                    + " not found, referenced from " + typeName);
            }
        }
    }

    /** Matches a conditional URL such as {@code DetectedIssue?identifier=system|value} (identifier, _id). */
    private List<T> matching(String conditionalUrl) {
        int query = conditionalUrl.indexOf('?');
        if (query < 0 || query == conditionalUrl.length() - 1) {
            throw new InvalidRequestException("A conditional URL needs search parameters: " + conditionalUrl);
        }
        List<T> candidates = currentVersions();
        for (String pair : conditionalUrl.substring(query + 1).split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if ("identifier".equals(name)) {
                int bar = value.indexOf('|');
                String system = bar < 0 ? null : value.substring(0, bar);
                String code = bar < 0 ? value : value.substring(bar + 1);
                candidates = candidates.stream().filter(r -> hasIdentifier(r, system, code)).toList();
            } else if ("_id".equals(name)) {
                candidates = candidates.stream().filter(r -> r.getIdElement().getIdPart().equals(value)).toList();
            } else {
                throw new InvalidRequestException("This test server matches conditional URLs on identifier and _id "
                    + "only, not " + name);
            }
        }
        return candidates;
    }

    private boolean hasIdentifier(T resource, String system, String value) {
        for (Identifier identifier : context.newTerser().getValues(resource, typeName + ".identifier",
                Identifier.class)) {
            boolean systemMatches = system == null || (system.isEmpty() ? !identifier.hasSystem()
                : system.equals(identifier.getSystem()));
            if (systemMatches && value != null && value.equals(identifier.getValue())) {
                return true;
            }
        }
        return false;
    }

    private boolean refersToPatient(T resource, ReferenceParam param) {
        if (patientElement == null) {
            return false;
        }
        String wantedType = param.getResourceType();
        for (Reference reference : context.newTerser().getValues(resource, typeName + "." + patientElement,
                Reference.class)) {
            IIdType target = reference.getReferenceElement();
            if (target.hasIdPart() && target.getIdPart().equals(param.getIdPart())
                    && (wantedType == null || wantedType.equals(target.getResourceType()))) {
                return true;
            }
        }
        return false;
    }

    private static boolean within(Resource resource, DateRangeParam range) {
        Date updated = resource.getMeta().getLastUpdated();
        Date lower = range.getLowerBoundAsInstant();
        Date upper = range.getUpperBoundAsInstant();
        return (lower == null || !updated.before(lower)) && (upper == null || !updated.after(upper));
    }

    private List<T> history(List<T> versions, InstantType since) {
        List<T> result = new ArrayList<>();
        for (T version : versions) {
            if (since != null && version.getMeta().getLastUpdated().before(since.getValue())) {
                continue;
            }
            T copy = copyOf(version);
            ResourceMetadataKeyEnum.ENTRY_TRANSACTION_METHOD.put(copy,
                "1".equals(version.getMeta().getVersionId()) ? BundleEntryTransactionMethodEnum.POST
                    : BundleEntryTransactionMethodEnum.PUT);
            result.add(copy);
        }
        result.sort(Comparator.comparing((T r) -> r.getMeta().getLastUpdated()).reversed());
        return result;
    }

    private List<T> currentVersions() {
        return versionsById.values().stream().map(InMemoryResourceProvider::last).toList();
    }

    private String newServerId() {
        String id;
        do {
            id = Long.toString(nextServerId++);
        } while (versionsById.containsKey(id));
        return id;
    }

    private static <R> R last(List<R> list) {
        return list.get(list.size() - 1);
    }

    private T copyOf(Resource resource) {
        return type.cast(resource.copy());
    }
}
