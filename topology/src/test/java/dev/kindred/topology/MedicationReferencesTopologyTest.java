package dev.kindred.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentCourse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * MedicationRequests whose medicationReference names a Medication sent as a record of its own (as in a Bulk Data
 * export's Medication.ndjson): resolved whatever the order, waiting bounded in time and count.
 */
@Timeout(60)
class MedicationReferencesTopologyTest {
    private static final String RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
    private static final long WAIT_MS = 60_000;

    @TempDir
    Path tmp;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> requests;
    private TestInputTopic<byte[], byte[]> medications;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() {
        startWith(100_000);
    }

    private void startWith(int maxWaiting) {
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-medrefs-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state-" + UUID.randomUUID()).toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + UUID.randomUUID());
        props.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, "0");
        props.put(KindredConfig.MEDICATION_WAIT_MS_CONFIG, Long.toString(WAIT_MS));
        props.put(KindredConfig.MEDICATION_WAIT_MAX_CONFIG, Integer.toString(maxWaiting));
        KindredConfig config = new KindredConfig(props);
        driver = new TopologyTestDriver(KindredTopology.build(config), KindredTopology.streamsProperties(props));
        KindredTopics topics = new KindredTopics(config);
        requests = driver.createInputTopic("fhir.medicationrequest", new ByteArraySerializer(), new ByteArraySerializer());
        medications = driver.createInputTopic("fhir.medication", new ByteArraySerializer(), new ByteArraySerializer());
        deadLetters = driver.createOutputTopic("cds.dead-letter", new StringDeserializer(),
                topics.deadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static byte[] medication(String id, String rxnorm) {
        return ("{\"resourceType\":\"Medication\",\"id\":\"" + id + "\",\"code\":{\"coding\":[{\"system\":\"" + RXNORM
                + "\",\"code\":\"" + rxnorm + "\",\"display\":\"test drug\"}]}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] request(String id, String patient, String medicationReference) {
        return ("{\"resourceType\":\"MedicationRequest\",\"id\":\"" + id + "\",\"status\":\"active\","
                + "\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
                + "\"medicationReference\":{\"reference\":\"" + medicationReference + "\"},"
                + "\"authoredOn\":\"2020-01-05T10:00:00Z\"}").getBytes(StandardCharsets.UTF_8);
    }

    private TreatmentCourse treatment(String patient, String rxnorm) {
        KeyValueStore<String, PatientState> states = driver.getKeyValueStore(KindredTopology.PATIENT_STATE_STORE);
        PatientState state = states.get(patient);
        return state == null ? null : state.getTreatments().get(RXNORM + "|" + rxnorm);
    }

    @Test
    void aRequestBeforeItsMedicationIsResolvedWhenTheMedicationArrives() {
        requests.pipeInput(request("mr1", "p1", "Medication/m1"));
        assertThat(treatment("p1", "860975")).as("nothing to apply before the Medication is known").isNull();

        medications.pipeInput(medication("m1", "860975"));

        TreatmentCourse course = treatment("p1", "860975");
        assertThat(course).isNotNull();
        assertThat(course.getResourceType()).isEqualTo("MedicationRequest");
        assertThat(course.getEpisodes()).hasSize(1);
        assertThat(course.getEpisodes().get(0).getOrders()).extracting(o -> o.getSourceResourceId())
                .containsExactly("mr1");
        KeyValueStore<String, ?> waiting = driver.getKeyValueStore(KindredTopology.MEDICATION_WAITING_STORE);
        assertThat(waiting.approximateNumEntries()).isZero();
        // Long after the bound, nothing is dead-lettered: the request was resolved, not left waiting.
        driver.advanceWallClockTime(Duration.ofMillis(WAIT_MS * 2));
        assertThat(deadLetters.readValuesToList()).isEmpty();
    }

    @Test
    void aRequestAfterItsMedicationResolvesAtOnceWhateverFormTheReferenceTakes() {
        medications.pipeInput(medication("m2", "197361"));
        requests.pipeInput(request("mr2", "p2", "https://ehr.example.org/fhir/Medication/m2/_history/3"));
        assertThat(treatment("p2", "197361")).isNotNull();
        assertThat(deadLetters.readValuesToList()).isEmpty();
    }

    @Test
    void aMedicationThatNeverArrivesIsDeadLetteredAfterTheWaitOnly() {
        byte[] json = request("mr3", "p3", "Medication/never");
        requests.pipeInput(json);
        driver.advanceWallClockTime(Duration.ofMillis(WAIT_MS / 2));
        assertThat(deadLetters.readValuesToList()).as("still within the wait").isEmpty();

        driver.advanceWallClockTime(Duration.ofMillis(WAIT_MS));

        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).hasSize(1);
        DeadLetter d = dead.get(0);
        assertThat(d.getReasonCode()).isEqualTo("unknown-medication");
        assertThat(d.getReason()).contains("Medication/never").contains("kindred.medication.wait.ms");
        assertThat(d.getResourceType()).isEqualTo("MedicationRequest");
        assertThat(d.getResourceId()).isEqualTo("mr3");
        assertThat(d.getSourceTopic()).isEqualTo("fhir.medicationrequest");
        assertThat(StandardCharsets.UTF_8.decode(d.getOriginalValue()).toString()).contains("\"mr3\"");
        assertThat(treatment("p3", "860975")).isNull();
        KeyValueStore<String, ?> waiting = driver.getKeyValueStore(KindredTopology.MEDICATION_WAITING_STORE);
        assertThat(waiting.approximateNumEntries()).isZero();

        // The Medication arriving after the bound does not bring the dead-lettered request back.
        medications.pipeInput(medication("never", "860975"));
        assertThat(treatment("p3", "860975")).isNull();
    }

    @Test
    void beyondTheCountBoundAWaitingRequestIsDeadLetteredAtOnce() {
        driver.close();
        startWith(2);
        requests.pipeInput(request("a", "p4", "Medication/x1"));
        requests.pipeInput(request("b", "p4", "Medication/x2"));
        assertThat(deadLetters.readValuesToList()).isEmpty();

        requests.pipeInput(request("c", "p4", "Medication/x3"));

        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).extracting(DeadLetter::getResourceId).containsExactly("c");
        assertThat(dead.get(0).getReasonCode()).isEqualTo("unknown-medication");
        assertThat(dead.get(0).getReason()).contains("kindred.medication.wait.max");
        // The two within the bound still resolve.
        medications.pipeInput(medication("x1", "1"));
        medications.pipeInput(medication("x2", "2"));
        assertThat(treatment("p4", "1")).isNotNull();
        assertThat(treatment("p4", "2")).isNotNull();
    }

    @Test
    void aMedicationWithoutACodeDeadLettersTheRequestsWaitingForIt() {
        requests.pipeInput(request("mr5", "p5", "Medication/nocode"));
        medications.pipeInput("{\"resourceType\":\"Medication\",\"id\":\"nocode\",\"code\":{\"text\":\"a drug\"}}"
                .getBytes(StandardCharsets.UTF_8));
        List<DeadLetter> dead = deadLetters.readValuesToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).getReasonCode()).isEqualTo("unknown-medication");
        assertThat(dead.get(0).getReason()).contains("Medication/nocode").contains("no coding");
    }

    @Test
    void containedAndBundleInternalReferencesStillResolveWithoutWaiting() {
        String contained = "{\"resourceType\":\"MedicationRequest\",\"id\":\"mr6\",\"status\":\"active\","
                + "\"intent\":\"order\",\"contained\":[{\"resourceType\":\"Medication\",\"id\":\"med\",\"code\":"
                + "{\"coding\":[{\"system\":\"" + RXNORM + "\",\"code\":\"6\"}]}}],"
                + "\"subject\":{\"reference\":\"Patient/p6\"},\"medicationReference\":{\"reference\":\"#med\"},"
                + "\"authoredOn\":\"2020-01-05T10:00:00Z\"}";
        requests.pipeInput(contained.getBytes(StandardCharsets.UTF_8));
        String bundle = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
                + "{\"fullUrl\":\"urn:uuid:aaaa\",\"resource\":{\"resourceType\":\"Medication\",\"code\":{\"coding\":"
                + "[{\"system\":\"" + RXNORM + "\",\"code\":\"7\"}]}}},"
                + "{\"fullUrl\":\"urn:uuid:bbbb\",\"resource\":" + new String(request("mr7", "p6", "urn:uuid:aaaa"),
                StandardCharsets.UTF_8) + "}]}";
        requests.pipeInput(bundle.getBytes(StandardCharsets.UTF_8));
        assertThat(treatment("p6", "6")).isNotNull();
        assertThat(treatment("p6", "7")).isNotNull();
        assertThat(deadLetters.readValuesToList()).isEmpty();
    }
}
