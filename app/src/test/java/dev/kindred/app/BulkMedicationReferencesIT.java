package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.PatientState;
import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.fhir.PatientReferences;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredTopics;
import dev.kindred.topology.KindredTopology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Synthea Bulk Data export (NDJSON per type, MedicationRequests naming Medications of Medication.ndjson by
 * {@code Medication/<id>}) through the replayer and the whole topology: no request is lost as unknown-medication,
 * whether the Medications come first (as the replayer sends them) or last.
 */
@Timeout(900)
class BulkMedicationReferencesIT {
    private static final int PATIENTS = 12;
    private static final long SEED = 42;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The types a treatment's fate depends on; Observations would only slow the test down. */
    private static final Set<String> TYPES = Set.of("Patient", "Medication", "MedicationRequest",
            "MedicationAdministration", "Condition");

    @TempDir
    Path tmp;

    private static Path bulk;
    /** patient key → RxNorm codes of the MedicationRequests that name a separate Medication. */
    private static Map<String, Set<String>> referencedByPatient;
    private static int referencingRequests;

    @BeforeAll
    static void generate() throws IOException {
        bulk = SyntheaFeed.generateBulk(PATIENTS, SEED, Path.of("target", "synthea-cache"));
        assertThat(bulk.resolve("Medication.ndjson")).as("Synthea writes Medication resources in bulk mode")
                .isRegularFile();
        Map<String, String> codeByMedication = new HashMap<>();
        for (String line : Files.readAllLines(bulk.resolve("Medication.ndjson"))) {
            JsonNode m = JSON.readTree(line);
            codeByMedication.put("Medication/" + m.path("id").asText(),
                    m.path("code").path("coding").path(0).path("code").asText());
        }
        referencedByPatient = new TreeMap<>();
        for (String line : Files.readAllLines(bulk.resolve("MedicationRequest.ndjson"))) {
            JsonNode r = JSON.readTree(line);
            String ref = r.path("medicationReference").path("reference").asText(null);
            if (ref != null) {
                referencingRequests++;
                referencedByPatient.computeIfAbsent(PatientReferences.patientKey(
                                r.path("subject").path("reference").asText()), k -> new TreeSet<>())
                        .add(codeByMedication.get(ref));
            }
        }
        assertThat(referencingRequests).as("requests naming a separate Medication").isPositive();
    }

    @Test
    void replayedMedicationsFirstNoRequestIsDeadLetteredUnknownMedication() throws IOException {
        Outcome outcome = run(replayed());
        assertThat(outcome.waitingBeforeMedications()).as("the replayer sends Medications first").isZero();
        assertThat(outcome.unknownMedication()).isEmpty();
        assertThat(outcome.waiting()).isZero();
        referencedByPatient.forEach((patient, codes) ->
                assertThat(outcome.treatmentCodes().get(patient)).as("treatments of %s", patient).containsAll(codes));
    }

    @Test
    void medicationsLastTheWaitingRequestsResolveToTheSameTreatments() throws IOException {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(replayed());
        // Stable: everything else keeps its order, the Medications move behind every request.
        records.sort(Comparator.comparing(r -> r.topic().equals(FhirTopics.forType("Medication"))));
        assertThat(records.get(records.size() - 1).topic()).isEqualTo("fhir.medication");

        Outcome last = run(records);
        Outcome first = run(replayed());

        assertThat(last.waitingBeforeMedications()).as("every referencing request waited")
                .isEqualTo(referencingRequests);
        assertThat(last.unknownMedication()).isEmpty();
        assertThat(last.waiting()).isZero();
        assertThat(last.treatmentCodes()).isEqualTo(first.treatmentCodes());
    }

    /**
     * @param waitingBeforeMedications treatments waiting when the first Medication came in
     * @param waiting                  treatments still waiting at the end
     */
    private record Outcome(List<DeadLetter> unknownMedication, long waitingBeforeMedications, long waiting,
            Map<String, Set<String>> treatmentCodes) {
    }

    /** What the replayer sends (restricted to {@link #TYPES}), in its order. */
    private List<ProducerRecord<byte[], byte[]>> replayed() throws IOException {
        Map<String, String> topics = new TreeMap<>(FhirTopics.BY_TYPE);
        topics.keySet().retainAll(TYPES);
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        new EventTimeReplayer(producer, topics, null).replay(List.of(bulk), EventTimeReplayer.Progress.none());
        return producer.history();
    }

    private Outcome run(List<ProducerRecord<byte[], byte[]>> records) {
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-bulk-medications");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state-" + UUID.randomUUID()).toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + UUID.randomUUID());
        KindredConfig config = new KindredConfig(props);
        try (TopologyTestDriver driver = new TopologyTestDriver(KindredTopology.build(config),
                KindredTopology.streamsProperties(props))) {
            KindredTopics topics = new KindredTopics(config);
            TestOutputTopic<String, DeadLetter> deadLetters = driver.createOutputTopic(config.deadLetterTopic(),
                    new StringDeserializer(), topics.deadLetters().valueSerde().deserializer());
            Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
            long waitingBeforeMedications = -1;
            for (ProducerRecord<byte[], byte[]> r : records) {
                if (waitingBeforeMedications < 0 && r.topic().equals(FhirTopics.forType("Medication"))) {
                    waitingBeforeMedications = count(driver.getKeyValueStore(KindredTopology.MEDICATION_WAITING_STORE));
                }
                inputs.computeIfAbsent(r.topic(), t -> driver.createInputTopic(t, new ByteArraySerializer(),
                        new ByteArraySerializer())).pipeInput(r.key(), r.value());
            }
            List<DeadLetter> unknown = deadLetters.readValuesToList().stream()
                    .filter(d -> d.getReasonCode().equals("unknown-medication")).toList();
            long waitingCount = count(driver.getKeyValueStore(KindredTopology.MEDICATION_WAITING_STORE));
            Map<String, Set<String>> treatments = new TreeMap<>();
            KeyValueStore<String, PatientState> states = driver.getKeyValueStore(KindredTopology.PATIENT_STATE_STORE);
            for (String patient : referencedByPatient.keySet()) {
                PatientState state = states.get(patient);
                Set<String> codes = new TreeSet<>();
                if (state != null) {
                    state.getTreatments().values().forEach(c -> codes.add(c.getCode()));
                }
                treatments.put(patient, codes);
            }
            return new Outcome(unknown, waitingBeforeMedications, waitingCount, treatments);
        }
    }

    private static long count(KeyValueStore<String, ?> store) {
        long n = 0;
        try (KeyValueIterator<String, ?> all = store.all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }
}
