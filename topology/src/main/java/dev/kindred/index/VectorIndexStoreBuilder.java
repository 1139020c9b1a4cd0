package dev.kindred.index;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Builds {@link VectorIndexStore}s. The store is in-memory and derived from its source topic, so logging
 * is always off: the compacted source topic is its changelog.
 */
public final class VectorIndexStoreBuilder<P> implements StoreBuilder<VectorIndexStore<P>> {
    private final String name;
    private final DistanceMetric metric;
    private final HnswParameters parameters;

    public VectorIndexStoreBuilder(String name, DistanceMetric metric, HnswParameters parameters) {
        this.name = name;
        this.metric = metric;
        this.parameters = parameters;
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
        throw new UnsupportedOperationException("a vector index store is derived from its source topic; it has no changelog of its own");
    }

    @Override
    public StoreBuilder<VectorIndexStore<P>> withLoggingDisabled() {
        return this;
    }

    @Override
    public VectorIndexStore<P> build() {
        return new VectorIndexStore<>(name, metric, parameters);
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
