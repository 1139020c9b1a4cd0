package dev.kindred.app;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.IntSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Tells when the streams app has processed everything sent to it: its committed offsets have reached the
 * end of every input and repartition topic, and the index holds every patient published on the vectors
 * topic. It also notes when the app first committed input, so that the processing time runs from the first
 * record consumed (within a commit interval) to the last output committed.
 */
final class ProcessingMonitor implements AutoCloseable {
    private static final long POLL_MILLIS = 100;
    private final Admin admin;
    private final String applicationId;
    private volatile long firstCommitNanos = -1;
    private volatile boolean closed;

    ProcessingMonitor(String bootstrapServers, Map<String, Object> clientOverrides, String applicationId) {
        Properties props = new Properties();
        props.putAll(clientOverrides);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.admin = Admin.create(props);
        this.applicationId = applicationId;
    }

    /**
     * Starts noting, on a daemon thread, when the application first commits input offsets beyond those it has
     * committed now ({@link #firstCommitNanos()}). Call it before sending anything.
     */
    void watchFirstCommit(List<String> inputTopics) throws InterruptedException {
        long before = committedInput(inputTopics);
        Thread watcher = new Thread(() -> {
            try {
                while (!closed && firstCommitNanos < 0) {
                    if (committedInput(inputTopics) > before) {
                        firstCommitNanos = System.nanoTime();
                        return;
                    }
                    Thread.sleep(POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // the admin client closed or the broker went away: no processing time then
            }
        }, "kindred-first-commit");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** {@link System#nanoTime()} when the first input commit was seen by {@link #watchFirstCommit}, or -1. */
    long firstCommitNanos() {
        return firstCommitNanos;
    }

    /**
     * Waits until the application's committed offsets cover every record of its source topics; returns the
     * {@link System#nanoTime()} at which that was seen.
     */
    long awaitCaughtUp(List<String> inputTopics, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Map<TopicPartition, Long> lag = lag(inputTopics);
            if (lag.isEmpty()) {
                return System.nanoTime();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the streams app has not caught up after " + timeout + "; lag " + lag);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Waits until {@code size} reports {@code expected}, e.g. the index catching up with the vectors topic. */
    static void awaitValue(IntSupplier size, long expected, Duration timeout, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (size.getAsInt() < expected) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(what + " reached " + size.getAsInt() + " of " + expected + " after " + timeout);
            }
            Thread.sleep(100);
        }
    }

    /** Partitions whose committed offset is behind the end, with how far behind; empty when caught up. */
    Map<TopicPartition, Long> lag(List<String> inputTopics) throws InterruptedException {
        try {
            List<String> topics = new ArrayList<>(inputTopics);
            for (String t : admin.listTopics().names().get()) {
                if (t.startsWith(applicationId + "-") && t.endsWith("-repartition")) {
                    topics.add(t);
                }
            }
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((name, description) ->
                    description.partitions().forEach(p -> request.put(new TopicPartition(name, p.partition()),
                            OffsetSpec.latest())));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(request).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> behind = new HashMap<>();
            ends.forEach((tp, info) -> {
                OffsetAndMetadata c = committed.get(tp);
                long position = c == null ? 0 : c.offset();
                if (position < info.offset()) {
                    behind.put(tp, info.offset() - position);
                }
            });
            return behind;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read offsets: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Committed offsets of the application summed over the partitions of {@code inputTopics}. */
    long committedInput(List<String> inputTopics) throws InterruptedException {
        try {
            long sum = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(applicationId)
                    .partitionsToOffsetAndMetadata().get().entrySet()) {
                if (e.getValue() != null && inputTopics.contains(e.getKey().topic())) {
                    sum += e.getValue().offset();
                }
            }
            return sum;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read offsets: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        closed = true;
        admin.close(Duration.ofSeconds(5));
    }
}
