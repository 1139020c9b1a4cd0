package dev.kindred.topology.internals;

import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientStatePart;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the {@link PatientStateStore}: Kafka Streams' metered, changelogged RocksDB store of the parts, without
 * its byte cache (the patient-state store holds objects and coalesces writes already), under the object layer.
 */
public final class PatientStateStoreBuilder implements StoreBuilder<KeyValueStore<String, PatientState>> {
    private final StoreBuilder<KeyValueStore<String, PatientStatePart>> parts;
    private final int capacity;

    public PatientStateStoreBuilder(String name, Serde<PatientStatePart> partSerde, int capacity) {
        this.parts = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), partSerde)
                .withCachingDisabled();
        this.capacity = capacity;
    }

    @Override
    public KeyValueStore<String, PatientState> build() {
        return new PatientStateStore(parts.build(), capacity);
    }

    @Override
    public StoreBuilder<KeyValueStore<String, PatientState>> withCachingEnabled() {
        return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<String, PatientState>> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<String, PatientState>> withLoggingEnabled(Map<String, String> config) {
        parts.withLoggingEnabled(config);
        return this;
    }

    @Override
    public StoreBuilder<KeyValueStore<String, PatientState>> withLoggingDisabled() {
        parts.withLoggingDisabled();
        return this;
    }

    @Override
    public Map<String, String> logConfig() {
        return parts.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
        return parts.loggingEnabled();
    }

    @Override
    public String name() {
        return parts.name();
    }
}
