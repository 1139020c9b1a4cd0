package dev.kindred.devstack;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real single-node Kafka 4.3 broker (KRaft, combined broker + controller) running inside this JVM,
 * for the dev stack and integration tests: no Docker, no separate process, data kept on disk.
 *
 * <p>Recipe (DESIGN.md "Verified facts"): the data directory is formatted with Kafka's own
 * {@link Formatter} at the latest <em>production</em> metadata version and default production feature
 * levels, unless it already holds {@code meta.properties}; then it is reused as it is, keeping its
 * cluster id and all topics, so a restart on the same directory keeps the data. Then
 * {@link KafkaRaftServer} is started with a static one-voter quorum.
 *
 * <p>Settings that make it fit a laptop and exactly-once Kafka Streams: every listener bound to
 * 127.0.0.1; replication factor and min.insync.replicas 1 for the offsets, transaction-state and
 * share-state topics (10 partitions each instead of 50); {@code group.initial.rebalance.delay.ms=0};
 * a 2 MiB log-cleaner dedupe buffer (the 128 MiB default is taken from the heap). Anything can be
 * overridden with {@link #start(Path, int, Map)}.
 *
 * <p>A broker fault in Kafka calls {@code Exit.halt}/{@code Exit.exit}, which would end the whole JVM
 * (the app, the streams, the dashboard). While any embedded broker is open those procedures are
 * replaced by ones that log an ERROR and return; the defaults are restored when the last one closes.
 * Kafka's {@link Exit} has no getter, so a procedure installed by someone else before is not restored.
 *
 * <p>Broker-side loggers ({@code kafka}, {@code org.apache.kafka.controller|raft|server|storage|...})
 * are set to WARN when they have no level of their own (a logback configuration naming them wins).
 * Set the system property {@code kindred.broker.log.level} (e.g. {@code INFO}) to change that level.
 *
 * <p>Thread safety: {@link #start} and {@link #close} may be called from any thread; close is idempotent.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String META_PROPERTIES = "meta.properties";
    private static final List<String> BROKER_LOGGERS = List.of(
            "kafka", "state.change.logger", "org.apache.kafka.controller", "org.apache.kafka.raft",
            "org.apache.kafka.server", "org.apache.kafka.storage", "org.apache.kafka.metadata",
            "org.apache.kafka.image", "org.apache.kafka.queue", "org.apache.kafka.snapshot",
            "org.apache.kafka.coordinator", "org.apache.kafka.network", "org.apache.kafka.security",
            "org.apache.kafka.common.network");

    private static final Object EXIT_LOCK = new Object();
    private static int openBrokers;

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final int port;
    private final String clusterId;
    private final long startMillis;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, int port, String clusterId, long startMillis) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
        this.clusterId = clusterId;
        this.startMillis = startMillis;
    }

    /**
     * Starts a broker whose data lives in {@code dataDir} (created if missing) and that listens on
     * 127.0.0.1:{@code port}; {@code port} 0 picks a free port up front. Returns once the broker is
     * registered and serving.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /** As {@link #start(Path, int)}, with extra or overriding broker settings (e.g. {@code num.partitions}). */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides) {
        long t0 = System.nanoTime();
        quietBrokerLogging();
        Path dir = dataDir.toAbsolutePath().normalize();
        int brokerPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        Properties props = config(dir, brokerPort, controllerPort);
        props.putAll(overrides);

        acquireExitProcedures();
        KafkaRaftServer server = null;
        try {
            Files.createDirectories(dir);
            String clusterId = formatIfNeeded(dir);
            server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            log.info("Embedded Kafka broker up at {}:{} (cluster {}, data {}) in {} ms",
                    HOST, brokerPort, clusterId, dir, millis);
            return new EmbeddedKafkaBroker(server, dir, brokerPort, clusterId, millis);
        } catch (Exception | Error e) {
            if (server != null) {
                try {
                    server.shutdown();
                    server.awaitShutdown();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            releaseExitProcedures();
            throw new IllegalStateException("Could not start the embedded Kafka broker on " + HOST + ":"
                    + brokerPort + " with data in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Bootstrap servers for clients, e.g. {@code 127.0.0.1:9092}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The port clients connect to. */
    public int port() {
        return port;
    }

    /** The KRaft cluster id, kept across restarts on the same data directory. */
    public String clusterId() {
        return clusterId;
    }

    /** Where the broker keeps its logs and metadata. */
    public Path dataDir() {
        return dataDir;
    }

    /** How long {@link #start} took, in milliseconds (format + startup). */
    public long startMillis() {
        return startMillis;
    }

    /** Shuts the broker down cleanly and waits for it; data stays in {@link #dataDir()}. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
            log.info("Embedded Kafka broker at {} stopped", bootstrapServers());
        } finally {
            releaseExitProcedures();
        }
    }

    private static Properties config(Path dir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + ","
                + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "10");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "10");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.streams.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        p.put("unstable.api.versions.enable", "false");
        p.put("unstable.feature.versions.enable", "false");
        return p;
    }

    /** Formats {@code dir} unless it already holds meta.properties; returns the cluster id in use. */
    private static String formatIfNeeded(Path dir) throws Exception {
        Path meta = dir.resolve(META_PROPERTIES);
        if (Files.exists(meta)) {
            Properties existing = new Properties();
            try (InputStream in = Files.newInputStream(meta)) {
                existing.load(in);
            }
            String clusterId = existing.getProperty("cluster.id");
            if (clusterId == null) {
                throw new IllegalStateException(meta + " has no cluster.id: not a Kafka KRaft data directory?");
            }
            return clusterId;
        }
        String clusterId = Uuid.randomUuid().toString();
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(clusterId)
                .setDirectories(List.of(dir.toString()))
                .setMetadataLogDirectory(dir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setUnstableFeatureVersionsEnabled(false)
                .run();
        return clusterId;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on " + HOST, e);
        }
    }

    private static void acquireExitProcedures() {
        synchronized (EXIT_LOCK) {
            if (openBrokers++ == 0) {
                Exit.setExitProcedure((code, message) -> log.error(
                        "Embedded Kafka broker asked to exit the JVM (status {}): {}. Ignored; the broker may be unusable.",
                        code, message));
                Exit.setHaltProcedure((code, message) -> log.error(
                        "Embedded Kafka broker asked to halt the JVM (status {}): {}. Ignored; the broker may be unusable.",
                        code, message));
            }
        }
    }

    private static void releaseExitProcedures() {
        synchronized (EXIT_LOCK) {
            if (--openBrokers == 0) {
                Exit.resetExitProcedure();
                Exit.resetHaltProcedure();
            }
        }
    }

    private static void quietBrokerLogging() {
        if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
            return;
        }
        ch.qos.logback.classic.Level level = ch.qos.logback.classic.Level.toLevel(
                System.getProperty("kindred.broker.log.level", "WARN"), ch.qos.logback.classic.Level.WARN);
        for (String name : BROKER_LOGGERS) {
            ch.qos.logback.classic.Logger logger = context.getLogger(name);
            if (logger.getLevel() == null) {
                logger.setLevel(level);
            }
        }
    }
}
