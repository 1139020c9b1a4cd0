package dev.kindred.topology;

import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.condition;
import static dev.kindred.fhir.testing.FhirJson.imagingStudy;
import static dev.kindred.fhir.testing.FhirJson.medicationRequest;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static dev.kindred.fhir.testing.FhirJson.patient;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import dev.kindred.clinical.cards.CdsCards;
import java.io.IOException;
import java.io.InputStream;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outcomes, recommendations, triggers and suppression through the whole topology on TopologyTestDriver, with
 * the unit-test catalog and outcome rules (metformin judged on glucose: fell 20 mg/dL or reached 99 or less
 * within 60 days, looking back 90 days).
 */
class OutcomesTopologyTest {
    private static final String METFORMIN = "860975";

    @TempDir
    Path tmp;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<String, ClinicalAlert> alerts;
    private TestOutputTopic<String, PatientVector> vectors;

    @BeforeEach
    void start() throws IOException {
        driver = newDriver(tmp.resolve("state"));
        KindredTopics topics = new KindredTopics(new KindredConfig(props));
        input = driver.createInputTopic("fhir.observation", new ByteArraySerializer(), new ByteArraySerializer());
        alerts = driver.createOutputTopic("cds.alerts", new StringDeserializer(), topics.alerts().valueSerde().deserializer());
        vectors = driver.createOutputTopic("cds.patient-vectors", new StringDeserializer(), topics.vectors().valueSerde().deserializer());
    }

    private Map<String, Object> props;

