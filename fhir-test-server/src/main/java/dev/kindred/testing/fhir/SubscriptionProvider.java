package dev.kindred.testing.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * Subscriptions with the R4 Subscriptions Backport IG (STU 1.1) operations a receiver uses to recover:
 * {@code GET [base]/Subscription/{id}/$events?eventsSinceNumber=&eventsUntilNumber=&content=} answers a
 * {@code history} Bundle (status {@code Parameters} of type {@code query-event} first, then one entry per
 * event), and {@code GET [base]/Subscription/{id}/$status} answers a {@code searchset} Bundle with the status.
 * A test records the events ({@link #recordEvent}); this server does not deliver notifications itself.
 */
public final class SubscriptionProvider extends InMemoryResourceProvider<Subscription> {

    static final String STATUS_PROFILE =
        "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4";
    static final String NOTIFICATION_PROFILE =
        "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification-r4";
    static final String PAYLOAD_CONTENT_EXTENSION =
        "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content";

    /** One event of a subscription: its number, when it happened and the resource it is about. */
    public record Event(long number, Instant timestamp, Resource focus) {
    }

    private final Supplier<Instant> clock;
    private final Map<String, List<Event>> eventsBySubscription = new HashMap<>();

    public SubscriptionProvider(FhirContext context, Supplier<Instant> clock) {
        super(context, Subscription.class, clock);
        this.clock = clock;
    }

    /**
     * Records an event about {@code focus} (which must have an id) for subscription {@code subscriptionId}
     * and returns its number (1 for the first).
     */
    public synchronized long recordEvent(String subscriptionId, Resource focus) {
        if (!focus.getIdElement().hasIdPart()) {
            throw new IllegalArgumentException("an event's focus needs an id");
        }
        List<Event> events = eventsBySubscription.computeIfAbsent(subscriptionId, k -> new ArrayList<>());
        long number = events.size() + 1L;
        events.add(new Event(number, clock.get(), focus.copy()));
        return number;
    }

    /** The events recorded for {@code subscriptionId}, oldest first. */
    public synchronized List<Event> events(String subscriptionId) {
        return List.copyOf(eventsBySubscription.getOrDefault(subscriptionId, List.of()));
    }

    @Operation(name = "$events", idempotent = true)
    public synchronized Bundle eventsOperation(@IdParam IdType id,
            @OperationParam(name = "eventsSinceNumber") StringType since,
            @OperationParam(name = "eventsUntilNumber") StringType until,
            @OperationParam(name = "content") CodeType content,
            RequestDetails request) {
        Subscription subscription = read(id.toVersionless());
        List<Event> all = eventsBySubscription.getOrDefault(id.getIdPart(), List.of());
        long from = number(since, 1, "eventsSinceNumber");
        long to = number(until, all.size(), "eventsUntilNumber");
        String payload = content != null && content.hasValue() ? content.getValue() : payloadContent(subscription);
        if (!List.of("empty", "id-only", "full-resource").contains(payload)) {
            throw new InvalidRequestException("content must be empty, id-only or full-resource, not " + payload);
        }
        String base = request.getFhirServerBase();
        List<Event> selected = all.stream().filter(e -> e.number() >= from && e.number() <= to).toList();

        Bundle bundle = new Bundle().setType(Bundle.BundleType.HISTORY);
        bundle.setId(UUID.randomUUID().toString());
        bundle.getMeta().addProfile(NOTIFICATION_PROFILE);
        bundle.setTimestamp(Date.from(clock.get()));
        Parameters status = status(subscription, "query-event", all.size(), base);
        for (Event event : selected) {
            ParametersParameterComponent notification = status.addParameter().setName("notification-event");
            notification.addPart().setName("event-number").setValue(new StringType(Long.toString(event.number())));
            notification.addPart().setName("timestamp").setValue(new InstantType(Date.from(event.timestamp())));
            if (!"empty".equals(payload)) {
                notification.addPart().setName("focus").setValue(new Reference(absolute(base, event.focus())));
            }
        }
        addStatusEntry(bundle, status, base, id.getIdPart());
        if (!"empty".equals(payload)) {
            for (Event event : selected) {
                Bundle.BundleEntryComponent entry = bundle.addEntry().setFullUrl(absolute(base, event.focus()));
                if ("full-resource".equals(payload)) {
                    entry.setResource(event.focus().copy());
                }
                entry.getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl(relative(event.focus()));
                entry.getResponse().setStatus("200");
            }
        }
        return bundle;
    }

    @Operation(name = "$status", idempotent = true)
    public synchronized Bundle statusOperation(@IdParam IdType id, RequestDetails request) {
        Subscription subscription = read(id.toVersionless());
        int count = eventsBySubscription.getOrDefault(id.getIdPart(), List.of()).size();
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET).setTotal(1);
        bundle.setId(UUID.randomUUID().toString());
        Parameters status = status(subscription, "query-status", count, request.getFhirServerBase());
        bundle.addEntry().setFullUrl("urn:uuid:" + status.getIdElement().getIdPart()).setResource(status)
            .getSearch().setMode(Bundle.SearchEntryMode.MATCH);
        return bundle;
    }

    private static Parameters status(Subscription subscription, String type, int eventCount, String base) {
        Parameters status = new Parameters();
        status.setId(UUID.randomUUID().toString());
        status.getMeta().addProfile(STATUS_PROFILE);
        status.addParameter().setName("subscription")
            .setValue(new Reference(base + "/Subscription/" + subscription.getIdElement().getIdPart()));
        if (subscription.hasCriteria()) {
            status.addParameter().setName("topic").setValue(new CanonicalType(subscription.getCriteria()));
        }
        status.addParameter().setName("status").setValue(new CodeType(subscription.hasStatus()
            ? subscription.getStatus().toCode() : "active"));
        status.addParameter().setName("type").setValue(new CodeType(type));
        status.addParameter().setName("events-since-subscription-start")
            .setValue(new StringType(Integer.toString(eventCount)));
        return status;
    }

    private static void addStatusEntry(Bundle bundle, Parameters status, String base, String subscriptionId) {
        Bundle.BundleEntryComponent entry = bundle.addEntry()
            .setFullUrl("urn:uuid:" + status.getIdElement().getIdPart()).setResource(status);
        entry.getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(base + "/Subscription/" + subscriptionId + "/$status");
        entry.getResponse().setStatus("200");
    }

    private static String payloadContent(Subscription subscription) {
        Extension content = subscription.getChannel().getPayloadElement()
            .getExtensionByUrl(PAYLOAD_CONTENT_EXTENSION);
        return content != null && content.getValue() != null ? content.getValue().primitiveValue() : "id-only";
    }

    private static long number(StringType value, long fallback, String name) {
        if (value == null || !value.hasValue()) {
            return fallback;
        }
        try {
            return Long.parseLong(value.getValue().trim());
        } catch (NumberFormatException e) {
            throw new InvalidRequestException(name + " must be an event number, not " + value.getValue());
        }
    }

    private static String relative(Resource resource) {
        return resource.fhirType() + "/" + resource.getIdElement().getIdPart();
    }

    private static String absolute(String base, Resource resource) {
        return base + "/" + relative(resource);
    }
}
