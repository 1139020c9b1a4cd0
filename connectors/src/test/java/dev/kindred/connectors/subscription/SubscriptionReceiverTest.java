package dev.kindred.connectors.subscription;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.connectors.subscription.SubscriptionReceiver.Reply;
import dev.kindred.connectors.subscription.SubscriptionReceiver.Settings;
import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.testing.fhir.FhirTestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver against a real broker and a real HAPI server, with the Subscriptions Backport IG's example
 * notifications. The examples are about an Encounter, a type Kindred does not read, so each test swaps in an
 * official Observation example (with its own id) as the focus; each test has its own subscription id, state
 * topic and transactional id, so tests share nothing but the broker, the FHIR server and the input topics.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SubscriptionReceiverTest {

    private static final String SECRET = "Authorization: Bearer s3cret-hook";
    private static final String EXAMPLE_ENCOUNTER = "86009987-eabe-42bf-8c02-b112b18cb616";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static EmbeddedKafkaBroker broker;
    static FhirTestServer fhir;
    static Path examples;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
        fhir = new FhirTestServer().start();
        examples = List.of(Path.of("../../shared/fhir-examples"), Path.of("../../../shared/fhir-examples"),
                Path.of("/work/shared/fhir-examples")).stream().filter(Files::isDirectory).findFirst()
            .orElseThrow(() -> new IllegalStateException("the shared FHIR examples are not beside the project"));
    }

    @AfterAll
    static void stop() {
        if (fhir != null) {
            fhir.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** One test's subscription: its id on the FHIR server, the receiver's state topic and two observations. */
    private static final class Case {
        final String subscriptionId = "sub-" + UUID.randomUUID();
        final String stateTopic = "state-" + subscriptionId;
        final String firstId = UUID.randomUUID().toString();
        final String secondId = UUID.randomUUID().toString();

        Case() {
            Subscription subscription = new Subscription();
            subscription.setId(subscriptionId);
            subscription.setStatus(Subscription.SubscriptionStatus.ACTIVE);
            fhir.subscriptions().put(subscription);
        }

        Settings settings() {
            return new Settings(broker.bootstrapServers(), Map.of(), stateTopic, "tx-" + subscriptionId, SECRET,
                fhir.baseUrl(), null);
        }

        SubscriptionReceiver receiver() {
            return new SubscriptionReceiver(settings());
        }

        /** Event {@code number} about an official Observation example with id {@code id}, known to the server. */
        Observation observation(String id, String example) throws Exception {
            Observation observation = (Observation) fhir.fhirContext().newJsonParser()
                .parseResource(Files.readString(examples.resolve(example)));
            observation.setId(id);
            observation.setSubject(new org.hl7.fhir.r4.model.Reference("Patient/p-" + subscriptionId));
            return fhir.resources(Observation.class).put(observation);
        }

        /** A backport example with this case's subscription and the first Observation as focus. */
        byte[] notification(String example, String focusId) throws Exception {
            String text = Files.readString(examples.resolve("backport-r4-Bundle-r4-notification-" + example + ".json"))
                .replace("Subscription/admission", "Subscription/" + subscriptionId)
                .replace("Encounter/" + EXAMPLE_ENCOUNTER, "Observation/" + focusId);
            JsonNode bundle = JSON.readTree(text);
            for (JsonNode entry : bundle.path("entry")) {
                JsonNode resource = entry.path("resource");
                if ("Encounter".equals(resource.path("resourceType").asText())) {
                    Observation focus = fhir.resources(Observation.class).current(focusId).orElseThrow();
                    ((com.fasterxml.jackson.databind.node.ObjectNode) entry).set("resource",
                        JSON.readTree(fhir.fhirContext().newJsonParser().encodeResourceToString(focus)));
                }
            }
            return JSON.writeValueAsBytes(bundle);
        }
    }

    private static Reply post(SubscriptionReceiver receiver, byte[] body) {
        return receiver.receive("POST", "", header(SECRET), body);
    }

    private static java.util.function.Function<String, String> header(String header) {
        String[] split = SubscriptionReceiver.splitHeader(header);
        return name -> name.equalsIgnoreCase(split[0]) ? split[1] : null;
    }

    /** Every committed record on {@code topic} whose resource id is {@code id}. */
    /**
     * The records with this id, once at least one is readable read_committed: a transaction's commit returns before
     * its markers reach the partitions, so a consumer may see the records a moment after the 2xx.
     */
    private static List<JsonNode> awaitCommitted(String topic, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<JsonNode> found = committed(topic, id);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            found = committed(topic, id);
        }
        return found;
    }

    private static List<JsonNode> committed(String topic, String id) throws Exception {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<JsonNode> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode resource = JSON.readTree(record.value());
                    if (id.equals(resource.path("id").asText())) {
                        found.add(resource);
                    }
                }
            }
        }
        return found;
    }

    @Test
    void handshakeRegistersTheSubscriptionAndHeartbeatIsRecorded() throws Exception {
        Case c = new Case();
        try (SubscriptionReceiver receiver = c.receiver()) {
            assertThat(post(receiver, c.notification("handshake", c.firstId)).status()).isEqualTo(200);
            String key = "https://example.org/fhir/Subscription/" + c.subscriptionId;
            assertThat(receiver.states()).containsKey(key);
            assertThat(receiver.states().get(key).lastHeartbeat()).isNull();

            // The heartbeat says 2 events happened; the server has both, so they are fetched, not lost.
            c.observation(c.firstId, "r4-Observation-f001.json");
            c.observation(c.secondId, "r4-Observation-heart-rate.json");
            fhir.subscriptions().recordEvent(c.subscriptionId, fhir.resources(Observation.class).current(c.firstId).get());
            fhir.subscriptions().recordEvent(c.subscriptionId, fhir.resources(Observation.class).current(c.secondId).get());
            assertThat(post(receiver, c.notification("heartbeat", c.firstId)).status()).isEqualTo(200);
            SubscriptionState state = receiver.states().get(key);
            assertThat(state.lastHeartbeat()).isNotNull();
            assertThat(state.lastEventNumber()).isEqualTo(2);
            assertThat(state.openGaps()).isEmpty();
            assertThat(awaitCommitted("fhir.observation", c.firstId)).hasSize(1);
            assertThat(awaitCommitted("fhir.observation", c.secondId)).hasSize(1);
        }
    }

    @Test
    void fullResourceIsWrittenAndTheGapBeforeItRecoveredWithEvents() throws Exception {
        Case c = new Case();
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.firstId, "r4-Observation-f001.json"));
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.secondId, "r4-Observation-heart-rate.json"));
        fhir.clearRequests();
        try (SubscriptionReceiver receiver = c.receiver()) {
            // The example is event 2: event 1 never arrived, so the receiver asks $events for it.
            assertThat(post(receiver, c.notification("full-resource", c.secondId)).status()).isEqualTo(200);
            assertThat(fhir.requests()).anyMatch(r -> r.toString().contains("$events"));
            assertThat(awaitCommitted("fhir.observation", c.firstId)).hasSize(1);
            List<JsonNode> second = awaitCommitted("fhir.observation", c.secondId);
            assertThat(second).hasSize(1);
            assertThat(second.get(0).path("resourceType").asText()).isEqualTo("Observation");
            SubscriptionState state = receiver.states().values().stream()
                .filter(s -> s.subscription().endsWith(c.subscriptionId)).findFirst().orElseThrow();
            assertThat(state.lastEventNumber()).isEqualTo(2);
            assertThat(state.eventsRecovered()).isEqualTo(1);
            assertThat(state.openGaps()).isEmpty();
        }
    }

    @Test
    void idOnlyFocusIsFetchedFromTheServer() throws Exception {
        Case c = new Case();
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.firstId, "r4-Observation-f001.json"));
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.secondId, "r4-Observation-heart-rate.json"));
        fhir.clearRequests();
        try (SubscriptionReceiver receiver = c.receiver()) {
            assertThat(post(receiver, c.notification("id-only", c.secondId)).status()).isEqualTo(200);
            assertThat(fhir.requests()).anyMatch(r -> r.toString().contains("Observation/" + c.secondId));
            List<JsonNode> written = awaitCommitted("fhir.observation", c.secondId);
            assertThat(written).hasSize(1);
            assertThat(written.get(0).path("code").isMissingNode()).isFalse();
        }
    }

    @Test
    void emptyPayloadIsFetchedWithEvents() throws Exception {
        Case c = new Case();
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.firstId, "r4-Observation-f001.json"));
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.secondId, "r4-Observation-heart-rate.json"));
        try (SubscriptionReceiver receiver = c.receiver()) {
            assertThat(post(receiver, c.notification("empty", c.secondId)).status()).isEqualTo(200);
            assertThat(awaitCommitted("fhir.observation", c.firstId)).hasSize(1);
            assertThat(awaitCommitted("fhir.observation", c.secondId)).hasSize(1);
        }
    }

    @Test
    void multiResourceWritesTheFocusAndItsContext() throws Exception {
        Case c = new Case();
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.firstId, "r4-Observation-f001.json"));
        c.observation(c.secondId, "r4-Observation-heart-rate.json");
        String patientId = "1599eb66-431a-447c-a3de-6897fe9ae9a1";
        try (SubscriptionReceiver receiver = c.receiver()) {
            assertThat(post(receiver, c.notification("multi-resource", c.secondId)).status()).isEqualTo(200);
            assertThat(awaitCommitted("fhir.observation", c.secondId)).hasSize(1);
            assertThat(awaitCommitted("fhir.patient", patientId)).isNotEmpty();
        }
    }

    @Test
    void duplicatesAreDroppedAndAGapTheServerCannotFillStaysOpenUntilItCan() throws Exception {
        Case c = new Case();
        c.observation(c.firstId, "r4-Observation-f001.json");
        c.observation(c.secondId, "r4-Observation-heart-rate.json");
        try (SubscriptionReceiver receiver = c.receiver()) {
            // The server has not recorded event 1 yet: $events cannot fill the gap.
            byte[] second = c.notification("full-resource", c.secondId);
            assertThat(post(receiver, second).status()).isEqualTo(200);
            SubscriptionState state = receiver.states().values().stream()
                .filter(s -> s.subscription().endsWith(c.subscriptionId)).findFirst().orElseThrow();
            assertThat(state.openGaps()).singleElement().satisfies(g -> assertThat(g).containsExactly(1, 1));

            assertThat(post(receiver, second).status()).isEqualTo(200);
            assertThat(awaitCommitted("fhir.observation", c.secondId)).hasSize(1);

            fhir.subscriptions().recordEvent(c.subscriptionId, fhir.resources(Observation.class).current(c.firstId).get());
            fhir.subscriptions().recordEvent(c.subscriptionId, fhir.resources(Observation.class).current(c.secondId).get());
            assertThat(post(receiver, c.notification("heartbeat", c.secondId)).status()).isEqualTo(200);
            state = receiver.states().values().stream()
                .filter(s -> s.subscription().endsWith(c.subscriptionId)).findFirst().orElseThrow();
            assertThat(state.openGaps()).isEmpty();
            assertThat(state.duplicatesDropped()).isEqualTo(1);
            assertThat(awaitCommitted("fhir.observation", c.firstId)).hasSize(1);
        }
    }

    @Test
    void aWrongOrMissingSecretIsRefusedWithAnOperationOutcome() throws Exception {
        Case c = new Case();
        c.observation(c.secondId, "r4-Observation-heart-rate.json");
        try (SubscriptionReceiver receiver = c.receiver()) {
            byte[] body = c.notification("full-resource", c.secondId);
            Reply wrong = receiver.receive("POST", "", header("Authorization: Bearer s3cret-hooK"), body);
            Reply missing = receiver.receive("POST", "", name -> null, body);
            for (Reply reply : List.of(wrong, missing)) {
                assertThat(reply.status()).isEqualTo(401);
                assertThat(JSON.readTree(reply.body()).path("resourceType").asText()).isEqualTo("OperationOutcome");
            }
            assertThat(committed("fhir.observation", c.secondId)).isEmpty();
            assertThat(receiver.states()).isEmpty();
        }
    }

    @Test
    void aBadBodyIsABadRequestWithAnOperationOutcome() throws Exception {
        Case c = new Case();
        try (SubscriptionReceiver receiver = c.receiver()) {
            for (String body : List.of("not json", "{\"resourceType\":\"Patient\"}",
                    "{\"resourceType\":\"Bundle\",\"type\":\"history\",\"entry\":[]}")) {
                Reply reply = post(receiver, body.getBytes(StandardCharsets.UTF_8));
                assertThat(reply.status()).as(body).isEqualTo(400);
                assertThat(JSON.readTree(reply.body()).path("issue").path(0).path("diagnostics").asText()).isNotBlank();
            }
            Reply wrongPut = receiver.receive("PUT", "Observation/other-id", header(SECRET),
                "{\"resourceType\":\"Observation\",\"id\":\"this-id\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(wrongPut.status()).isEqualTo(400);
        }
    }

    @Test
    void classicRestHookPutWritesTheResourceAndAnEmptyPostIsAccepted() throws Exception {
        Case c = new Case();
        Patient patient = new Patient();
        patient.setId("classic-" + c.subscriptionId);
        patient.addName().setFamily("Chalmers");
        byte[] body = fhir.fhirContext().newJsonParser().encodeResourceToString(patient).getBytes(StandardCharsets.UTF_8);
        try (SubscriptionReceiver receiver = c.receiver()) {
            assertThat(receiver.receive("PUT", "/Patient/classic-" + c.subscriptionId, header(SECRET), body).status())
                .isEqualTo(200);
            assertThat(receiver.receive("POST", "", header(SECRET), new byte[0]).status()).isEqualTo(200);
            List<JsonNode> written = awaitCommitted("fhir.patient", "classic-" + c.subscriptionId);
            assertThat(written).hasSize(1);
        }
    }

    @Test
    void aRestartNeitherLosesAcceptedEventsNorAcceptsThemAgain() throws Exception {
        Case c = new Case();
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.firstId, "r4-Observation-f001.json"));
        fhir.subscriptions().recordEvent(c.subscriptionId, c.observation(c.secondId, "r4-Observation-heart-rate.json"));
        byte[] second = c.notification("full-resource", c.secondId);
        try (SubscriptionReceiver receiver = c.receiver()) {
            assertThat(post(receiver, second).status()).isEqualTo(200);
        }
        try (SubscriptionReceiver restarted = c.receiver()) {
            SubscriptionState state = restarted.states().values().stream()
                .filter(s -> s.subscription().endsWith(c.subscriptionId)).findFirst().orElseThrow();
            assertThat(state.lastEventNumber()).isEqualTo(2);
            // The sender retries the notification it never saw answered: dropped, not written twice.
            assertThat(post(restarted, second).status()).isEqualTo(200);
            assertThat(awaitCommitted("fhir.observation", c.firstId)).hasSize(1);
            assertThat(awaitCommitted("fhir.observation", c.secondId)).hasSize(1);
        }
    }
}
