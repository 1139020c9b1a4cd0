package dev.kindred.app;

import dev.kindred.api.ApiConfig;
import dev.kindred.api.ApiServer;
import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.connectors.subscription.SubscriptionFeeder;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The dev stack in one command: a real Kafka broker (KRaft) and a schema registry in this JVM, the streams
 * app on them, and patients from Synthea (or FHIR files) replayed in event-time order.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the in-process dev stack (Kafka, schema registry, Kindred) and replay patients.")
final class DemoCommand implements Callable<Integer> {
    static final String APPLICATION_ID = "kindred-demo";
    /**
     * Resource types the topology turns into facts (Patient, Observation, Condition, MedicationRequest,
     * MedicationAdministration, Procedure, ImagingStudy), each to its own input topic; the rest of a Synthea
     * record (claims, encounters, documents) is not replayed. Medications travel contained in the requests
     * that name them (the file reader makes each bundled resource stand alone).
     */
    static final Map<String, String> REPLAYED_TYPES = FhirTopics.BY_TYPE;

    @Option(names = "--patients", defaultValue = "100", description = "Synthea patients to generate (default ${DEFAULT-VALUE}).")
    int patients;

    @Option(names = "--seed", defaultValue = "42", description = "Synthea seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--input", paramLabel = "PATH",
            description = "Replay FHIR files instead of generating: Bundle JSON, NDJSON (Bulk Data), directories of"
                    + " them, gzip allowed. Repeatable.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--exit-after-replay", description = "Wait until everything sent is processed, print the summary and exit.")
    boolean exitAfterReplay;

    @Option(names = "--summary-json", paramLabel = "FILE", description = "Also write the final summary as JSON.")
    Path summaryJson;

