package dev.kindred.topology.index;

import java.util.List;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.internals.StateStoreProvider;

/**
 * Lets interactive queries reach a {@link VectorIndexStore}:
 * {@code streams.store(StoreQueryParameters.fromNameAndType(name, new VectorIndexStoreType<>()))}.
 */
public final class VectorIndexStoreType<P> implements QueryableStoreType<VectorIndexStore<P>> {

    @Override
    public boolean accepts(org.apache.kafka.streams.processor.StateStore stateStore) {
        return stateStore instanceof VectorIndexStore;
    }

    @Override
    public VectorIndexStore<P> create(StateStoreProvider provider, String storeName) {
        List<VectorIndexStore<P>> stores = provider.stores(storeName, this);
        if (stores.isEmpty()) {
            throw new org.apache.kafka.streams.errors.InvalidStateStoreException("index store " + storeName
                    + " is not available yet");
        }
        return stores.get(0);
    }
}
