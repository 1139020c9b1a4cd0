package dev.kindred.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Counts committed records of a topic as a read_committed consumer sees them (transaction markers and
 * aborted records are not records), from given start offsets up to the current end.
 */
final class TopicCounter implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;

    TopicCounter(String bootstrapServers, Map<String, Object> clientOverrides) {
        Properties props = new Properties();
        props.putAll(clientOverrides);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    List<TopicPartition> partitions(String topic) {
        List<TopicPartition> out = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            out.add(new TopicPartition(topic, p.partition()));
        }
        return out;
    }

    /** Current end offsets (the last stable offset for read_committed) of every partition of {@code topic}. */
    Map<TopicPartition, Long> endOffsets(String topic) {
        return consumer.endOffsets(partitions(topic), Duration.ofSeconds(30));
    }

    /** Records and distinct non-null keys with a value (tombstones excluded) from {@code start} to the end. */
    Count count(String topic, Map<TopicPartition, Long> start) {
        Map<TopicPartition, Long> end = endOffsets(topic);
        consumer.assign(end.keySet());
        for (TopicPartition tp : end.keySet()) {
            consumer.seek(tp, start.getOrDefault(tp, 0L));
        }
        long records = 0;
        Set<String> liveKeys = new HashSet<>();
        Map<TopicPartition, Long> remaining = new HashMap<>(end);
        remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        while (!remaining.isEmpty()) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                records++;
                if (r.key() != null) {
                    String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
                    if (r.value() == null) {
                        liveKeys.remove(key);
                    } else {
                        liveKeys.add(key);
                    }
                }
            }
            remaining.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        }
        consumer.unsubscribe();
        return new Count(records, liveKeys.size());
    }

    record Count(long records, long liveKeys) {
    }

    /**
     * Starts following {@code topic} from {@code start}; each {@link #advance()} then reads only what arrived
     * since the previous call, so a running count costs nothing per record already counted.
     */
    void follow(String topic, Map<TopicPartition, Long> start) {
        List<TopicPartition> partitions = partitions(topic);
        consumer.assign(partitions);
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, start.getOrDefault(tp, 0L));
        }
        followed = 0;
    }

    /** Records read since {@link #follow} up to the current end of the followed topic. */
    long advance() {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            followed += consumer.poll(Duration.ofMillis(200)).count();
        }
        return followed;
    }

    private long followed;

    @Override
    public void close() {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
