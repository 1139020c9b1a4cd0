package dev.kindred.topology;

import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.condition;
import static dev.kindred.fhir.testing.FhirJson.medicationRequest;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static dev.kindred.fhir.testing.FhirJson.patient;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.InMemoryPatientIndex;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream and {@code kindred evaluate} run one pipeline: the same FHIR records through the whole topology
 * (TopologyTestDriver) and through {@link PatientPipeline} in-process, with an in-memory index fed by the
 * pipeline's own vectors, give the same alerts — ids, text, similar patients, recommendations.
 */
@Timeout(60)
class PipelineEquivalenceTest {
    private static final String METFORMIN = "860975";

    @TempDir
    Path tmp;

    /**
     * Twelve patients with glucose measured before and after a metformin course (it works for the even ones),
     * then a thirteenth whose high glucose and new diabetes diagnosis raise alerts that recommend from them.
     */
    static List<String> records() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String p = "Patient/p" + i;
            out.add(patient("p" + i, i % 2 == 0 ? "male" : "female", (1950 + i) + "-03-01"));
        }
        for (int i = 0; i < 12; i++) {
            String p = "Patient/p" + i;
            out.add(observation("g" + i + "a", p, "2339-0", 150 + i, "mg/dL", day(1 + i)));
            out.add(condition("c" + i, p, "44054006", "active", day(2 + i)));
            out.add(medicationRequest("m" + i, p, METFORMIN, "active", day(20 + i)));
            out.add(observation("g" + i + "b", p, "2339-0", i % 2 == 0 ? 95 : 170 + i, "mg/dL", day(45 + i)));
        }
        out.add(patient("q", "male", "1956-03-01"));
        out.add(observation("gq1", "Patient/q", "2339-0", 160, "mg/dL", day(200)));
        out.add(condition("cq", "Patient/q", "44054006", "active", day(201)));
        out.add(observation("gq2", "Patient/q", "2339-0", 240, "mg/dL", day(260)));
        return out;
    }

    private static String day(int n) {
        return Instant.parse("2021-01-01T09:00:00Z").plus(Duration.ofDays(n)).toString();
    }

    @Test
    void theTopologyAndThePipelineInProcessRaiseTheSameAlerts() throws IOException {
        List<ClinicalAlert> streamed = throughTopology();
        List<ClinicalAlert> inProcess = throughPipeline();

        assertThat(streamed).as("the scenario raises alerts with recommendations")
                .anySatisfy(a -> assertThat(a.getRecommendations()).isNotEmpty());
        assertThat(streamed).hasSameSizeAs(inProcess);
        for (int i = 0; i < streamed.size(); i++) {
            ClinicalAlert s = streamed.get(i);
            ClinicalAlert p = inProcess.get(i);
            assertThat(s.getAlertId()).isEqualTo(p.getAlertId());
            assertThat(s.getSimilarPatients()).as("neighbours of %s", s.getAlertId()).isEqualTo(p.getSimilarPatients());
            assertThat(s.getRecommendations()).as("recommendations of %s", s.getAlertId())
                    .isEqualTo(p.getRecommendations());
            assertThat(s.getSummary()).isEqualTo(p.getSummary());
            assertThat(s.getDetail()).isEqualTo(p.getDetail());
            assertThat(s.getTrigger()).isEqualTo(p.getTrigger());
            assertThat(s.getSuggestions()).isEqualTo(p.getSuggestions());
        }
    }

    private Map<String, Object> props() throws IOException {
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-equivalence");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + UUID.randomUUID());
        props.put(KindredConfig.CATALOG_PATH_CONFIG, copy("/test-catalog.json").toString());
        props.put(KindredConfig.OUTCOME_RULES_PATH_CONFIG, copy("/test-outcome-rules.json").toString());
        props.put(KindredConfig.ALERT_NEIGHBOURS_CONFIG, "5");
        // Every change reaches the index before the next record, as it does in-process.
        props.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, "0");
        return props;
    }

    private Path copy(String resource) throws IOException {
        Path file = tmp.resolve(resource.substring(1));
        if (!Files.exists(file)) {
            try (InputStream in = getClass().getResourceAsStream(resource)) {
                Files.copy(in, file);
            }
        }
        return file;
    }

    private List<ClinicalAlert> throughTopology() throws IOException {
        Map<String, Object> props = props();
        KindredConfig config = new KindredConfig(props);
        KindredTopics topics = new KindredTopics(config);
        try (TopologyTestDriver driver = new TopologyTestDriver(KindredTopology.build(config),
                KindredTopology.streamsProperties(props))) {
            TestInputTopic<byte[], byte[]> input = driver.createInputTopic("fhir.observation",
                    new ByteArraySerializer(), new ByteArraySerializer());
            for (String json : records()) {
                input.pipeInput(bytes(json));
            }
            return driver.createOutputTopic(topics.alerts().name(), new StringDeserializer(),
                    topics.alerts().valueSerde().deserializer()).readValuesToList();
        }
    }

    /**
     * The records mapped and run through the pipeline in-process, as the stream's processor runs them: one fact
     * at a time at stream time, vectors into the index, courses judged when the clock passes their deadline.
     */
    private List<ClinicalAlert> throughPipeline() throws IOException {
        KindredConfig config = new KindredConfig(props());
        FeatureCatalog catalog = KindredTopology.catalog(config);
        OutcomeRules rules = KindredTopology.outcomeRules(config);
        PatientPipeline pipeline = new PatientPipeline(catalog, rules, config.pipelineSettings());
        FhirMapper mapper = new FhirMapper(catalog);
        InMemoryPatientIndex index = new InMemoryPatientIndex(config.pipelineSettings().metric(),
                config.hnswParameters());
        Map<String, PatientState> states = new HashMap<>();
        TreeMap<String, String> deadlines = new TreeMap<>();
        List<ClinicalAlert> alerts = new ArrayList<>();
        Instant clock = null;
        Instant now = Instant.now();
        for (String json : records()) {
            for (ClinicalFact fact : mapper.map(bytes(json), now).facts()) {
                if (PatientPipeline.advancesClock(fact) && (clock == null || fact.getEffectiveTime().isAfter(clock))) {
                    clock = fact.getEffectiveTime();
                }
                String key = fact.getPatientKey();
                PatientPipeline.Step step = pipeline.process(states.get(key), List.of(fact), clock, index, now);
                if (step.changed()) {
                    save(pipeline, step, states, deadlines, index);
                    alerts.addAll(step.alerts());
                }
                String until = clock == null ? "" : deadlineKey(clock, "\uffff");
                while (!deadlines.isEmpty() && deadlines.firstKey().compareTo(until) <= 0) {
                    String patient = deadlines.pollFirstEntry().getValue();
                    PatientPipeline.Step judged = pipeline.judge(states.get(patient), clock);
                    if (judged.changed()) {
                        save(pipeline, judged, states, deadlines, index);
                    }
                }
            }
        }
        return alerts;
    }

    private static void save(PatientPipeline pipeline, PatientPipeline.Step step, Map<String, PatientState> states,
            TreeMap<String, String> deadlines, InMemoryPatientIndex index) {
        PatientState state = step.state();
        states.put(state.getPatientKey(), state);
        Instant next = pipeline.nextDeadline(state);
        if (next != null) {
            deadlines.put(deadlineKey(next, state.getPatientKey()), state.getPatientKey());
        }
        pipeline.vectorizer().vectors(state).forEach((space, vector) -> index.upsert(space, state.getPatientKey(),
                state.getVersion(), PatientVectorizer.toArray(vector), pipeline.outcomes(state)));
    }

    private static String deadlineKey(Instant deadline, String patientKey) {
        return String.format(Locale.ROOT, "%016x|%s", deadline.toEpochMilli() ^ Long.MIN_VALUE, patientKey);
    }
}
