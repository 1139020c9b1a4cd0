package dev.kindred.index;

import com.github.jelmerk.hnswlib.core.SearchResult;
import com.github.jelmerk.hnswlib.core.hnsw.HnswIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;

/**
 * {@link VectorIndex} over hnswlib's HNSW graph, with what hnswlib leaves to its user: capacity that grows
 * before it runs out (hnswlib would drop an upserted item when full), versioned upserts, and filtered
 * search by widening the candidate list.
 */
public final class HnswVectorIndex<P> implements VectorIndex<P> {
    private static final int INITIAL_CAPACITY = 1024;

    private final String name;
    private final DistanceMetric metric;
    private final int dimensions;
    private final HnswIndex<String, float[], IndexedVector<P>, Float> graph;
    /** Guards resize (write) against searches and inserts (read); hnswlib itself handles those concurrently. */
    private final ReadWriteLock resizeLock = new ReentrantReadWriteLock();
    /** Graph slots in use, live or soft-deleted: hnswlib never reclaims a slot. */
    private int slotsUsed;

    public HnswVectorIndex(String name, DistanceMetric metric, int dimensions, HnswParameters params) {
        this.name = name;
        this.metric = metric;
        this.dimensions = dimensions;
        this.graph = HnswIndex.<float[], Float>newBuilder(dimensions, metric.function(), INITIAL_CAPACITY)
                .withM(params.m())
                .withEfConstruction(params.efConstruction())
                .withEf(params.ef())
                .withRemoveEnabled()
                .build();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DistanceMetric metric() {
        return metric;
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    @Override
    public int size() {
        return graph.size();
    }

    @Override
    public boolean upsert(String key, long version, float[] vector, P payload) {
        if (vector.length != dimensions) {
            throw new IllegalArgumentException("index " + name + " holds " + dimensions
                    + "-dimensional vectors, got " + vector.length);
        }
        Optional<IndexedVector<P>> existing = graph.get(key);
        if (existing.isPresent() && existing.get().version() > version) {
            return false;
        }
        boolean newSlot = existing.isEmpty() || !Arrays.equals(existing.get().vector(), vector);
        if (newSlot) {
            ensureCapacity();
        }
        resizeLock.readLock().lock();
        try {
            boolean added = graph.add(new IndexedVector<>(key, version, vector.clone(), payload));
            if (added && newSlot) {
                slotsUsed++;
            }
            return added;
        } finally {
            resizeLock.readLock().unlock();
        }
    }

    private void ensureCapacity() {
        if (slotsUsed + 1 <= graph.getMaxItemCount()) {
            return;
        }
        resizeLock.writeLock().lock();
        try {
            graph.resize(graph.getMaxItemCount() * 2);
        } finally {
            resizeLock.writeLock().unlock();
        }
    }

    @Override
    public boolean delete(String key, long version) {
        resizeLock.readLock().lock();
        try {
            return graph.remove(key, version);
        } finally {
            resizeLock.readLock().unlock();
        }
    }

    @Override
    public Optional<IndexedVector<P>> get(String key) {
        return graph.get(key);
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        int live = graph.size();
        int candidates = Math.min(live, filter == null ? k : k + 1);
        while (true) {
            List<SearchResult<IndexedVector<P>, Float>> found;
            resizeLock.readLock().lock();
            try {
                found = graph.findNearest(query, candidates);
            } finally {
                resizeLock.readLock().unlock();
            }
            List<Neighbour<P>> hits = new ArrayList<>(k);
            for (SearchResult<IndexedVector<P>, Float> r : found) {
                if (filter == null || filter.test(r.item())) {
                    hits.add(new Neighbour<>(r.item(), r.distance()));
                    if (hits.size() == k) {
                        return hits;
                    }
                }
            }
            if (candidates >= live) {
                return hits;
            }
            candidates = Math.min(live, candidates * 2);
        }
    }

    @Override
    public List<Neighbour<P>> exactSearch(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        PriorityQueue<Neighbour<P>> best = new PriorityQueue<>(
                Comparator.comparingDouble((Neighbour<P> n) -> n.distance()).reversed());
        for (IndexedVector<P> item : graph.items()) {
            if (filter != null && !filter.test(item)) {
                continue;
            }
            float d = metric.distance(query, item.vector());
            if (best.size() < k) {
                best.add(new Neighbour<>(item, d));
            } else if (d < best.peek().distance()) {
                best.poll();
                best.add(new Neighbour<>(item, d));
            }
        }
        List<Neighbour<P>> sorted = new ArrayList<>(best);
        sorted.sort(Comparator.comparingDouble(Neighbour::distance));
        return sorted;
    }
}
