package dev.kindred.topology.internals;

import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/** Builds a Kafka Streams key-value store with an {@link ObjectCachingKeyValueStore} layer on top. */
public final class ObjectCachingStoreBuilder<K, V> implements StoreBuilder<KeyValueStore<K, V>> {
    private final StoreBuilder<KeyValueStore<K, V>> inner;
    private final int capacity;

    /**
     * @param inner the store beneath (metered, changelogged, RocksDB), without its byte cache: this layer
     *     coalesces the writes already
     * @param capacity values held as objects
     */
    public ObjectCachingStoreBuilder(StoreBuilder<KeyValueStore<K, V>> inner, int capacity) {
        this.inner = inner.withCachingDisabled();
        this.capacity = capacity;
    }

    @Override
    public KeyValueStore<K, V> build() {
        return new ObjectCachingKeyValueStore<>(inner.build(), capacity);
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withCachingEnabled() {
        return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withLoggingEnabled(Map<String, String> config) {
        inner.withLoggingEnabled(config);
        return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<K, V>> withLoggingDisabled() {
        inner.withLoggingDisabled();
        return this;
    }

    @Override
    public Map<String, String> logConfig() {
        return inner.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
        return inner.loggingEnabled();
    }

    @Override
    public String name() {
        return inner.name();
    }
}
