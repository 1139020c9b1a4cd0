package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import dev.kindred.clinical.cards.CdsCards;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kindred alerts} against the dev stack (real in-process broker and registry over HTTP) after a Synthea
 * replay: every printed line is valid JSON and equals the alert published, whole or as its CDS Hooks card.
 */
@org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class AlertsCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PATIENTS = 8;
    private static final long SEED = 7;

    @TempDir
    static Path tmp;

    private static DemoCommand.DevStack stack;
    /** Every alert published by the replay, by alert id. */
    private static Map<String, ClinicalAlert> replayed;

    @BeforeAll
    static void startStackAndReplaySynthea() throws Exception {
        stack = DemoCommand.DevStack.start(tmp.resolve("data"), 0, 0, 5);
        Path fhir = SyntheaFeed.generate(PATIENTS, SEED, Path.of("target", "synthea-cache"));
        DevStackTesting.replayAndAwait(stack, fhir);
        replayed = published();
        assertThat(replayed).as("alerts of the replay").hasSizeGreaterThan(5);
    }

    /** Every alert on cds.alerts now (a test may have added one), by alert id. */
    private static Map<String, ClinicalAlert> published() {
        Map<String, ClinicalAlert> out = new HashMap<>();
        for (ConsumerRecord<String, ClinicalAlert> r : DevStackTesting.readAll(stack, "cds.alerts", RegistryAvroSerde.specific(
                ClinicalAlert.class, Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, stack.registry.url()), false)
                .deserializer())) {
            out.put(r.value().getAlertId(), r.value());
        }
        return out;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }



    /** What one run of the command printed. */
    record Run(int exit, List<JsonNode> lines, String stderr) {
    }

    /** Runs {@code kindred alerts} in-process against the stack, with the given extra arguments. */
    private static Run alerts(String... args) throws Exception {
        return alerts(new StringWriter(), args);
    }

    private static Run alerts(StringWriter err, String... args) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine kindred = new CommandLine(new Kindred());
        kindred.setOut(new PrintWriter(out, true));
        kindred.setErr(new PrintWriter(err, true));
        String[] all = Stream.concat(Stream.of("alerts", "--bootstrap-servers", stack.broker.bootstrapServers(),
                "--registry-url", stack.registry.url()), Arrays.stream(args)).toArray(String[]::new);
        int exit = kindred.execute(all);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.toString().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));  // throws unless the line is one whole JSON value
            }
        }
        return new Run(exit, lines, err.toString());
    }

    @Test
    void fromTheBeginningPrintsEachWholeAlertAsOneJsonLine() throws Exception {
        Run run = alerts("--from-beginning", "--max", "5");
        Map<String, ClinicalAlert> published = published();

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.lines()).hasSize(5);
        assertThat(run.stderr()).contains("5 alerts printed");
        Set<String> ids = new HashSet<>();
        for (JsonNode line : run.lines()) {
            assertThat(line.isObject()).isTrue();
            assertThat(line.has("patientKey")).isTrue();
            assertThat(line.path("similarPatients").isArray()).isTrue();
            assertThat(line.path("recommendations").isArray()).isTrue();

            ClinicalAlert alert = published.get(line.path("alertId").asText());
            assertThat(alert).as("a published alert with id %s", line.path("alertId")).isNotNull();
            ids.add(alert.getAlertId());
            assertThat(line.path("patientKey").asText()).isEqualTo(alert.getPatientKey());
            assertThat(line.path("summary").asText()).isEqualTo(alert.getSummary());
            assertThat(line.path("indicator").asText()).isEqualTo(alert.getIndicator().name());
            assertThat(line.path("similarPatients").findValuesAsText("patientKey")).containsExactlyElementsOf(
                    alert.getSimilarPatients().stream().map(SimilarPatient::getPatientKey).toList());
            assertThat(line.path("recommendations")).hasSize(alert.getRecommendations().size());
            for (int i = 0; i < alert.getRecommendations().size(); i++) {
                TreatmentRecommendation r = alert.getRecommendations().get(i);
                JsonNode printed = line.path("recommendations").get(i);
                assertThat(printed.path("code").asText()).isEqualTo(r.getCode());
                assertThat(printed.path("wilsonLowerBound").asDouble()).isEqualTo(r.getWilsonLowerBound());
                // a union holds its value plainly, not wrapped as {"string": ...}
                assertThat(printed.path("display").isNull() || printed.path("display").isTextual()).isTrue();
            }
            JsonNode trigger = line.path("trigger");
            assertThat(trigger.path("type").asText()).isEqualTo(alert.getTrigger().getType().name());
            assertThat(trigger.path("display").isNull() || trigger.path("display").isTextual()).isTrue();
            assertThat(trigger.path("value").isNull() || trigger.path("value").isNumber()).isTrue();
            // timestamps are ISO-8601 instants
            assertThat(Instant.parse(line.path("eventTime").asText())).isEqualTo(alert.getEventTime());
            assertThat(Instant.parse(trigger.path("effectiveTime").asText()))
                    .isEqualTo(alert.getTrigger().getEffectiveTime());
        }
        assertThat(ids).as("distinct alerts").hasSize(5);
    }

    @Test
    void cardPrintsTheCdsHooksCardOfEachAlert() throws Exception {
        Run run = alerts("--from-beginning", "--max", "5", "--card");
        Map<String, ClinicalAlert> published = published();

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.lines()).hasSize(5);
        for (JsonNode card : run.lines()) {
            assertThat(card.path("summary").asText()).isNotBlank().hasSizeLessThan(140);
            assertThat(card.path("indicator").asText()).isIn("info", "warning", "critical");
            ClinicalAlert alert = published.get(card.path("uuid").asText());
            assertThat(alert).as("the alert of card %s", card.path("uuid")).isNotNull();
            assertThat(card).isEqualTo(JSON.valueToTree(CdsCards.card(alert)));
            assertThat(card.has("patientKey")).as("a card, not the whole alert").isFalse();
        }
    }

    @Test
    void patientKeepsOnlyThatPatientsAlertsAndTheRunEndsAtTheEndSeenAtStart() throws Exception {
        Map<String, Set<String>> idsByPatient = published().values().stream().collect(Collectors.groupingBy(
                ClinicalAlert::getPatientKey, Collectors.mapping(ClinicalAlert::getAlertId, Collectors.toSet())));
        assertThat(idsByPatient).as("patients with alerts").hasSizeGreaterThan(1);
        String patient = idsByPatient.entrySet().stream().max(Map.Entry.comparingByValue(
                java.util.Comparator.comparingInt(Set::size))).orElseThrow().getKey();

        Run run = alerts("--from-beginning", "--patient", patient);

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.lines()).allSatisfy(l -> assertThat(l.path("patientKey").asText()).isEqualTo(patient));
        assertThat(run.lines().stream().map(l -> l.path("alertId").asText()).collect(Collectors.toSet()))
                .isEqualTo(idsByPatient.get(patient));
        assertThat(run.lines()).hasSize(idsByPatient.get(patient).size());
        assertThat(run.stderr()).contains("reached the end seen at start").doesNotContain(patient);
    }

    @Test
    void withoutFromBeginningOnlyNewAlertsArePrinted() throws Exception {
        StringWriter err = new StringWriter();
        CompletableFuture<Run> running = CompletableFuture.supplyAsync(() -> {
            try {
                return alerts(err, "--max", "1", "--timeout-ms", "120000");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> err.toString().contains("reading cds.alerts"));

        // A heart rate far above its range, for a patient new to the stack, makes a new alert.
        String patient = "alerts-command-new-patient";
        String observation = "{\"resourceType\":\"Observation\",\"id\":\"alerts-command-hr\",\"status\":\"final\","
                + "\"subject\":{\"reference\":\"Patient/" + patient + "\"},"
                + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8867-4\"}]},"
                + "\"effectiveDateTime\":\"2024-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":190,\"unit\":\"/min\","
                + "\"system\":\"http://unitsofmeasure.org\",\"code\":\"/min\"}}";
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(stack.broker.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>("fhir.observation", patient.getBytes(StandardCharsets.UTF_8),
                    observation.getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }

        Run run = running.get(3, TimeUnit.MINUTES);
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.lines()).hasSize(1);
        JsonNode alert = run.lines().get(0);
        assertThat(alert.path("patientKey").asText()).isEqualTo(patient);
        assertThat(alert.path("trigger").path("type").asText()).isEqualTo("OUT_OF_RANGE");
        assertThat(alert.path("trigger").path("value").asDouble()).isEqualTo(190.0);
        assertThat(replayed).doesNotContainKey(alert.path("alertId").asText());
        assertThat(run.stderr()).contains("from now on").contains("--max 1 reached");
    }

    @Test
    void aRecordThatCannotBeDecodedIsReportedAndSkipped() throws Exception {
        String topic = "alerts-command-mixed";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        byte[] goodAlert = DevStackTesting.readAll(stack, "cds.alerts", new ByteArrayDeserializer()).get(0).value();
        byte[] badMagic = {1, 0, 0, 0, 1, 2, 3};
        byte[] unknownSchema = {0, 0, 0, 0x7f, 0x7f, 2, 4, 6};
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(stack.broker.bootstrapServers(), Map.of())) {
            for (byte[] value : List.of(badMagic, goodAlert, unknownSchema, goodAlert)) {
                producer.send(new ProducerRecord<>(topic, 0, null, value));
            }
            producer.flush();
        }

        Run run = alerts("--topic", topic, "--from-beginning");

        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.lines()).hasSize(2);
        assertThat(run.stderr())
                .contains("cannot decode the record at " + topic + " partition 0 offset 0")
                .contains("cannot decode the record at " + topic + " partition 0 offset 2")
                .contains("magic byte")
                .contains("schema id " + 0x7f7f)
                .contains("2 alerts printed, 2 records skipped");
    }

    @Test
    void usageErrorsAndAMissingTopicFailWithAMessage() throws Exception {
        CommandLine kindred = new CommandLine(new Kindred());
        StringWriter err = new StringWriter();
        kindred.setErr(new PrintWriter(err, true));
        kindred.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(kindred.execute("alerts", "--bootstrap-servers", stack.broker.bootstrapServers())).isEqualTo(2);
        assertThat(err.toString()).contains("--registry-url");

        Run missing = alerts("--topic", "no-such-topic", "--from-beginning");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.stderr()).contains("topic no-such-topic does not exist");
        StringWriter unreachable = new StringWriter();
        kindred = new CommandLine(new Kindred());
        kindred.setErr(new PrintWriter(unreachable, true));
        kindred.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(kindred.execute("alerts", "--bootstrap-servers", stack.broker.bootstrapServers(), "--registry-url",
                "http://127.0.0.1:1", "--from-beginning")).isEqualTo(1);
        assertThat(unreachable.toString()).contains("unreachable");
        Run badMax = alerts("--max", "0");
        assertThat(badMax.exit()).isEqualTo(2);
        assertThat(badMax.stderr()).contains("--max must be at least 1");
    }
}
