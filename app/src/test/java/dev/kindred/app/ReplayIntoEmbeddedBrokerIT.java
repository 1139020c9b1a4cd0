package dev.kindred.app;

import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.fhir.FhirTopics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.kindred.connectors.replay.EventTimeReplayer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** File → replayer (its own producer settings: lz4, idempotence) → real broker → consumer, in event-time order. */
class ReplayIntoEmbeddedBrokerIT {

    private static final int OBSERVATIONS = 20_000;

    @TempDir
    Path tmp;

    @BeforeAll
    static void quietClients() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        context.getLogger("org.apache.kafka").setLevel(Level.WARN);
    }

    @Test
    void replayedRecordsArriveInEventTimeOrder() throws IOException {
        Path input = tmp.resolve("export.ndjson");
        Instant start = Instant.parse("2020-01-01T00:00:00Z");
        try (Writer out = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
            for (int i = OBSERVATIONS - 1; i >= 0; i--) { // written newest first
                out.write("{\"resourceType\":\"Observation\",\"id\":\"o" + i + "\",\"subject\":{\"reference\":\"Patient/p"
                        + (i % 50) + "\"},\"effectiveDateTime\":\"" + start.plusSeconds(60L * i)
                        + "\",\"valueQuantity\":{\"value\":" + (i % 200) + ".5,\"unit\":\"mmol/L\"}}\n");
            }
            out.write("{\"resourceType\":\"Patient\",\"id\":\"p0\"}\n");
        }

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"), 0);
             Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(broker.bootstrapServers(), Map.of())) {
            long t0 = System.nanoTime();
            EventTimeReplayer.Summary summary = new EventTimeReplayer(producer, FhirTopics.BY_TYPE, null)
                    .replay(List.of(input), EventTimeReplayer.Progress.none());
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("Replayed %d records into the embedded broker in %.2f s (%.0f records/s, incl. reading)%n",
                    summary.sent(), seconds, summary.sent() / seconds);
            assertThat(summary.sentPerTopic()).containsEntry("fhir.observation", (long) OBSERVATIONS)
                    .containsEntry("fhir.patient", 1L);
            assertThat(summary.distinctPatients()).isEqualTo(50);

            List<String> ids = consumeValues(broker, "fhir.observation", OBSERVATIONS);
            assertThat(ids).hasSize(OBSERVATIONS);
            assertThat(ids.get(0)).contains("\"id\":\"o0\"");
            assertThat(ids.get(OBSERVATIONS - 1)).contains("\"id\":\"o" + (OBSERVATIONS - 1) + "\"");
            for (int i = 0; i < OBSERVATIONS; i++) {
                assertThat(ids.get(i)).contains("\"id\":\"o" + i + "\"");
            }
        }
    }

    private static List<String> consumeValues(EmbeddedKafkaBroker broker, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp)); // one partition (the broker's default): a total order to check
            long deadline = System.currentTimeMillis() + 60_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }
}
