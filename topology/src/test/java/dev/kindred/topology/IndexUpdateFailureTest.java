package dev.kindred.topology;

import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.PatientVector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vector record the global index cannot take (here: a clinical vector of the wrong dimension, as a foreign
 * or older writer could publish) is counted in a metric instead of vanishing silently, and the index goes on.
 */
@Timeout(60)
class IndexUpdateFailureTest {
    @TempDir
    Path tmp;

    private TopologyTestDriver driver;
    private TestInputTopic<String, PatientVector> vectorsIn;
    private TestInputTopic<byte[], byte[]> observations;

    @BeforeEach
    void start() throws IOException {
        Path catalog = tmp.resolve("catalog.json");
        try (InputStream in = getClass().getResourceAsStream("/test-catalog.json")) {
            Files.copy(in, catalog);
        }
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-index-failure-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + UUID.randomUUID());
        props.put(KindredConfig.CATALOG_PATH_CONFIG, catalog.toString());
        props.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, "0");
        KindredConfig config = new KindredConfig(props);
        driver = new TopologyTestDriver(KindredTopology.build(config), KindredTopology.streamsProperties(props));
        KindredTopics topics = new KindredTopics(config);
        vectorsIn = driver.createInputTopic("cds.patient-vectors", new StringSerializer(),
                topics.vectors().valueSerde().serializer());
        observations = driver.createInputTopic("fhir.observation", new ByteArraySerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void aVectorTheIndexCannotTakeIsCountedAndLaterOnesAreStillIndexed() {
        observations.pipeInput(bytes(observation("hr1", "Patient/p1", "8867-4", 70, "/min", "2020-01-01T10:00:00Z")));
        assertThat(failures()).isZero();
        PatientVector wrongDimension = PatientVector.newBuilder().setPatientKey("foreign").setVersion(1)
                .setVectors(Map.of("clinical", List.of(1f, 2f, 3f))).setCatalogVersion("other")
                .setEffectiveTime(Instant.parse("2020-01-01T00:00:00Z")).build();
        vectorsIn.pipeInput("foreign", wrongDimension);

        assertThat(failures()).isEqualTo(1.0);
        observations.pipeInput(bytes(observation("hr2", "Patient/p2", "8867-4", 75, "/min", "2020-01-02T10:00:00Z")));
        assertThat(failures()).as("a valid vector after the bad one updates the index without failing").isEqualTo(1.0);
    }

    private double failures() {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("index-update-failures-total"))
                .map(Map.Entry::getValue).map(Metric::metricValue).mapToDouble(v -> ((Number) v).doubleValue())
                .sum();
    }
}
