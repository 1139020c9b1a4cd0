package dev.kindred.connectors.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.connectors.files.ResourceFields;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.fhir.PatientReferences;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives FHIR subscription notifications over rest-hook and writes their resources to the {@code fhir.*}
 * input topics. Two shapes: R4 Subscriptions Backport {@code history} Bundles (POST; handshake, heartbeat,
 * event-notification, query-status; payload empty, id-only or full-resource) and HAPI's classic rest-hook
 * ({@code PUT /{Type}/{id}} with the resource; POST with an empty body).
 *
 * <p>Durability: the resources of one notification and the subscription's new state (last event number,
 * open gaps) go to Kafka in one transaction, committed before the answer is 2xx; the state lives in a small
 * compacted topic read back at start. A restart therefore neither loses an accepted event nor accepts a
 * duplicate. Event numbers at or below the last one are dropped unless they fill an open gap; a jump is
 * recovered with {@code $events} on the FHIR server at once, and stays open (retried with each later
 * notification) when the server cannot answer. Framework-free: the HTTP server calls {@link #receive}.
 */
public final class SubscriptionReceiver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionReceiver.class);

    /**
     * Settings.
     *
     * @param bootstrapServers Kafka
     * @param kafkaOverrides   standard client settings (security) passed to producer, consumer and admin
     * @param stateTopic       the compacted topic holding each subscription's state
     * @param transactionalId  unique per receiver instance
     * @param secretHeader     the header senders must send, as in {@code Subscription.channel.header},
     *                         e.g. {@code Authorization: Bearer xyz}
     * @param fhirBase         the FHIR server to read id-only focuses from and ask {@code $events}; may be null
     * @param fhirAuthHeader   the header sent to that server, e.g. {@code Authorization: Bearer abc}; may be null
     */
    public record Settings(String bootstrapServers, Map<String, Object> kafkaOverrides, String stateTopic,
            String transactionalId, String secretHeader, String fhirBase, String fhirAuthHeader) {
        public Settings {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            kafkaOverrides = kafkaOverrides == null ? Map.of() : Map.copyOf(kafkaOverrides);
            stateTopic = stateTopic == null ? DEFAULT_STATE_TOPIC : stateTopic;
            transactionalId = transactionalId == null ? "kindred-subscription-receiver" : transactionalId;
            if (splitHeader(secretHeader) == null) {
                throw new IllegalArgumentException("the receiver needs a secret header 'Name: value'");
            }
        }
    }

    /** An HTTP answer: status and a FHIR JSON body (empty for none). */
    public record Reply(int status, String body) {
    }

    public static final String DEFAULT_STATE_TOPIC = "kindred.subscription-state";

    private final ObjectMapper json = new ObjectMapper();
    private final Settings settings;
    private final String secretName;
    private final byte[] secretValue;
    private final FhirServerClient fhir;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Clock clock;
    private final Map<String, SubscriptionState> states = new ConcurrentHashMap<>();
    private volatile long resourcesWritten;
    private volatile long rejected;

    public SubscriptionReceiver(Settings settings) {
        this(settings, Clock.systemUTC());
    }

    SubscriptionReceiver(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        String[] secret = splitHeader(settings.secretHeader());
        this.secretName = secret[0];
        this.secretValue = secret[1].getBytes(StandardCharsets.UTF_8);
        this.fhir = settings.fhirBase() == null ? null
            : new FhirServerClient(json, settings.fhirBase(), settings.fhirAuthHeader());
        createStateTopic();
        loadStates();
        Map<String, Object> config = new HashMap<>(settings.kafkaOverrides());
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "kindred-subscription-receiver");
        this.producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        // Fences an older instance with the same id and aborts its unfinished transaction.
        producer.initTransactions();
    }

    /** Each known subscription's state, by subscription reference. */
    public Map<String, SubscriptionState> states() {
        return Map.copyOf(new TreeMap<>(states));
    }

    /** Resources written to the input topics since start. */
    public long resourcesWritten() {
        return resourcesWritten;
    }

    /** Requests refused (401, 400) since start. */
    public long rejected() {
        return rejected;
    }

    /**
     * Handles one request to the hook.
     *
     * @param method  HTTP method
     * @param subPath the path below the hook: empty, or {@code Type/id} for HAPI's classic PUT
     * @param headers request header by name (case-insensitive lookups are the caller's job)
     * @param body    the raw body, maybe empty
     */
    public synchronized Reply receive(String method, String subPath, Function<String, String> headers, byte[] body) {
        String sent = headers.apply(secretName);
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), secretValue)) {
            rejected++;
            return outcome(401, "security", "missing or wrong " + secretName + " header");
        }
        try {
            String path = subPath == null ? "" : subPath.replaceAll("^/+|/+$", "");
            if ("PUT".equals(method) && !path.isEmpty()) {
                return classicPut(path, body);
            }
            if ("POST".equals(method) && path.isEmpty()) {
                if (body == null || body.length == 0) {
                    // HAPI's classic rest-hook without payload: only a sign that something changed.
                    return new Reply(200, "");
                }
                return notification(Notification.parse(json, body));
            }
            return outcome(405, "not-supported", method + " is not accepted here");
        } catch (NotificationException e) {
            if (e.status() / 100 == 4) {
                rejected++;
            }
            log.warn("Subscription notification refused ({}): {}", e.status(), e.getMessage());
            return outcome(e.status(), e.status() / 100 == 4 ? "invalid" : "transient", e.getMessage());
        }
    }

    private Reply classicPut(String path, byte[] body) {
        JsonNode resource;
        try {
            resource = json.readTree(body);
        } catch (Exception e) {
            throw new NotificationException(400, "the body is not JSON");
        }
        String[] typeAndId = path.split("/");
        if (resource == null || typeAndId.length != 2
                || !typeAndId[0].equals(resource.path("resourceType").asText())
                || !typeAndId[1].equals(resource.path("id").asText())) {
            throw new NotificationException(400, "the body must be the " + path + " resource");
        }
        write(List.of(resource), null);
        return new Reply(200, "");
    }

    private Reply notification(Notification n) {
        SubscriptionState before = states.getOrDefault(n.subscription(), SubscriptionState.fresh(n.subscription()));
        Instant now = clock.instant();
        long last = before.lastEventNumber();
        List<long[]> gaps = new ArrayList<>(before.openGaps());
        long duplicates = before.duplicatesDropped();
        long recovered = before.eventsRecovered();
        Instant heartbeat = before.lastHeartbeat();
        List<JsonNode> resources = new ArrayList<>();

        // First try the gaps still open from earlier notifications.
        for (long[] gap : List.copyOf(gaps)) {
            List<JsonNode> found = recover(n.subscription(), gap[0], gap[1]);
            if (found != null) {
                resources.addAll(found);
                recovered += gap[1] - gap[0] + 1;
                gaps.remove(gap);
            }
        }
        switch (n.type()) {
            case "handshake" -> { }
            case "heartbeat", "query-status" -> {
                heartbeat = now;
                if (n.eventsSinceStart() > last) {
                    // Events the server counted that never reached us.
                    long from = last + 1;
                    List<JsonNode> found = recover(n.subscription(), from, n.eventsSinceStart());
                    if (found != null) {
                        resources.addAll(found);
                        recovered += n.eventsSinceStart() - from + 1;
                    } else {
                        gaps.add(new long[] {from, n.eventsSinceStart()});
                    }
                    last = n.eventsSinceStart();
                }
            }
            default -> {
                List<Notification.Event> events = new ArrayList<>(n.events());
                events.sort(Comparator.comparingLong(Notification.Event::number));
                for (Notification.Event event : events) {
                    long number = event.number();
                    long[] filled = gapHolding(gaps, number);
                    if (number <= last && filled == null) {
                        duplicates++;
                        continue;
                    }
                    if (filled != null) {
                        gaps.remove(filled);
                        if (filled[0] < number) {
                            gaps.add(new long[] {filled[0], number - 1});
                        }
                        if (number < filled[1]) {
                            gaps.add(new long[] {number + 1, filled[1]});
                        }
                    } else if (number > last + 1) {
                        List<JsonNode> found = recover(n.subscription(), last + 1, number - 1);
                        if (found != null) {
                            resources.addAll(found);
                            recovered += number - 1 - last;
                        } else {
                            gaps.add(new long[] {last + 1, number - 1});
                        }
                    }
                    resources.add(resourceOf(n.subscription(), event));
                    resources.addAll(event.context());
                    last = Math.max(last, number);
                }
            }
        }
        gaps.sort(Comparator.comparingLong(g -> g[0]));
        SubscriptionState after = new SubscriptionState(n.subscription(), last, heartbeat, now, gaps, duplicates,
            recovered);
        write(resources, after);
        states.put(after.subscription(), after);
        return new Reply(200, "");
    }

    private static long[] gapHolding(List<long[]> gaps, long number) {
        for (long[] gap : gaps) {
            if (gap[0] <= number && number <= gap[1]) {
                return gap;
            }
        }
        return null;
    }

    /** The event's resource: in the Bundle (full-resource), read from the server (id-only) or via $events (empty). */
    private JsonNode resourceOf(String subscription, Notification.Event event) {
        if (event.resource() != null) {
            return event.resource();
        }
        if (fhir == null) {
            throw new NotificationException(422, "the notification carries no resource and no FHIR server is configured"
                + " to fetch it from");
        }
        if (event.focus() != null) {
            return fhir.read(event.focus());
        }
        List<JsonNode> found = recover(subscription, event.number(), event.number());
        if (found == null || found.isEmpty()) {
            throw new NotificationException(502, "event " + event.number() + " could not be fetched with $events");
        }
        return found.get(0);
    }

    /** Events {@code from..to} via $events, or null when the server cannot give them all now. */
    private List<JsonNode> recover(String subscription, long from, long to) {
        if (fhir == null) {
            return null;
        }
        try {
            Notification answer = Notification.parse(json, json.writeValueAsBytes(fhir.events(subscription, from, to)));
            List<JsonNode> found = new ArrayList<>();
            for (Notification.Event event : answer.events()) {
                if (event.number() < from || event.number() > to) {
                    continue;
                }
                found.add(event.resource() != null ? event.resource() : fhir.read(event.focus()));
            }
            if (found.size() != to - from + 1) {
                log.warn("$events for subscription {} gave {} of events {}..{}", subscription, found.size(), from, to);
                return null;
            }
            log.info("Recovered events {}..{} of subscription {} with $events", from, to, subscription);
            return found;
        } catch (Exception e) {
            log.warn("Could not recover events {}..{} of subscription {}: {}", from, to, subscription, e.getMessage());
            return null;
        }
    }

    /** Resources to their topics and the new state, in one transaction, acknowledged before returning. */
    private void write(List<JsonNode> resources, SubscriptionState state) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (JsonNode resource : resources) {
            String type = resource.path("resourceType").asText();
            String topic = FhirTopics.BY_TYPE.get(type);
            if (topic == null) {
                log.info("Skipping a {} resource: Kindred has no input topic for it", type);
                continue;
            }
            String key = PatientReferences.patientKey(ResourceFields.patientRef(type, resource));
            if ("Patient".equals(type)) {
                key = resource.path("id").asText(null);
            }
            records.add(new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                resource.toString().getBytes(StandardCharsets.UTF_8)));
        }
        if (state != null) {
            records.add(new ProducerRecord<>(settings.stateTopic(),
                state.subscription().getBytes(StandardCharsets.UTF_8), stateJson(state)));
        }
        if (records.isEmpty()) {
            return;
        }
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> record : records) {
                producer.send(record);
            }
            producer.commitTransaction();
        } catch (RuntimeException e) {
            try {
                producer.abortTransaction();
            } catch (RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw new NotificationException(503, "Kafka did not accept the resources: " + e.getMessage(), e);
        }
        resourcesWritten += records.size() - (state == null ? 0 : 1);
    }

    private byte[] stateJson(SubscriptionState s) {
        ObjectNode node = json.createObjectNode();
        node.put("subscription", s.subscription());
        node.put("lastEventNumber", s.lastEventNumber());
        node.put("lastHeartbeat", s.lastHeartbeat() == null ? null : s.lastHeartbeat().toString());
        node.put("lastNotification", s.lastNotification() == null ? null : s.lastNotification().toString());
        ArrayNode gaps = node.putArray("openGaps");
        for (long[] gap : s.openGaps()) {
            gaps.addArray().add(gap[0]).add(gap[1]);
        }
        node.put("duplicatesDropped", s.duplicatesDropped());
        node.put("eventsRecovered", s.eventsRecovered());
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The state as JSON, as {@code GET /subscriptions} shows it. */
    public String statesJson() {
        ArrayNode all = json.createArrayNode();
        for (SubscriptionState s : states().values()) {
            try {
                all.add(json.readTree(stateJson(s)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return all.toString();
    }

    private SubscriptionState parseState(byte[] bytes) throws Exception {
        JsonNode node = json.readTree(bytes);
        List<long[]> gaps = new ArrayList<>();
        for (JsonNode gap : node.path("openGaps")) {
            gaps.add(new long[] {gap.get(0).asLong(), gap.get(1).asLong()});
        }
        return new SubscriptionState(node.get("subscription").asText(), node.path("lastEventNumber").asLong(),
            instant(node.get("lastHeartbeat")), instant(node.get("lastNotification")), gaps,
            node.path("duplicatesDropped").asLong(), node.path("eventsRecovered").asLong());
    }

    private static Instant instant(JsonNode node) {
        return node == null || node.isNull() ? null : Instant.parse(node.asText());
    }

    private Map<String, Object> clientConfig() {
        Map<String, Object> config = new HashMap<>(settings.kafkaOverrides());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        return config;
    }

    private void createStateTopic() {
        try (Admin admin = Admin.create(clientConfig())) {
            admin.createTopics(List.of(new NewTopic(settings.stateTopic(), 1, (short) -1)
                .configs(Map.of("cleanup.policy", "compact")))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("Could not create topic " + settings.stateTopic(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Reads the committed state topic to its end: the last state per subscription wins. */
    private void loadStates() {
        Properties config = new Properties();
        config.putAll(clientConfig());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(settings.stateTopic(), Duration.ofSeconds(30))
                .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        continue;
                    }
                    try {
                        SubscriptionState s = parseState(record.value());
                        states.put(s.subscription(), s);
                    } catch (Exception e) {
                        log.warn("Skipping an unreadable subscription state at offset {}", record.offset());
                    }
                }
            }
        }
        log.info("Loaded the state of {} subscriptions from {}", states.size(), settings.stateTopic());
    }

    private Reply outcome(int status, String code, String diagnostics) {
        ObjectNode outcome = json.createObjectNode();
        outcome.put("resourceType", "OperationOutcome");
        ObjectNode issue = outcome.putArray("issue").addObject();
        issue.put("severity", "error");
        issue.put("code", code);
        issue.put("diagnostics", diagnostics);
        return new Reply(status, outcome.toString());
    }

    /** {@code "Name: value"} as {@code [Name, value]}, or null when it is not of that form. */
    static String[] splitHeader(String header) {
        if (header == null) {
            return null;
        }
        int colon = header.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        String name = header.substring(0, colon).trim();
        String value = header.substring(colon + 1).trim();
        return name.isEmpty() || value.isEmpty() ? null : new String[] {name, value};
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
