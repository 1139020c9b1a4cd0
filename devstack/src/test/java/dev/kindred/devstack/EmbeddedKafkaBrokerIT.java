package dev.kindred.devstack;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A real broker: compacted topic, transactions with read_committed, and a restart that keeps the data. */
class EmbeddedKafkaBrokerIT {

    private static final String TOPIC = "cds.patient-vectors";

    @TempDir
    Path tmp;

    @BeforeAll
    static void quietClients() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        context.getLogger("org.apache.kafka").setLevel(Level.WARN);
    }

    @Test
    void transactionalDataSurvivesARestartOnTheSameDirectory() throws Exception {
        Path dataDir = tmp.resolve("kafka");
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0)) {
            System.out.printf("Embedded broker first start (format + startup): %d ms%n", broker.startMillis());
            assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
            assertThat(dataDir.resolve("meta.properties")).exists();
            clusterId = broker.clusterId();
            // A broker fault must not end the JVM: without the guard this would halt the test fork.
            Exit.halt(1, "simulated broker fault");
            Exit.exit(1, "simulated broker fault");

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact")))).all().get();
                String policy = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC)))
                        .all().get().values().iterator().next().get("cleanup.policy").value();
                assertThat(policy).isEqualTo("compact");
                assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
            }

            try (KafkaProducer<String, String> producer = transactionalProducer(broker)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(TOPIC, "p1", "v1"));
                producer.send(new ProducerRecord<>(TOPIC, "p2", "v2"));
                producer.commitTransaction();

                producer.beginTransaction();
                producer.send(new ProducerRecord<>(TOPIC, "p3", "aborted"));
                producer.flush();
                producer.abortTransaction();

                producer.beginTransaction();
                producer.send(new ProducerRecord<>(TOPIC, "p1", "v1b"));
                producer.commitTransaction();
            }

            assertThat(readCommitted(broker)).containsExactlyInAnyOrder("p1=v1", "p2=v2", "p1=v1b");
        }

        try (EmbeddedKafkaBroker restarted = EmbeddedKafkaBroker.start(dataDir, 0)) {
            System.out.printf("Embedded broker restart on existing data: %d ms%n", restarted.startMillis());
            assertThat(restarted.clusterId()).isEqualTo(clusterId);
            assertThat(readCommitted(restarted)).containsExactlyInAnyOrder("p1=v1", "p2=v2", "p1=v1b");
        }
    }

    @Test
    void aPortInUseFailsWithAClearMessageAndReleasesTheDirectory() throws Exception {
        Path dataDir = tmp.resolve("busy");
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(dataDir, 0)) {
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(tmp.resolve("other"), first.port()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("127.0.0.1:" + first.port());
            // The first broker is unharmed by the failed start (and its exit guard still installed).
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("still-up", 1, (short) 1))).all().get();
                assertThat(admin.listTopics().names().get()).contains("still-up");
            }
        }
        assertThat(Files.list(dataDir).count()).isPositive();
    }

    private static KafkaProducer<String, String> transactionalProducer(EmbeddedKafkaBroker broker) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-broker-it",
                ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer());
    }

    private static List<String> readCommitted(EmbeddedKafkaBroker broker) {
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(TOPIC).stream()
                    .map(p -> new TopicPartition(TOPIC, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                assertThat(System.currentTimeMillis()).as("read to the end within 30 s").isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.key() + "=" + r.value());
                }
            }
        }
        return seen;
    }
}
