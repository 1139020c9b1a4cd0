package dev.kindred.connectors.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.connectors.files.FhirFileReader;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.fhir.PatientReferences;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Plays FHIR files into a subscription receiver over HTTP, as a FHIR server with an R4 Backport rest-hook
 * subscription would: the resources in event-time order (as {@link EventTimeReplayer} sends them to topics),
 * batched into full-resource {@code event-notification} Bundles numbered from 1. Used by
 * {@code kindred demo --via-subscription}. Types Kindred does not read and unparseable input are skipped.
 */
public final class SubscriptionFeeder {
    private static final long MAX_NOTIFICATION_BYTES = 1 << 20;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI hook;
    private final String headerName;
    private final String headerValue;
    private final String subscription;
    private final int batchSize;

    /**
     * @param hook         the receiver's URL, e.g. {@code http://127.0.0.1:8080/subscription-hook}
     * @param secretHeader the header the receiver expects, {@code Name: value}
     * @param subscription the subscription reference the notifications name
     * @param batchSize    resources per notification
     */
    public SubscriptionFeeder(URI hook, String secretHeader, String subscription, int batchSize) {
        String[] header = SubscriptionReceiver.splitHeader(secretHeader);
        if (header == null) {
            throw new IllegalArgumentException("the secret header must be 'Name: value'");
        }
        this.hook = hook;
        this.headerName = header[0];
        this.headerValue = header[1];
        this.subscription = subscription;
        this.batchSize = Math.max(1, batchSize);
    }

    /** Reads every path and sends its resources; returns what was sent, as a replay's summary. */
    public EventTimeReplayer.Summary feed(List<Path> paths, EventTimeReplayer.Progress progress)
            throws IOException, InterruptedException {
        FhirFileReader reader = new FhirFileReader();
        List<FhirResourceRecord> records = new ArrayList<>();
        long skipped = 0;
        long unparseable = 0;
        for (Path path : paths) {
            try (Stream<FhirResourceRecord> stream = reader.stream(path)) {
                for (FhirResourceRecord r : (Iterable<FhirResourceRecord>) stream::iterator) {
                    if (r.unparseable()) {
                        unparseable++;
                    } else if (FhirTopics.BY_TYPE.containsKey(r.resourceType())) {
                        records.add(r);
                    } else {
                        skipped++;
                    }
                }
            }
        }
        // Stable: records without a time (Patients) first, ties in reading order, as the replayer does.
        records.sort(Comparator.comparing(FhirResourceRecord::eventTime, Comparator.nullsFirst(Comparator.<Instant>naturalOrder())));

        Map<String, Long> perTopic = new TreeMap<>();
        Set<String> patients = new HashSet<>();
        long event = 0;
        for (int start = 0, end; start < records.size(); start = end) {
            // At most batchSize resources and about MAX_NOTIFICATION_BYTES, well under the receiver's request limit.
            long bytes = 0;
            end = start;
            while (end < records.size() && end - start < batchSize
                    && (end == start || bytes + records.get(end).json().length <= MAX_NOTIFICATION_BYTES)) {
                bytes += records.get(end).json().length;
                end++;
            }
            List<FhirResourceRecord> batch = records.subList(start, end);
            post(notification(batch, event));
            event += batch.size();
            for (FhirResourceRecord r : batch) {
                perTopic.merge(FhirTopics.forType(r.resourceType()), 1L, Long::sum);
                String key = PatientReferences.patientKey(r.patientRef());
                if (key != null) {
                    patients.add(key);
                }
            }
            progress.onProgress(event, records.size());
        }
        return new EventTimeReplayer.Summary(perTopic, skipped, unparseable, patients.size(), reader.stats(), List.of());
    }

    private String notification(List<FhirResourceRecord> batch, long eventsBefore) throws IOException {
        ObjectNode bundle = json.createObjectNode().put("resourceType", "Bundle").put("type", "history");
        bundle.put("id", UUID.randomUUID().toString());
        ArrayNode entries = bundle.putArray("entry");
        ObjectNode status = entries.addObject().put("fullUrl", "urn:uuid:" + UUID.randomUUID())
            .putObject("resource").put("resourceType", "Parameters");
        ArrayNode parameters = status.putArray("parameter");
        parameters.addObject().put("name", "subscription").putObject("valueReference").put("reference", subscription);
        parameters.addObject().put("name", "status").put("valueCode", "active");
        parameters.addObject().put("name", "type").put("valueCode", "event-notification");
        parameters.addObject().put("name", "events-since-subscription-start")
            .put("valueString", Long.toString(eventsBefore + batch.size()));
        long number = eventsBefore;
        for (FhirResourceRecord r : batch) {
            number++;
            String url = r.id() == null ? "urn:uuid:" + UUID.randomUUID() : r.resourceType() + "/" + r.id();
            ArrayNode parts = parameters.addObject().put("name", "notification-event").putArray("part");
            parts.addObject().put("name", "event-number").put("valueString", Long.toString(number));
            parts.addObject().put("name", "focus").putObject("valueReference").put("reference", url);
            JsonNode resource = json.readTree(r.json());
            ObjectNode entry = entries.addObject().put("fullUrl", url);
            entry.set("resource", resource);
        }
        return bundle.toString();
    }

    private void post(String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(hook).timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/fhir+json").header(headerName, headerValue)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("the subscription receiver at " + hook + " answered " + response.statusCode() + ": "
                + response.body());
        }
    }
}
