package dev.kindred.api;

import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The dev stack for the API's tests: an in-process KRaft broker and schema registry, and Kindred instances (streams
 * app plus HTTP server) on them. A small Synthea population is generated once into target/synthea-cache.
 */
final class TestStack implements AutoCloseable {
    static final String APPLICATION_ID = "kindred-api-test";
    static final int PATIENTS = 8;
    static final long SEED = 7;

    final InProcessSchemaRegistry registry;
    final EmbeddedKafkaBroker broker;
    final List<Instance> instances = new ArrayList<>();
    private final Path dir;

    /** One Kindred instance: its streams app and its HTTP server. */
    record Instance(KindredService service, ApiServer api) {
    }

    private TestStack(Path dir) {
        this.dir = dir;
        this.registry = InProcessSchemaRegistry.start(0, dir.resolve("registry"));
        this.broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), 0);
    }

    static TestStack start(Path dir) {
        return new TestStack(dir);
    }

    /** Starts one more instance with its own state directory; {@code extra} adds or overrides settings. */
    Instance startInstance(String name, Map<String, Object> extra, ApiServer.Options options) throws InterruptedException {
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + name).toAbsolutePath().toString());
        settings.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        settings.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, 500L);
        settings.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(KindredConfig.ALERT_NEIGHBOURS_CONFIG, 5);
        settings.put(ApiConfig.PORT_CONFIG, 0);
        settings.putAll(extra);
        KindredService service = KindredService.start(settings, Duration.ofMinutes(3));
        try {
            ApiServer api = ApiServer.start(service, settings, options);
            Instance instance = new Instance(service, api);
            instances.add(instance);
            return instance;
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Path synthea() {
        return SyntheaFeed.generate(PATIENTS, SEED, Path.of("target", "synthea-cache"));
    }

    /** Replays FHIR files in event-time order, as kindred demo does. */
    void replay(Path fhir) throws IOException {
        Map<String, String> byType = FhirTopics.BY_TYPE;
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(broker.bootstrapServers(), Map.of())) {
            new EventTimeReplayer(producer, byType, FhirTopics.forType("Observation"))
                    .replay(List.of(fhir), EventTimeReplayer.Progress.none());
        }
    }

    /** Waits until the app's committed offsets cover its input and repartition topics. */
    void awaitProcessed(Duration timeout) throws InterruptedException {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        Instant deadline = Instant.now().plus(timeout);
        try (Admin admin = Admin.create(props)) {
            while (true) {
                if (lag(admin) == 0) {
                    return;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("not caught up after " + timeout);
                }
                Thread.sleep(250);
            }
        }
    }

    private static long lag(Admin admin) throws InterruptedException {
        try {
            List<String> topics = new ArrayList<>(FhirTopics.DEFAULTS);
            for (String t : admin.listTopics().names().get()) {
                if (t.startsWith(APPLICATION_ID + "-") && t.endsWith("-repartition")) {
                    topics.add(t);
                }
            }
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((name, d) -> d.partitions()
                    .forEach(p -> request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
            var ends = admin.listOffsets(request).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(APPLICATION_ID)
                    .partitionsToOffsetAndMetadata().get();
            long behind = 0;
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                behind += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
            }
            return behind;
        } catch (ExecutionException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public void close() {
        for (Instance i : instances) {
            try {
                i.api().close();
            } finally {
                i.service().closeAndLeaveGroup();
            }
        }
        broker.close();
        registry.close();
    }
}
