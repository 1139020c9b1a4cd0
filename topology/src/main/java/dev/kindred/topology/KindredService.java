package dev.kindred.topology;

import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.VectorIndex;
import dev.kindred.topology.index.VectorIndexStore;
import dev.kindred.topology.index.VectorIndexStoreType;
import dev.kindred.topology.internals.RestoreLog;
import dev.kindred.topology.internals.Scrubbed;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running Kindred streams application: provisions topics, starts Kafka Streams on the topology and
 * answers interactive queries. The dev stack and the production runner both use it.
 */
public final class KindredService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KindredService.class);

    private final KindredConfig config;
    private final Properties streamsProperties;
    private final KafkaStreams streams;
    private final CountDownLatch stopped = new CountDownLatch(1);

    private KindredService(Map<?, ?> settings) {
        this.config = new KindredConfig(settings);
        this.streamsProperties = KindredTopology.streamsProperties(settings);
        this.streams = new KafkaStreams(KindredTopology.build(config), streamsProperties);
    }

    /** Provisions topics (unless turned off), starts the streams app and waits until it runs. */
    public static KindredService start(Map<?, ?> settings, Duration startTimeout) throws InterruptedException {
        KindredService service = new KindredService(settings);
        service.provisionTopics();
        service.startStreams(startTimeout);
        return service;
    }

    private void provisionTopics() throws InterruptedException {
        if (!config.getBoolean(KindredConfig.TOPICS_CREATE_CONFIG)) {
            return;
        }
        Properties adminProps = new Properties();
        for (String key : AdminClientConfig.configNames()) {
            if (streamsProperties.containsKey(key)) {
                adminProps.put(key, streamsProperties.get(key));
            }
        }
        try (Admin admin = Admin.create(adminProps)) {
            TopicProvisioner.ensureTopics(admin, config);
        }
    }

    private void startStreams(Duration timeout) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            LOG.info("streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
                running.countDown();
            }
        });
        streams.setGlobalStateRestoreListener(new RestoreLog());
        streams.setUncaughtExceptionHandler(e -> {
            // Scrubbed: the message of an exception from processing can quote patient data.
            LOG.error("stream thread failed; shutting Kindred down: {}", Scrubbed.describe(e));
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("Kafka Streams did not reach RUNNING within " + timeout
                    + " (state " + streams.state() + "); check bootstrap.servers and the broker logs");
        }
        if (streams.state() != KafkaStreams.State.RUNNING) {
            throw new IllegalStateException("Kafka Streams stopped while starting (state " + streams.state() + ")");
        }
    }

    public KindredConfig config() {
        return config;
    }

    public String applicationId() {
        return streamsProperties.getProperty("application.id");
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** Patients in the index of {@code space} on this instance (a global store: all patients). */
    public int indexSize(String space) {
        return index(space).map(VectorIndex::size).orElse(0);
    }

    /** The index of {@code space}, read through an interactive query; empty until it has items. */
    public Optional<VectorIndex<List<TreatmentOutcome>>> index(String space) {
        try {
            VectorIndexStore<List<TreatmentOutcome>> store = streams.store(StoreQueryParameters.fromNameAndType(
                    KindredTopology.INDEX_STORE, new VectorIndexStoreType<List<TreatmentOutcome>>()));
            return store.index(space);
        } catch (InvalidStateStoreException e) {
            return Optional.empty();
        }
    }

    /** Blocks until the streams app stops (close, or a fatal error). */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    public boolean isRunning() {
        return streams.state().isRunningOrRebalancing();
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
    }

    /**
     * Closes and leaves the consumer group, so that the next start with the same application id does not
     * wait out the session timeout of this member. Right for a single instance (the dev stack); a member of
     * a production group keeps its place on a rolling restart with plain {@link #close()}.
     */
    public void closeAndLeaveGroup() {
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
}