    @Option(names = "--data-dir", defaultValue = "kindred-data", description = "Broker, registry and state data (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--kafka-port", defaultValue = "0", description = "Kafka port on 127.0.0.1 (default: a free port).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "0", description = "Schema registry port on 127.0.0.1 (default: a free port).")
    int registryPort;

    @Option(names = "--http-port", defaultValue = "0",
            description = "Port of the HTTP server (dashboard, API, CDS Hooks) on 127.0.0.1 (default: a free port).")
    int httpPort;

    @Option(names = "--k", defaultValue = "10", description = "Similar patients per alert (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--via-subscription", description = "Feed the patients through the FHIR subscription receiver over"
            + " HTTP (R4 Backport full-resource notifications to /subscription-hook) instead of writing the topics.")
    boolean viaSubscription;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        if (inputs.isEmpty() && !SyntheaFeed.available()) {
            err.println("kindred demo: Synthea is not in this build (the production distribution leaves it out); pass --input PATH");
            return 2;
        }
        for (Path input : inputs) {
            if (!Files.exists(input)) {
                err.println("kindred demo: input " + input + " does not exist");
                return 2;
            }
        }
        Files.createDirectories(dataDir);
        // A fresh secret per run: the hook is the one write path into the demo, even without API auth.
        String hookSecret = "Authorization: Bearer " + java.util.UUID.randomUUID();
        Map<String, Object> extra = viaSubscription
                ? Map.of(ApiConfig.SUBSCRIPTION_ENABLED_CONFIG, true, ApiConfig.SUBSCRIPTION_SECRET_HEADER_CONFIG, hookSecret,
                        ApiConfig.SUBSCRIPTION_TRANSACTIONAL_ID_CONFIG, APPLICATION_ID + "-subscription")
                : Map.of();
        try (DevStack stack = DevStack.start(dataDir, kafkaPort, registryPort, httpPort, k, extra)) {
            out.println("Kafka bootstrap servers: " + stack.broker.bootstrapServers());
            out.println("Schema registry:         " + stack.registry.url());
            out.println("HTTP (dashboard, API, CDS Hooks): " + stack.api.url() + "/   (no authentication: demo only)");
            out.flush();
            err.println("the demo's HTTP server runs WITHOUT authentication; `kindred run` requires bearer tokens and"
                    + " CDS client JWTs");

            List<Path> sources = inputs;
            if (sources.isEmpty()) {
                err.printf("generating %d Synthea patients (seed %d)...%n", patients, seed);
                sources = List.of(SyntheaFeed.generate(patients, seed, dataDir.resolve("synthea")));
            }
            KindredConfig config = stack.service.config();
            Map<TopicPartition, Long> alertsStart;
            Map<TopicPartition, Long> deadLettersStart;
            try (TopicCounter counter = new TopicCounter(stack.broker.bootstrapServers(), Map.of())) {
                alertsStart = counter.endOffsets(config.alertsTopic());
                deadLettersStart = counter.endOffsets(config.deadLetterTopic());
            }

            try (ProcessingMonitor monitor = new ProcessingMonitor(stack.broker.bootstrapServers(), Map.of(), APPLICATION_ID)) {
                if (exitAfterReplay) {
                    monitor.watchFirstCommit(config.inputTopics());
                }
                EventTimeReplayer.Summary replay;
                if (viaSubscription) {
                    ProgressBar bar = new ProgressBar(err, "notifying");
                    replay = new SubscriptionFeeder(java.net.URI.create(stack.api.url() + "/subscription-hook"), hookSecret,
                            "urn:kindred:demo/Subscription/demo", 500).feed(sources, bar::update);
                } else try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(stack.broker.bootstrapServers(), Map.of())) {
                    ProgressBar bar = new ProgressBar(err, "replaying");
                    replay = new EventTimeReplayer(producer, REPLAYED_TYPES, FhirTopics.forType("Observation"))
                            .replay(sources, bar::update);
                }
                err.printf("replayed %,d records of %,d patients%n", replay.sent(), replay.distinctPatients());

                if (exitAfterReplay) {
                    DemoSummary summary = stack.awaitSummary(replay, alertsStart, deadLettersStart, monitor);
                    out.println(summary.line());
                    if (summaryJson != null) {
                        summary.writeJson(summaryJson);
                    }
                    return 0;
                }
            }
            return stack.showAlertsUntilStopped(alertsStart, err);
        }
    }

    /** The broker, the registry and the streams app, closed in reverse order of start. */
    static final class DevStack implements AutoCloseable {
        final InProcessSchemaRegistry registry;
        final EmbeddedKafkaBroker broker;
        final KindredService service;
        final ApiServer api;
        /** Counted down once everything is closed, so a Ctrl-C shutdown hook can wait for a clean stop. */
        private final CountDownLatch closed = new CountDownLatch(1);

        private DevStack(InProcessSchemaRegistry registry, EmbeddedKafkaBroker broker, KindredService service,
                ApiServer api) {
            this.registry = registry;
            this.broker = broker;
            this.service = service;
            this.api = api;
        }

        static DevStack start(Path dataDir, int kafkaPort, int registryPort, int k) throws InterruptedException {
            return start(dataDir, kafkaPort, registryPort, 0, k);
        }

        /** The dev stack with its HTTP server on {@code httpPort} (0: a free port), without auth. */
        static DevStack start(Path dataDir, int kafkaPort, int registryPort, int httpPort, int k)
                throws InterruptedException {
            return start(dataDir, kafkaPort, registryPort, httpPort, k, Map.of());
        }

        /** As above; {@code extra} adds settings (e.g. the subscription receiver's). */
        static DevStack start(Path dataDir, int kafkaPort, int registryPort, int httpPort, int k, Map<String, Object> extra)
                throws InterruptedException {
            InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(registryPort, dataDir.resolve("registry"));
            EmbeddedKafkaBroker broker = null;
            KindredService service = null;
            try {
                broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), kafkaPort);
                Map<String, Object> settings = settings(dataDir, broker, registry, k);
                settings.put(ApiConfig.PORT_CONFIG, httpPort);
                settings.putAll(extra);
                service = KindredService.start(settings, Duration.ofMinutes(2));
                ApiServer api = ApiServer.start(service, settings, ApiServer.Options.DEMO);
                return new DevStack(registry, broker, service, api);
            } catch (RuntimeException | InterruptedException e) {
                if (service != null) {
                    service.closeAndLeaveGroup();
                }
                if (broker != null) {
                    broker.close();
                }
                registry.close();
                throw e;
            }
        }

        static Map<String, Object> settings(Path dataDir, EmbeddedKafkaBroker broker, InProcessSchemaRegistry registry, int k) {
            Map<String, Object> settings = new HashMap<>();
            settings.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
            settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            settings.put(StreamsConfig.STATE_DIR_CONFIG, dataDir.resolve("streams").toAbsolutePath().toString());
            settings.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
            settings.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
            settings.put(KindredConfig.ALERT_NEIGHBOURS_CONFIG, k);
            // The replay sends every resource type to its own topic in event-time order; waiting briefly for all
            // of a task's input partitions to have data keeps processing in that order (send time), so outcome
            // windows and alert suppression see a patient's history as it happened.
            settings.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, 500L);
            return settings;
        }

        DemoSummary awaitSummary(EventTimeReplayer.Summary replay, Map<TopicPartition, Long> alertsStart,
                Map<TopicPartition, Long> deadLettersStart, ProcessingMonitor monitor) throws InterruptedException {
            KindredConfig config = service.config();
            try (TopicCounter counter = new TopicCounter(broker.bootstrapServers(), Map.of())) {
                long caughtUp = monitor.awaitCaughtUp(config.inputTopics(), Duration.ofMinutes(30));
                long vectorKeys = counter.count(config.vectorsTopic(), Map.of()).liveKeys();
                ProcessingMonitor.awaitValue(() -> service.indexSize("clinical"), vectorKeys, Duration.ofMinutes(5),
                        "the index");
                long alerts = counter.count(config.alertsTopic(), alertsStart).records();
                long deadLetters = counter.count(config.deadLetterTopic(), deadLettersStart).records();
                return DemoSummary.of(replay.sent(), replay.distinctPatients(), service.indexSize("clinical"), alerts,
                        deadLetters, monitor.firstCommitNanos(), caughtUp);
            }
        }

        int showAlertsUntilStopped(Map<TopicPartition, Long> alertsStart, PrintStream err) throws InterruptedException {
            CountDownLatch interrupted = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                interrupted.countDown();
                try {
                    closed.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "kindred-demo-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            err.println("running; alerts so far (Ctrl-C to stop):");
            KindredConfig config = service.config();
            try (TopicCounter counter = new TopicCounter(broker.bootstrapServers(), Map.of())) {
                counter.follow(config.alertsTopic(), alertsStart);
                while (service.isRunning() && interrupted.getCount() > 0) {
                    long alerts = counter.advance();
                    err.printf("\ralerts: %,d   patients indexed: %,d   ", alerts, service.indexSize("clinical"));
                    err.flush();
                    interrupted.await(2, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
            err.println();
            return service.isRunning() || interrupted.getCount() == 0 ? 0 : 1;
        }

        @Override
        public void close() {
            try {
                api.close();
                service.closeAndLeaveGroup();
                broker.close();
                registry.close();
            } finally {
                closed.countDown();
            }
        }
    }
}
