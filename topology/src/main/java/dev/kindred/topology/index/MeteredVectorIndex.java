package dev.kindred.topology.index;

import dev.kindred.index.ForwardingVectorIndex;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.VectorIndex;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * Times every approximate search of a space's index into the store's search sensor (latency, rate, count),
 * whoever calls it: the stream's processors through the store, or interactive queries through
 * {@link VectorIndexStore#index(String)}.
 *
 * @param <P> the payload type
 */
final class MeteredVectorIndex<P> extends ForwardingVectorIndex<P> {
    private final LongConsumer searchNanos;

    MeteredVectorIndex(VectorIndex<P> delegate, LongConsumer searchNanos) {
        super(delegate);
        this.searchNanos = searchNanos;
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        long start = System.nanoTime();
        List<Neighbour<P>> hits = delegate().search(query, k, filter);
        searchNanos.accept(System.nanoTime() - start);
        return hits;
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, int ef, Predicate<IndexedVector<P>> filter) {
        long start = System.nanoTime();
        List<Neighbour<P>> hits = delegate().search(query, k, ef, filter);
        searchNanos.accept(System.nanoTime() - start);
        return hits;
    }
}
