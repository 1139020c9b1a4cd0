package dev.kindred.index;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;

/**
 * A Kafka Streams state store holding one {@link VectorIndex} per named space (e.g. "clinical",
 * "imaging"). Used as a global store fed by a compacted topic of vectors: every instance holds every
 * vector, so any instance can find neighbours among all keys.
 *
 * <p>The graph lives in memory and is derived from the topic; on start Kafka Streams replays the topic
 * through the store's update processor, so a restart or a wiped state directory ends with the same
 * contents as a fresh replay.
 */
public final class VectorIndexStore<P> implements StateStore {
    private final String name;
    private final DistanceMetric metric;
    private final HnswParameters parameters;
    private final Map<String, VectorIndex<P>> indexes = new ConcurrentHashMap<>();
    private volatile boolean open;
    /** Count of applied writes: identifies the index state an answer came from. */
    private volatile long updates;

    public VectorIndexStore(String name, DistanceMetric metric, HnswParameters parameters) {
        this.name = name;
        this.metric = metric;
        this.parameters = parameters;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
            throw new IllegalStateException("index store " + name + " is rebuilt by replaying its topic through"
                    + " the update processor, not by raw restore");
        });
        open = true;
    }

    @Override
    public void close() {
        open = false;
        indexes.clear();
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Inserts or replaces {@code key} in {@code space}; see {@link VectorIndex#upsert}. */
    public boolean upsert(String space, String key, long version, float[] vector, P payload) {
        VectorIndex<P> index = indexes.computeIfAbsent(space,
                s -> new HnswVectorIndex<>(name + "/" + s, metric, vector.length, parameters));
        boolean applied = index.upsert(key, version, vector, payload);
        if (applied) {
            updates++;
        }
        return applied;
    }

    /** Removes {@code key} from {@code space}; see {@link VectorIndex#delete}. */
    public boolean delete(String space, String key, long version) {
        VectorIndex<P> index = indexes.get(space);
        boolean applied = index != null && index.delete(key, version);
        if (applied) {
            updates++;
        }
        return applied;
    }

    /** Removes {@code key} from every space (a tombstone erases the key everywhere). */
    public void deleteEverywhere(String key, long version) {
        for (String space : indexes.keySet()) {
            delete(space, key, version);
        }
    }

    public Set<String> spaces() {
        return Set.copyOf(indexes.keySet());
    }

    public Optional<VectorIndex<P>> index(String space) {
        return Optional.ofNullable(indexes.get(space));
    }

    /** Live items in {@code space}, 0 when the space has none yet. */
    public int size(String space) {
        VectorIndex<P> index = indexes.get(space);
        return index == null ? 0 : index.size();
    }

    /** Applied writes since the store opened. */
    public long updates() {
        return updates;
    }

    /** Approximate top-k in {@code space}; empty when the space has no index yet. */
    public List<Neighbour<P>> search(String space, float[] query, int k, Predicate<IndexedVector<P>> filter) {
        VectorIndex<P> index = indexes.get(space);
        if (index == null || index.size() == 0) {
            return List.of();
        }
        if (index.dimensions() != query.length) {
            throw new IllegalArgumentException("query has " + query.length + " dimensions, index " + index.name()
                    + " has " + index.dimensions());
        }
        return index.search(query, k, filter);
    }
}
