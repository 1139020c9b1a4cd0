package dev.kindred.topology.index;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.PayloadCodec;
import dev.kindred.index.Quantization;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Builds {@link VectorIndexStore}s. Logging (a changelog topic of the store's own) is always off: the store
 * is derived from its source topic, which is its changelog. Snapshots are on by default; see
 * {@link VectorIndexStore} for how they are used and when they are not.
 *
 * @param <P> the payload type
 */
public final class VectorIndexStoreBuilder<P> implements StoreBuilder<VectorIndexStore<P>> {
    private final String name;
    private final IndexSpec defaultSpec;
    private final Map<String, IndexSpec> spaceSpecs = new HashMap<>();
    private final Map<String, Quantization> quantization = new HashMap<>();
    private IndexTuning tuning = IndexTuning.DEFAULTS;
    private PayloadCodec<P> codec = PayloadCodec.none();
    private String sourceTopic;
    private boolean snapshots = true;
    private Duration snapshotInterval = Duration.ofMinutes(1);

    /** A store whose spaces all use {@code metric} and {@code parameters} unless {@link #withSpace} says otherwise. */
    public VectorIndexStoreBuilder(String name, DistanceMetric metric, HnswParameters parameters) {
        this.name = name;
        this.defaultSpec = new IndexSpec(metric, parameters);
    }

    /** Gives {@code space} its own metric, parameters and quantization. */
    public VectorIndexStoreBuilder<P> withSpace(String space, IndexSpec spec) {
        spaceSpecs.put(space, spec);
        return this;
    }

    /**
     * Quantizes the named spaces (the others keep their spec's): their graphs are searched with codes and their
     * float vectors kept off the heap; see {@link Quantization}.
     */
    public VectorIndexStoreBuilder<P> withQuantization(Map<String, Quantization> bySpace) {
        quantization.putAll(bySpace);
        return this;
    }

    /** How payloads are written to snapshots; without one, payloads do not survive a restart from a snapshot. */
    public VectorIndexStoreBuilder<P> withPayloadCodec(PayloadCodec<P> payloadCodec) {
        this.codec = payloadCodec;
        return this;
    }

    /** The topic feeding the store; a snapshot taken from another topic is not loaded. */
    public VectorIndexStoreBuilder<P> withSourceTopic(String topic) {
        this.sourceTopic = topic;
        return this;
    }

    /** Turns snapshots on (default) or off; off, every start replays the whole source topic. */
    public VectorIndexStoreBuilder<P> withSnapshots(boolean enabled) {
        this.snapshots = enabled;
        return this;
    }

    /**
     * The least time between two snapshots (default one minute): a snapshot rewrites every index, so on a busy
     * topic the store takes one per interval rather than one per Kafka Streams commit.
     */
    public VectorIndexStoreBuilder<P> withSnapshotInterval(Duration interval) {
        this.snapshotInterval = interval;
        return this;
    }

    public VectorIndexStoreBuilder<P> withTuning(IndexTuning indexTuning) {
        this.tuning = indexTuning;
        return this;
    }

    @Override
    public StoreBuilder<VectorIndexStore<P>> withCachingEnabled() {
        return this;
    }

    @Override
    public StoreBuilder<VectorIndexStore<P>> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<VectorIndexStore<P>> withLoggingEnabled(Map<String, String> config) {
        throw new UnsupportedOperationException("a vector index store is derived from its source topic; it has no"
                + " changelog of its own");
    }

    @Override
    public StoreBuilder<VectorIndexStore<P>> withLoggingDisabled() {
        return this;
    }

    @Override
    public VectorIndexStore<P> build() {
        Map<String, IndexSpec> specs = new HashMap<>(spaceSpecs);
        quantization.forEach((space, q) -> specs.put(space, specs.getOrDefault(space, defaultSpec).withQuantization(q)));
        return new VectorIndexStore<>(name, defaultSpec, specs, tuning, codec, sourceTopic, snapshots,
                snapshotInterval);
    }

    @Override
    public Map<String, String> logConfig() {
        return new HashMap<>();
    }

    @Override
    public boolean loggingEnabled() {
        return false;
    }

    @Override
    public String name() {
        return name;
    }
}