    private TopologyTestDriver newDriver(Path stateDir) throws IOException {
        Path catalog = copy("/test-catalog.json", "catalog.json");
        Path rules = copy("/test-outcome-rules.json", "rules.json");
        props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-outcomes-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + UUID.randomUUID());
        props.put(KindredConfig.CATALOG_PATH_CONFIG, catalog.toString());
        props.put(KindredConfig.OUTCOME_RULES_PATH_CONFIG, rules.toString());
        props.put(KindredConfig.ALERT_NEIGHBOURS_CONFIG, "4");
        // One vector record per change: these tests follow each change into the index.
        props.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, "0");
        return new TopologyTestDriver(KindredTopology.build(new KindredConfig(props)),
                KindredTopology.streamsProperties(props));
    }

    private Path copy(String resource, String name) throws IOException {
        Path target = tmp.resolve(name);
        try (InputStream in = getClass().getResourceAsStream(resource)) {
            Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void send(String json) {
        input.pipeInput(bytes(json));
    }

    /** Four patients whose glucose fell on metformin: 190 before, 120 six weeks after. */
    private void treatedPopulation() {
        for (int i = 2; i <= 5; i++) {
            String p = "Patient/p" + i;
            send(observation("g" + i + "a", p, "2339-0", 185 + i, "mg/dL", "2020-01-01T10:00:00Z"));
            send(medicationRequest("m" + i, p, METFORMIN, "active", "2020-01-05T10:00:00Z"));
            send(observation("g" + i + "b", p, "2339-0", 118 + i, "mg/dL", "2020-02-20T10:00:00Z"));
        }
    }

    private static List<TreatmentOutcome> metformin(PatientVector v) {
        return v.getOutcomes().stream().filter(o -> o.getCode().equals(METFORMIN)).toList();
    }

    @Test
    void outcomesStayUnknownUntilStreamTimePassesTheWindowThenEveryTreatedPatientIsRepublished() {
        treatedPopulation();
        List<PatientVector> before = vectors.readValuesToList();
        assertThat(before).filteredOn(v -> !metformin(v).isEmpty())
                .allSatisfy(v -> assertThat(metformin(v)).extracting(TreatmentOutcome::getStatus)
                        .containsOnly(OutcomeStatus.UNKNOWN));

        // Another patient's fact moves stream time past 2020-03-05 (start + 60 days): nothing else arrives for p2..p5.
        send(observation("other", "Patient/p9", "8867-4", 70, "/min", "2020-03-06T10:00:00Z"));
        Map<String, PatientVector> republished = new HashMap<>();
        for (PatientVector v : vectors.readValuesToList()) {
            republished.put(v.getPatientKey(), v);
        }
        assertThat(republished).containsKeys("p2", "p3", "p4", "p5", "p9");
        for (String p : List.of("p2", "p3", "p4", "p5")) {
            TreatmentOutcome o = metformin(republished.get(p)).get(0);
            assertThat(o.getStatus()).as(p).isEqualTo(OutcomeStatus.IMPROVED);
            assertThat(o.getRule()).isEqualTo("glucose-lowering");
            assertThat(o.getDecidedAt()).isEqualTo(java.time.Instant.parse("2020-03-05T10:00:00Z"));
            assertThat(republished.get(p).getVersion()).as("a higher version, so the index takes it")
                    .isGreaterThan(before.stream().filter(v -> v.getPatientKey().equals(p))
                            .mapToLong(PatientVector::getVersion).max().orElseThrow());
        }
    }

    @Test
    void anAlertRecommendsWhatWorkedForSimilarPatientsWithItsEvidenceAndMapsToACard() {
        treatedPopulation();
        send(observation("other", "Patient/p9", "8867-4", 70, "/min", "2020-03-06T10:00:00Z"));
        alerts.readValuesToList();
        send(observation("g1", "Patient/p1", "2339-0", 250, "mg/dL", "2020-04-02T10:00:00Z"));

        ClinicalAlert alert = alerts.readValuesToList().stream().filter(a -> a.getPatientKey().equals("p1"))
                .findFirst().orElseThrow();
        assertThat(alert.getSimilarPatients()).isNotEmpty();
        TreatmentRecommendation rec = alert.getRecommendations().get(0);
        assertThat(rec.getCode()).isEqualTo(METFORMIN);
        assertThat(rec.getMatchesTrigger()).isTrue();
        assertThat(rec.getNeighboursWithOutcome()).isBetween(3, alert.getSimilarPatients().size());
        assertThat(rec.getNeighboursImproved()).isEqualTo(rec.getNeighboursWithOutcome());
        assertThat(rec.getNeighboursTreated()).isLessThanOrEqualTo(alert.getSimilarPatients().size());
        assertThat(rec.getWeightedImprovementRate()).isEqualTo(1.0);
        assertThat(rec.getWilsonLowerBound()).isBetween(0.0, 1.0).isLessThan(1.0);
        assertThat(rec.getEvidenceNeighbours()).hasSize(rec.getNeighboursWithOutcome())
                .allSatisfy(k -> assertThat(k).isIn("p2", "p3", "p4", "p5"));
        assertThat(rec.getOutcomeRules()).containsExactly("glucose-lowering");
        assertThat(rec.getAlreadyReceiving()).isFalse();
        assertThat(alert.getSuggestions()).singleElement().satisfies(s -> {
            assertThat(s.getIsRecommended()).isTrue();
            assertThat(s.getTreatment()).isEqualTo("http://www.nlm.nih.gov/research/umls/rxnorm|" + METFORMIN);
        });
        assertThat(alert.getDetail()).contains("What worked for similar patients").contains("glucose-lowering");
        assertThat(alert.getSummary()).hasSizeLessThan(140);
        assertThat(alert.getSimilarPatients()).allSatisfy(s -> assertThat(s.getSharedFeatures()).isNotEmpty());

        Map<String, Object> card = CdsCards.card(alert);
        assertThat(card.get("uuid")).isEqualTo(alert.getAlertId());
        assertThat(card.get("indicator")).isEqualTo("warning");
        assertThat((List<?>) card.get("suggestions")).hasSize(1);
    }

    @Test
    void repeatedAlertsForTheSameCauseAreSuppressedUnlessTheySeverityRises() {
        send(observation("a", "Patient/p1", "2339-0", 250, "mg/dL", "2020-04-02T10:00:00Z"));
        send(observation("b", "Patient/p1", "2339-0", 260, "mg/dL", "2020-04-10T10:00:00Z"));
        send(observation("c", "Patient/p1", "2339-0", 30, "mg/dL", "2020-04-11T10:00:00Z"));   // the other side
        send(observation("d", "Patient/p1", "2339-0", 450, "mg/dL", "2020-04-12T10:00:00Z"));  // critical
        send(observation("e", "Patient/p1", "2339-0", 455, "mg/dL", "2020-04-13T10:00:00Z"));
        send(observation("f", "Patient/p1", "2339-0", 270, "mg/dL", "2020-06-01T10:00:00Z"));  // 50 days later
        List<ClinicalAlert> out = alerts.readValuesToList();
        assertThat(out).extracting(a -> a.getTrigger().getSourceResource())
                .containsExactly("Observation/a", "Observation/c", "Observation/d", "Observation/f");
        assertThat(out).extracting(ClinicalAlert::getIndicator).containsExactly(AlertIndicator.warning,
                AlertIndicator.critical, AlertIndicator.critical, AlertIndicator.warning);
    }

    @Test
    void aNewDiagnosisAndANewImagingStudyAlert() {
        send(patient("p1", "female", "1960-03-01"));
        send(observation("g", "Patient/p1", "2339-0", 90, "mg/dL", "2020-04-01T10:00:00Z"));
        send(condition("c1", "Patient/p1", "44054006", "active", "2020-04-02T10:00:00Z"));
        send(condition("c1", "Patient/p1", "44054006", "active", "2020-04-02T10:00:00Z"));   // a replay
        send(imagingStudy("s1", "Patient/p1", "CT", "2020-04-03T10:00:00Z"));
        List<ClinicalAlert> out = alerts.readValuesToList();
        assertThat(out).extracting(a -> a.getTrigger().getType())
                .containsExactly(TriggerType.NEW_DIAGNOSIS, TriggerType.NEW_IMAGING_STUDY);
        assertThat(out.get(0).getSummary()).startsWith("New diagnosis: ").hasSizeLessThan(140);
        assertThat(out.get(0).getIndicator()).isEqualTo(AlertIndicator.info);
        assertThat(out.get(1).getSummary()).startsWith("New imaging study: ").contains("CT");
        assertThat(out.get(1).getAlertId()).isNotEqualTo(out.get(0).getAlertId());
    }

    @Test
    void theSameInputGivesTheSameAlertIdsInAnotherTopology() throws IOException {
        send(observation("a", "Patient/p1", "2339-0", 250, "mg/dL", "2020-04-02T10:00:00Z"));
        String first = alerts.readValuesToList().get(0).getAlertId();
        try (TopologyTestDriver other = newDriver(tmp.resolve("other-state"))) {
            KindredTopics topics = new KindredTopics(new KindredConfig(props));
            other.createInputTopic("fhir.observation", new ByteArraySerializer(), new ByteArraySerializer())
                    .pipeInput(bytes(observation("a", "Patient/p1", "2339-0", 250, "mg/dL", "2020-04-02T10:00:00Z")));
            assertThat(other.createOutputTopic("cds.alerts", new StringDeserializer(), topics.alerts().valueSerde().deserializer())
                    .readValuesToList().get(0).getAlertId()).isEqualTo(first);
        }
    }
}
