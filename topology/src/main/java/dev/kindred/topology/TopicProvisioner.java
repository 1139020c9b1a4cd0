package dev.kindred.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics Kindred reads and writes when they are missing: every input topic, the compacted
 * patient-vectors topic (its latest value per patient is the index's source of truth), alerts, dead
 * letters, the compacted feedback topic and, with imaging embedding on, its request and result topics. Existing topics are left as they are.
 */
final class TopicProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

    private TopicProvisioner() {
    }

    static List<String> ensureTopics(Admin admin, KindredConfig config) throws InterruptedException {
        int partitions = config.getInt(KindredConfig.TOPICS_PARTITIONS_CONFIG);
        short replication = config.getShort(KindredConfig.TOPICS_REPLICATION_CONFIG);
        Optional<Short> rf = replication > 0 ? Optional.of(replication) : Optional.empty();
        List<NewTopic> wanted = new ArrayList<>();
        for (String input : config.inputTopics()) {
            wanted.add(new NewTopic(input, Optional.of(partitions), rf));
        }
        wanted.add(new NewTopic(config.vectorsTopic(), Optional.of(partitions), rf)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        wanted.add(new NewTopic(config.alertsTopic(), Optional.of(partitions), rf));
        wanted.add(new NewTopic(config.deadLetterTopic(), Optional.of(1), rf));
        wanted.add(new NewTopic(config.feedbackTopic(), Optional.of(partitions), rf)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        if (config.imagingEmbedding()) {
            wanted.add(new NewTopic(config.getString(KindredConfig.IMAGING_REQUESTS_TOPIC_CONFIG),
                    Optional.of(partitions), rf));
            wanted.add(new NewTopic(config.getString(KindredConfig.IMAGING_EMBEDDINGS_TOPIC_CONFIG),
                    Optional.of(partitions), rf));
        }
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return List.of();
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": "
                                + e.getCause().getMessage() + " (create it yourself, or fix permissions, and set "
                                + KindredConfig.TOPICS_CREATE_CONFIG + "=false)", e.getCause());
                    }
                }
            }
            List<String> names = missing.stream().map(NewTopic::name).toList();
            LOG.info("created topics {}", names);
            return names;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
