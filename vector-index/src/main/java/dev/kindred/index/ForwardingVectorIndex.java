package dev.kindred.index;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A {@link VectorIndex} that passes every call to another one: the base of decorators (recall sampling, a
 * store's metrics), which override what they observe. {@link #unwrap} finds the index underneath, e.g. for the
 * snapshot codec.
 *
 * @param <P> the payload type
 */
public abstract class ForwardingVectorIndex<P> implements VectorIndex<P> {
    private final VectorIndex<P> delegate;

    protected ForwardingVectorIndex(VectorIndex<P> delegate) {
        this.delegate = delegate;
    }

    public VectorIndex<P> delegate() {
        return delegate;
    }

    /** The index under every decorator around {@code index}. */
    public static <P> VectorIndex<P> unwrap(VectorIndex<P> index) {
        VectorIndex<P> inner = index;
        while (inner instanceof ForwardingVectorIndex<P> forwarding) {
            inner = forwarding.delegate();
        }
        return inner;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public DistanceMetric metric() {
        return delegate.metric();
    }

    @Override
    public int dimensions() {
        return delegate.dimensions();
    }

    @Override
    public int size() {
        return delegate.size();
    }

    @Override
    public boolean upsert(String key, long version, float[] vector, P payload) {
        return delegate.upsert(key, version, vector, payload);
    }

    @Override
    public boolean delete(String key, long version) {
        return delegate.delete(key, version);
    }

    @Override
    public Optional<IndexedVector<P>> get(String key) {
        return delegate.get(key);
    }

    @Override
    public List<IndexedVector<P>> items() {
        return delegate.items();
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        return delegate.search(query, k, filter);
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, int ef, Predicate<IndexedVector<P>> filter) {
        return delegate.search(query, k, ef, filter);
    }

    @Override
    public List<Neighbour<P>> exactSearch(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        return delegate.exactSearch(query, k, filter);
    }

    @Override
    public List<Neighbour<P>> rangeSearch(float[] query, float radius, int limit, Predicate<IndexedVector<P>> filter) {
        return delegate.rangeSearch(query, radius, limit, filter);
    }

    @Override
    public IndexStats stats() {
        return delegate.stats();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
