package dev.kindred.topology;

import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.PatientVector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A patient's vectors are published once per publication interval, the latest version (a restart's part is in
 * {@code PatientStateProcessorTest}).
 */
@Timeout(60)
class VectorPublicationTest {
    @TempDir
    Path tmp;

    private Map<String, Object> props() throws IOException {
        Path catalog = tmp.resolve("catalog.json");
        if (!Files.exists(catalog)) {
            try (InputStream in = getClass().getResourceAsStream("/test-catalog.json")) {
                Files.copy(in, catalog);
            }
        }
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-publication");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
        props.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://publication");
        props.put(KindredConfig.CATALOG_PATH_CONFIG, catalog.toString());
        props.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, "1000");
        return props;
    }

    private static TestOutputTopic<String, PatientVector> vectors(TopologyTestDriver driver, KindredTopics topics) {
        return driver.createOutputTopic(topics.vectors().name(), new StringDeserializer(),
                topics.vectors().valueSerde().deserializer());
    }

    @Test
    void aPatientsChangesWithinAnIntervalGiveOneRecordOfTheLatestVersion() throws IOException {
        Map<String, Object> props = props();
        KindredTopics topics = new KindredTopics(new KindredConfig(props));
        try (TopologyTestDriver driver = new TopologyTestDriver(KindredTopology.build(new KindredConfig(props)),
                KindredTopology.streamsProperties(props))) {
            var input = driver.createInputTopic("fhir.observation", new ByteArraySerializer(), new ByteArraySerializer());
            for (int i = 0; i < 5; i++) {
                input.pipeInput(bytes(observation("g" + i, "Patient/p1", "2339-0", 90 + i, "mg/dL",
                        "2021-01-0" + (i + 1) + "T10:00:00Z")));
            }
            input.pipeInput(bytes(observation("h", "Patient/p2", "8867-4", 70, "/min", "2021-01-09T10:00:00Z")));
            TestOutputTopic<String, PatientVector> out = vectors(driver, topics);
            assertThat(out.readKeyValuesToList()).as("nothing before the interval ends").isEmpty();

            driver.advanceWallClockTime(Duration.ofSeconds(1));
            List<KeyValue<String, PatientVector>> published = out.readKeyValuesToList();
            assertThat(published).extracting(kv -> kv.key).containsExactlyInAnyOrder("p1", "p2");
            PatientVector p1 = published.stream().filter(kv -> kv.key.equals("p1")).findFirst().orElseThrow().value;
            assertThat(p1.getVersion()).as("the version after all five changes").isEqualTo(5);

            driver.advanceWallClockTime(Duration.ofSeconds(1));
            assertThat(out.readKeyValuesToList()).as("nothing changed since").isEmpty();
        }
    }
}
