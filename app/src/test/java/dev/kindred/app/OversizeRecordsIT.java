package dev.kindred.app;

import static dev.kindred.fhir.testing.FhirJson.observation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.PatientVector;
import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records near and over Kafka's size limits inside the streams app, on a real broker: the app's producer limit
 * is lowered to 300 kB while the broker accepts 1 MB records. A 1 MB garbage record would make a dead letter
 * Kafka refuses, and under exactly-once a refused send aborts the transaction and the task fails on the same
 * record again and again; instead it is dead-lettered with its original cut to fit, a 200 kB one whole, a large
 * valid record is processed, and the app keeps running.
 */
class OversizeRecordsIT {
    private static final int APP_MAX_REQUEST_BYTES = 300_000;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void recordsTooLargeForTheAppsProducerAreDeadLetteredAndTheAppKeepsRunning() throws Exception {
        try (InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(0, tmp.resolve("registry"));
                EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"), 0)) {
            Map<String, Object> settings = DemoCommand.DevStack.settings(tmp, broker, registry, 3);
            settings.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), APP_MAX_REQUEST_BYTES);
            KindredService service = KindredService.start(settings, Duration.ofMinutes(2));
            try {
                byte[] smallGarbage = garbage(200_000);
                byte[] hugeGarbage = garbage(1_000_000);
                String bigValid = observation("big-valid", "Patient/oversize-p1", "8867-4", 72, "/min",
                        "2020-01-01T00:00:00Z").replace("\"status\":\"final\"",
                        "\"status\":\"final\",\"note\":[{\"text\":\"" + "n".repeat(250_000) + "\"}]");
                String after = observation("after", "Patient/oversize-p2", "8867-4", 70, "/min", "2020-01-02T00:00:00Z");
                Map<String, Object> producerProps = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_040_000);
                long hugeOffset;
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(),
                        new ByteArraySerializer())) {
                    producer.send(new ProducerRecord<>("fhir.observation", 0, null, smallGarbage)).get();
                    hugeOffset = producer.send(new ProducerRecord<>("fhir.observation", 0, null, hugeGarbage)).get().offset();
                    producer.send(new ProducerRecord<>("fhir.observation", 0, null, bigValid.getBytes(StandardCharsets.UTF_8))).get();
                    producer.send(new ProducerRecord<>("fhir.observation", 0, null, after.getBytes(StandardCharsets.UTF_8))).get();
                }
                try (ProcessingMonitor monitor = new ProcessingMonitor(broker.bootstrapServers(), Map.of(),
                        DemoCommand.APPLICATION_ID)) {
                    monitor.awaitCaughtUp(service.config().inputTopics(), Duration.ofMinutes(2));
                }
                assertThat(service.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);

                Map<String, Object> registryConfig = Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
                List<DeadLetter> letters = readAll(broker, "cds.dead-letter",
                        RegistryAvroSerde.specific(DeadLetter.class, registryConfig, false).deserializer());
                assertThat(letters).extracting(DeadLetter::getReasonCode)
                        .containsExactly("malformed-json", "malformed-json");
                assertThat(bytes(letters.get(0))).isEqualTo(smallGarbage);
                DeadLetter huge = letters.get(1);
                assertThat(huge.getSourceTopic()).isEqualTo("fhir.observation");
                assertThat(huge.getSourcePartition()).isZero();
                assertThat(huge.getSourceOffset()).isEqualTo(hugeOffset);
                assertThat(huge.getReason()).contains("cut to its first").contains("of " + hugeGarbage.length + " bytes");
                byte[] kept = bytes(huge);
                assertThat(kept.length).isLessThan(APP_MAX_REQUEST_BYTES).isGreaterThan(100_000);
                assertThat(kept).isEqualTo(Arrays.copyOf(hugeGarbage, kept.length));

                // Vectors are published on the processor's wall-clock punctuation, so they can land in a transaction
                // after the one that committed the input offsets: wait for them rather than read once.
                Awaitility.await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(readAll(broker, "cds.patient-vectors",
                                RegistryAvroSerde.specific(PatientVector.class, registryConfig, false).deserializer())
                                .stream().map(v -> v.getPatientKey().toString()).distinct().toList())
                                .as("the large valid record and the one after the garbage are processed")
                                .contains("oversize-p1", "oversize-p2"));
                assertThat(service.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            } finally {
                service.closeAndLeaveGroup();
            }
        }
    }

    private static byte[] garbage(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) '{');
        return b;
    }

    private static byte[] bytes(DeadLetter letter) {
        java.nio.ByteBuffer buffer = letter.getOriginalValue().duplicate();
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static <V> List<V> readAll(EmbeddedKafkaBroker broker, String topic,
            org.apache.kafka.common.serialization.Deserializer<V> values) {
        java.util.Properties props = new java.util.Properties();
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<V> out = new java.util.ArrayList<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.StringDeserializer(), values)) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
            }
        }
        return out;
    }
}
