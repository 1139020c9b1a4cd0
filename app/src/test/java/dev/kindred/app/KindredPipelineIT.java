package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walking skeleton end to end on a real in-process KRaft broker and the in-process registry over HTTP:
 * Synthea Observations in, alerts and dead letters out, read back through the registry.
 */
@org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class KindredPipelineIT {
    private static final int PATIENTS = 8;
    private static final long SEED = 7;

    @TempDir
    static Path tmp;

    private static DemoCommand.DevStack stack;
    private static Set<String> inputPatients;

    @BeforeAll
    static void startStackAndReplaySynthea() throws Exception {
        stack = DemoCommand.DevStack.start(tmp.resolve("data"), 0, 0, 5);
        Path fhir = SyntheaFeed.generate(PATIENTS, SEED, Path.of("target", "synthea-cache"));
        inputPatients = patientIdsIn(fhir);
        DevStackTesting.replayAndAwait(stack, fhir);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }


    private static Set<String> patientIdsIn(Path fhir) throws Exception {
        Set<String> ids = new HashSet<>();
        new dev.kindred.connectors.files.FhirFileReader().stream(fhir)
                .filter(r -> "Patient".equals(r.resourceType()))
                .forEach(r -> ids.add(r.id()));
        return ids;
    }


    private static Map<String, Object> registryConfig() {
        return Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, stack.registry.url());
    }

    @Test
    void alertsNameRealPatientsAsSimilarAndNeverThePatientItself() {
        List<ConsumerRecord<String, ClinicalAlert>> alerts = DevStackTesting.readAll(stack, "cds.alerts",
                RegistryAvroSerde.specific(ClinicalAlert.class, registryConfig(), false).deserializer());
        assertThat(alerts).isNotEmpty();
        assertThat(inputPatients).hasSizeGreaterThanOrEqualTo(PATIENTS);
        int withNeighbours = 0;
        for (ConsumerRecord<String, ClinicalAlert> record : alerts) {
            ClinicalAlert alert = record.value();
            assertThat(record.key()).isEqualTo(alert.getPatientKey());
            assertThat(inputPatients).contains(alert.getPatientKey());
            assertThat(alert.getSimilarPatients()).hasSizeLessThanOrEqualTo(5);
            for (SimilarPatient s : alert.getSimilarPatients()) {
                assertThat(inputPatients).contains(s.getPatientKey());
                assertThat(s.getPatientKey()).isNotEqualTo(alert.getPatientKey());
            }
            assertThat(alert.getSummary().length()).isLessThan(140);
            if (!alert.getSimilarPatients().isEmpty()) {
                withNeighbours++;
            }
        }
        assertThat(withNeighbours).as("alerts that found similar patients").isPositive();
        // Every input patient is indexed; other tests may add patients of their own, in any order.
        assertThat(inputPatients).allSatisfy(p -> assertThat(stack.service.index("clinical").flatMap(i -> i.get(p)))
                .as("patient %s in the index", p).isPresent());
    }

    @Test
    void alertsCarryRecommendationsWithTheirEvidence() {
        List<ClinicalAlert> alerts = DevStackTesting.readAll(stack, "cds.alerts",
                RegistryAvroSerde.specific(ClinicalAlert.class, registryConfig(), false).deserializer())
                .stream().map(ConsumerRecord::value).toList();
        List<ClinicalAlert> withRecommendations = alerts.stream().filter(a -> !a.getRecommendations().isEmpty()).toList();
        assertThat(withRecommendations).as("alerts with recommendations, of %d", alerts.size()).isNotEmpty();
        for (ClinicalAlert a : withRecommendations) {
            Set<String> neighbours = a.getSimilarPatients().stream().map(SimilarPatient::getPatientKey)
                    .collect(Collectors.toSet());
            for (TreatmentRecommendation r : a.getRecommendations()) {
                assertThat(r.getNeighboursWithOutcome()).isGreaterThanOrEqualTo(3)
                        .isLessThanOrEqualTo(r.getNeighboursTreated());
                assertThat(r.getNeighboursTreated()).isLessThanOrEqualTo(neighbours.size());
                assertThat(r.getNeighboursImproved()).isLessThanOrEqualTo(r.getNeighboursWithOutcome());
                assertThat(r.getWilsonLowerBound()).isBetween(0.0, r.getWeightedImprovementRate());
                assertThat(neighbours).containsAll(r.getEvidenceNeighbours());
                assertThat(r.getOutcomeRules()).isNotEmpty();
            }
            assertThat(a.getDetail()).contains("What worked for similar patients");
        }
        assertThat(alerts).extracting(a -> a.getTrigger().getType()).contains(TriggerType.OUT_OF_RANGE,
                TriggerType.NEW_DIAGNOSIS);
    }

    @Test
    void anAlertDecodesWithNothingButTheRegistryRestApiAndAvro() throws Exception {
        List<ConsumerRecord<String, byte[]>> raw = DevStackTesting.readAll(stack, "cds.alerts", new ByteArrayDeserializer());
        assertThat(raw).isNotEmpty();
        ByteBuffer bytes = ByteBuffer.wrap(raw.get(raw.size() - 1).value());
        assertThat(bytes.get()).as("Confluent magic byte").isEqualTo((byte) 0);
        int schemaId = bytes.getInt();

        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(stack.registry.url() + "/schemas/ids/" + schemaId)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        Schema schema = new Schema.Parser().parse(new ObjectMapper().readTree(response.body()).get("schema").asText());
        GenericRecord alert = new GenericDatumReader<GenericRecord>(schema).read(null,
                DecoderFactory.get().binaryDecoder(bytes.array(), bytes.position(), bytes.remaining(), null));

        assertThat(schema.getFullName()).isEqualTo("dev.kindred.avro.ClinicalAlert");
        assertThat(inputPatients).contains(alert.get("patientKey").toString());
        assertThat(alert.get("summary").toString()).isNotBlank();
        assertThat(alert.get("indicator").toString()).isIn("info", "warning", "critical");
        assertThat(((GenericRecord) alert.get("trigger")).get("type").toString())
                .isIn("OUT_OF_RANGE", "NEW_DIAGNOSIS", "NEW_IMAGING_STUDY");

        HttpResponse<String> subjects = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(stack.registry.url() + "/subjects")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(subjects.body()).contains("cds.alerts-value");
    }

    @Test
    void garbageIsDeadLetteredAndTheRecordsAfterItAreStillProcessed() throws Exception {
        String notJson = "<xml>not json</xml>";
        String patient = "{\"resourceType\":\"Organization\",\"id\":\"org-1\"}";
        String noSubject = "{\"resourceType\":\"Observation\",\"id\":\"no-subject\",\"status\":\"final\","
                + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8867-4\"}]},"
                + "\"effectiveDateTime\":\"2024-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":80,\"unit\":\"/min\","
                + "\"system\":\"http://unitsofmeasure.org\",\"code\":\"/min\"}}";
        String after = noSubject.replace("\"id\":\"no-subject\",", "\"id\":\"after-garbage\",\"subject\":{\"reference\":"
                + "\"Patient/after-garbage-patient\"},");
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(stack.broker.bootstrapServers(), Map.of())) {
            for (String value : List.of(notJson, patient, noSubject, after)) {
                // One partition keeps them in order, so "after" is behind the garbage.
                producer.send(new ProducerRecord<>("fhir.observation", 0, null, value.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        DevStackTesting.awaitProcessed(stack);

        List<DeadLetter> letters = DevStackTesting.readAll(stack, "cds.dead-letter",
                RegistryAvroSerde.specific(DeadLetter.class, registryConfig(), false).deserializer())
                .stream().map(ConsumerRecord::value).toList();
        Map<String, String> reasonByValue = letters.stream().collect(Collectors.toMap(
                d -> StandardCharsets.UTF_8.decode(d.getOriginalValue()).toString(), DeadLetter::getReasonCode, (a, b) -> a));
        assertThat(reasonByValue).containsEntry(notJson, "malformed-json")
                .containsEntry(patient, "unsupported-resource")
                .containsEntry(noSubject, "missing-subject");
        assertThat(letters).allSatisfy(d -> assertThat(d.getSourceTopic()).isEqualTo("fhir.observation"));

        ProcessingMonitor.awaitValue(() -> stack.service.index("clinical").map(i -> i.get("after-garbage-patient")
                .isPresent() ? 1 : 0).orElse(0), 1, Duration.ofMinutes(1), "the patient sent after the garbage");
    }
}
