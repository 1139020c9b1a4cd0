package dev.kindred.index.sampling;

import dev.kindred.index.ForwardingVectorIndex;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.VectorIndex;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Measures an index's recall as it serves: one approximate search in {@code every} is repeated as an exact search
 * on a sampler executor, off the searching thread, and recall@k against it is kept as an exponentially weighted
 * mean ({@link IndexStats#sampledRecall()}). The searching thread only copies the query and hands the sample
 * over: when the sampler cannot take it at once (its bounded queue is full), the sample is dropped and counted
 * ({@link IndexStats#recallSamplesDropped()}), so a burst of searches is never slowed by the exact scans.
 *
 * <p>The sample is taken against the index as it is when the sampler runs, which may be a few writes later than
 * the search it checks; on a busy index that reads as slightly lower recall.
 *
 * @param <P> the payload type
 */
public final class RecallSamplingIndex<P> extends ForwardingVectorIndex<P> {
    private static final double WEIGHT = 0.05;

    private final int every;
    private final Executor sampler;
    private final AtomicLong searches = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Object lock = new Object();
    private double recall = Double.NaN;
    private long samples;

    /**
     * @param every sample one search in this many ({@code >= 1})
     * @param sampler runs the exact searches; must reject work it cannot start or queue at once
     */
    public RecallSamplingIndex(VectorIndex<P> delegate, int every, Executor sampler) {
        super(delegate);
        if (every < 1) {
            throw new IllegalArgumentException("sample every must be positive: " + every);
        }
        this.every = every;
        this.sampler = sampler;
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        List<Neighbour<P>> hits = delegate().search(query, k, filter);
        maybeSample(query, k, filter, hits);
        return hits;
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, int ef, Predicate<IndexedVector<P>> filter) {
        List<Neighbour<P>> hits = delegate().search(query, k, ef, filter);
        maybeSample(query, k, filter, hits);
        return hits;
    }

    private void maybeSample(float[] query, int k, Predicate<IndexedVector<P>> filter, List<Neighbour<P>> hits) {
        if (searches.incrementAndGet() % every != 0) {
            return;
        }
        float[] copy = query.clone();
        Set<String> found = new HashSet<>();
        hits.forEach(n -> found.add(n.key()));
        try {
            sampler.execute(() -> measure(copy, k, filter, found));
        } catch (RejectedExecutionException e) {
            dropped.incrementAndGet();
        }
    }

    private void measure(float[] query, int k, Predicate<IndexedVector<P>> filter, Set<String> found) {
        List<Neighbour<P>> exact = delegate().exactSearch(query, k, filter);
        if (exact.isEmpty()) {
            return;
        }
        long hits = exact.stream().filter(n -> found.contains(n.key())).count();
        double value = hits / (double) exact.size();
        synchronized (lock) {
            recall = Double.isNaN(recall) ? value : recall + WEIGHT * (value - recall);
            samples++;
        }
    }

    @Override
    public IndexStats stats() {
        double r;
        long n;
        synchronized (lock) {
            r = recall;
            n = samples;
        }
        return delegate().stats().withRecall(r, n, dropped.get());
    }
}
