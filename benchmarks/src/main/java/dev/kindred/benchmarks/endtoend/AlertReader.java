package dev.kindred.benchmarks.endtoend;

import dev.kindred.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads alerts as a read_committed consumer sees them, from the end of the topic at start, on its own thread,
 * noting when each became readable and which resource triggered it ({@code trigger.sourceResource}, decoded
 * from the Confluent wire format with the writer schema from the registry, so any build's alerts are read).
 */
final class AlertReader implements AutoCloseable {
    /** An alert as read: the resource that triggered it ({@code Type/id}), when it was read, its neighbour count. */
    record Seen(String sourceResource, long readMillis, int similarPatients) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final RegistryAvroDeserializer<GenericRecord> deserializer = new RegistryAvroDeserializer<>();
    private final String topic;
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean finishing;
    private volatile RuntimeException failure;
    private long undecodable;

    AlertReader(String bootstrapServers, String registryUrl, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kindred-e2e-alerts");
        // A fetch waits at most this long for data, which bounds how late a readable alert is noticed.
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.deserializer.configure(Map.of("schema.registry.url", registryUrl), false);
        this.topic = topic;
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now, before anything is sent
        this.thread = new Thread(this::run, "kindred-e2e-alert-reader");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            Map<TopicPartition, Long> target = null;
            while (true) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.currentTimeMillis();
                    note(r, now);
                }
                if (finishing) {
                    if (target == null) {
                        target = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(30));
                    }
                    if (reached(target)) {
                        return;
                    }
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private void note(ConsumerRecord<byte[], byte[]> r, long readMillis) {
        if (r.value() == null) {
            return;
        }
        GenericRecord alert;
        try {
            alert = deserializer.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            undecodable++;
            return;
        }
        Object trigger = alert.get("trigger");
        Object source = trigger instanceof GenericRecord t && t.hasField("sourceResource") ? t.get("sourceResource") : null;
        Object similar = alert.hasField("similarPatients") ? alert.get("similarPatients") : null;
        seen.add(new Seen(source == null ? null : source.toString(), readMillis,
                similar instanceof List<?> list ? list.size() : 0));
    }

    private boolean reached(Map<TopicPartition, Long> target) {
        for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** What has been read so far. */
    List<Seen> seen() {
        throwIfFailed();
        return new ArrayList<>(seen);
    }

    /** Reads up to the current end (the last stable offset) and stops; returns everything read. */
    List<Seen> finish(Duration timeout) throws InterruptedException {
        finishing = true;
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            throw new IllegalStateException("the alert reader did not reach the end of " + topic + " in " + timeout);
        }
        throwIfFailed();
        return new ArrayList<>(seen);
    }

    long undecodable() {
        return undecodable;
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw new IllegalStateException("reading " + topic + " failed: " + failure, failure);
        }
    }

    @Override
    public void close() {
        finishing = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
        deserializer.close();
    }

    static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
        List<TopicPartition> out = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            out.add(new TopicPartition(topic, p.partition()));
        }
        return out;
    }

    /** Records of {@code topic} as a read_committed consumer sees them, from the start to the current end. */
    static long countRecords(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitions(c, topic);
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(partitions, Duration.ofSeconds(30)));
            long records = 0;
            end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
            while (!end.isEmpty()) {
                records += c.poll(Duration.ofMillis(200)).count();
                end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
            }
            return records;
        }
    }
}
