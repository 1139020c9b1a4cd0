package dev.kindred.benchmarks.endtoend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Watches the app from outside, through the broker: its consumer group's committed offsets on the input and
 * repartition topics against their end offsets. Under exactly-once a committed input offset means the outputs
 * of those records are committed too (same transaction).
 */
final class OffsetWatch implements AutoCloseable {
    private final Admin admin;
    private final String applicationId;
    private final List<String> inputTopics;

    /**
     * How far the app has got.
     *
     * @param inputCommitted committed offsets summed over the input partitions (records, as inputs have no markers)
     * @param inputEnd       end offsets summed over the input partitions
     * @param behind         partitions of inputs and repartition topics whose committed offset is behind the end
     */
    record Progress(long inputCommitted, long inputEnd, Map<TopicPartition, Long> behind) {
        boolean caughtUp() {
            return behind.isEmpty();
        }
    }

    OffsetWatch(String bootstrapServers, String applicationId, List<String> inputTopics) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kindred-e2e-watch");
        this.admin = Admin.create(props);
        this.applicationId = applicationId;
        this.inputTopics = List.copyOf(inputTopics);
    }

    Admin admin() {
        return admin;
    }

    Progress progress() throws InterruptedException {
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
            Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets();
            long inputCommitted = 0;
            long inputEnd = 0;
            Map<TopicPartition, Long> behind = new HashMap<>();
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long position = c == null ? 0 : c.offset();
                long end = e.getValue().offset();
                if (inputTopics.contains(e.getKey().topic())) {
                    inputCommitted += Math.min(position, end);
                    inputEnd += end;
                }
                if (position < end) {
                    behind.put(e.getKey(), end - position);
                }
            }
            return new Progress(inputCommitted, inputEnd, behind);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read offsets from the broker: " + e.getCause(), e.getCause());
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> committedOffsets() throws InterruptedException, ExecutionException {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
            committed.forEach((tp, o) -> {
                if (o != null) {
                    out.put(tp, o);
                }
            });
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of();
            }
            throw e;
        }
    }

    /** Members of the app's consumer group (0 when it has none or does not exist). */
    int groupMembers() throws InterruptedException {
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(applicationId)).all().get().get(applicationId);
            return d == null ? 0 : d.members().size();
        } catch (ExecutionException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
