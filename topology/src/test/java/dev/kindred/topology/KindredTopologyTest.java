package dev.kindred.topology;

import static dev.kindred.fhir.testing.FhirJson.bloodPressure;
import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.testing.FhirJson;
import dev.kindred.clinical.patient.PatientVectorizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/** The whole topology on Kafka's TopologyTestDriver, with an in-memory schema registry. */
class KindredTopologyTest {
    @TempDir
    Path tmp;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> observations;
    private TestOutputTopic<String, ClinicalAlert> alerts;
    private TestOutputTopic<String, PatientVector> vectors;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() throws IOException {
        Path catalog = tmp.resolve("catalog.json");
        try (InputStream in = getClass().getResourceAsStream("/test-catalog.json")) {
            Files.copy(in, catalog);
        }
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + UUID.randomUUID());
        props.put(KindredConfig.CATALOG_PATH_CONFIG, catalog.toString());
        props.put(KindredConfig.ALERT_NEIGHBOURS_CONFIG, "3");
        // One vector record per change: these tests follow each change into the index.
        props.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, "0");
        KindredConfig config = new KindredConfig(props);
        driver = new TopologyTestDriver(KindredTopology.build(config), KindredTopology.streamsProperties(props));
        KindredTopics topics = new KindredTopics(new KindredConfig(props));
        observations = driver.createInputTopic("fhir.observation", new ByteArraySerializer(), new ByteArraySerializer());
        alerts = driver.createOutputTopic("cds.alerts", new StringDeserializer(), topics.alerts().valueSerde().deserializer());
        vectors = driver.createOutputTopic("cds.patient-vectors", new StringDeserializer(), topics.vectors().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic("cds.dead-letter", new StringDeserializer(), topics.deadLetters().valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void send(String json) {
        observations.pipeInput(bytes(json));
    }

    private void population() {
        for (int i = 2; i <= 7; i++) {
            send(bloodPressure("bp" + i, "Patient/p" + i, 110 + i * 4, 70 + i, "2020-01-0" + i + "T10:00:00Z"));
            send(observation("hr" + i, "Patient/p" + i, "8867-4", 60 + i * 3, "/min", "2020-01-0" + i + "T10:00:00Z"));
        }
        send(bloodPressure("bp1", "Patient/p1", 150, 95, "2020-01-08T10:00:00Z"));
    }

    @Test
    void outOfRangeValueAlertsWithSimilarPatientsNeverThePatientItself() {
        population();
        send(observation("g1", "Patient/p1", "2339-0", 310, "mg/dL", "2020-01-09T10:00:00Z"));

        List<ClinicalAlert> all = alerts.readValuesToList();
        ClinicalAlert alert = all.stream().filter(a -> a.getTrigger().getFeatureId().equals("glucose"))
                .findFirst().orElseThrow();
        assertThat(alert.getPatientKey()).isEqualTo("p1");
        assertThat(alert.getTrigger().getType()).isEqualTo(TriggerType.OUT_OF_RANGE);
        assertThat(alert.getTrigger().getValue()).isEqualTo(310.0);
        assertThat(alert.getIndicator()).isEqualTo(AlertIndicator.warning);
        assertThat(alert.getSimilarPatients()).hasSize(3)
                .extracting(SimilarPatient::getPatientKey)
                .doesNotContain("p1")
                .allSatisfy(key -> assertThat(key).isIn("p2", "p3", "p4", "p5", "p6", "p7"));
        assertThat(alert.getSimilarPatients()).extracting(SimilarPatient::getDistance).isSorted();
        assertThat(alert.getSummary()).hasSizeLessThan(140).contains("Glucose").contains("above");
        assertThat(alert.getCatalogVersion()).isEqualTo("test-1");
        assertThat(alert.getAbnormalFeatures()).contains("glucose", "systolic_bp", "diastolic_bp");
    }

    @Test
    void criticalValueGivesACriticalAlert() {
        population();
        send(observation("g2", "Patient/p1", "2339-0", 30, "mg/dL", "2020-01-09T10:00:00Z"));
        ClinicalAlert alert = alerts.readValuesToList().stream()
                .filter(a -> a.getTrigger().getFeatureId().equals("glucose")).findFirst().orElseThrow();
        assertThat(alert.getIndicator()).isEqualTo(AlertIndicator.critical);
        assertThat(alert.getSummary()).contains("below");
    }

    @Test
    void publishesAVectorPerChangeAndNothingForAReplay() {
        String obs = observation("hr1", "Patient/p9", "8867-4", 72, "/min", "2020-01-01T10:00:00Z");
        send(obs);
        send(obs);
        List<PatientVector> out = vectors.readValuesToList();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).getPatientKey()).isEqualTo("p9");
        assertThat(out.get(0).getVectors()).containsKey("clinical");
        assertThat(out.get(0).getVectors().get("clinical"))
                .hasSize(new PatientVectorizer(FhirJson.testCatalog()).dimensions("clinical").size());
    }

    @Test
    void anOlderValueArrivingLateNeverReplacesANewerOne() {
        send(observation("new", "Patient/p1", "2339-0", 90, "mg/dL", "2020-03-01T10:00:00Z"));
        send(observation("old", "Patient/p1", "2339-0", 300, "mg/dL", "2020-02-01T10:00:00Z"));
        KeyValueStore<String, PatientState> states = driver.getKeyValueStore(KindredTopology.PATIENT_STATE_STORE);
        assertThat(states.get("p1").getFeatures().get("glucose").getValue()).isEqualTo(90.0);
        assertThat(states.get("p1").getHistory().get("glucose").getCount()).as("the history counts it").isEqualTo(2);
        assertThat(alerts.isEmpty()).as("the late abnormal value is history, not news").isTrue();
    }

    @Test
    void enteredInErrorRetractsTheValue() {
        String good = observation("g7", "Patient/p1", "2339-0", 90, "mg/dL", "2020-03-01T10:00:00Z");
        send(good);
        send(good.replace("\"final\"", "\"entered-in-error\""));
        KeyValueStore<String, PatientState> states = driver.getKeyValueStore(KindredTopology.PATIENT_STATE_STORE);
        assertThat(states.get("p1").getFeatures()).doesNotContainKey("glucose");
        assertThat(vectors.readValuesToList()).hasSize(2);
    }

    @Test
    void garbageGoesToTheDeadLetterTopicAndProcessingGoesOn() {
        String notJson = "definitely { not json";
        String patient = "{\"resourceType\":\"Organization\",\"id\":\"org1\"}";
        String noSubject = observation("n1", "X", "8867-4", 70, "/min", "2020-01-01")
                .replace("\"subject\":{\"reference\":\"X\"},", "");
        send(notJson);
        send(patient);
        send(noSubject);
        send(observation("after", "Patient/p5", "8867-4", 70, "/min", "2020-01-01T00:00:00Z"));

        List<DeadLetter> letters = deadLetters.readValuesToList();
        assertThat(letters).extracting(DeadLetter::getReasonCode)
                .containsExactly("malformed-json", "unsupported-resource", "missing-subject");
        assertThat(letters).extracting(d -> new String(d.getOriginalValue().array(), StandardCharsets.UTF_8))
                .containsExactly(notJson, patient, noSubject);
        assertThat(letters).allSatisfy(d -> {
            assertThat(d.getSourceTopic()).isEqualTo("fhir.observation");
            assertThat(d.getReason()).isNotBlank();
        });
        assertThat(letters.get(2).getResourceId()).isEqualTo("n1");
        assertThat(vectors.readValuesToList()).extracting(PatientVector::getPatientKey).containsExactly("p5");
    }

    @Test
    void anyInputTopicMayCarryObservations() {
        TestInputTopic<byte[], byte[]> conditions = driver.createInputTopic("fhir.condition",
                new ByteArraySerializer(), new ByteArraySerializer());
        conditions.pipeInput(bytes(observation("x1", "Patient/p3", "8867-4", 70, "/min", "2020-01-01T00:00:00Z")));
        assertThat(vectors.readValuesToList()).extracting(PatientVector::getPatientKey).containsExactly("p3");
    }
}
