package dev.kindred.app;

import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.fhir.FhirTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What the integration tests on the dev stack share: replaying FHIR files, waiting, reading a topic whole. */
final class DevStackTesting {

    private DevStackTesting() {
    }

    /** Replays the files as {@code kindred demo} does and waits until the app has processed all of it. */
    static void replayAndAwait(DemoCommand.DevStack stack, Path fhir) throws Exception {
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(stack.broker.bootstrapServers(), Map.of())) {
            new EventTimeReplayer(producer, DemoCommand.REPLAYED_TYPES, FhirTopics.forType("Observation"))
                    .replay(List.of(fhir), EventTimeReplayer.Progress.none());
        }
        awaitProcessed(stack);
    }

    /** Waits until the streams app has committed past everything on its input topics. */
    static void awaitProcessed(DemoCommand.DevStack stack) throws InterruptedException {
        try (ProcessingMonitor monitor = new ProcessingMonitor(stack.broker.bootstrapServers(), Map.of(),
                DemoCommand.APPLICATION_ID)) {
            monitor.awaitCaughtUp(stack.service.config().inputTopics(), Duration.ofMinutes(5));
        }
    }

    /** Every committed record of the topic, as a downstream reader with read_committed sees it. */
    static <V> List<ConsumerRecord<String, V>> readAll(DemoCommand.DevStack stack, String topic,
            Deserializer<V> values) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
