package dev.kindred.index;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link VectorIndex} over Kindred's own HNSW graph ({@link HnswGraph}: primitive arrays, Vector API
 * distances, in-place updates, tombstones with slot reuse), with what a long-running, ever-changing index
 * needs around it:
 * <ul>
 *   <li>versioned upserts: an older version never replaces a newer one; an unchanged vector with a new version
 *       or payload swaps the item without touching the graph; a changed vector is re-linked in place;</li>
 *   <li>capacity that grows by itself, and slots of deleted items reused by new ones;</li>
 *   <li>compaction: when tombstones pass {@link IndexTuning#compactionThreshold()} a fresh graph is built from
 *       the live items on the maintenance executor, while searches and writes go on against the current one;
 *       writes made meanwhile are journaled and replayed onto the new graph before it is swapped in;</li>
 *   <li>statistics ({@link #stats()}): size, tombstones, memory, search latency, and recall measured by repeating
 *       one search in {@link IndexTuning#recallSampleEvery()} as an exact search.</li>
 * </ul>
 *
 * <p>Write methods are synchronized (one writer at a time); reads run concurrently with them.
 *
 * @param <P> the payload type
 */
public final class HnswVectorIndex<P> implements VectorIndex<P> {
    private static final Logger LOG = LoggerFactory.getLogger(HnswVectorIndex.class);
    private static final long SEED = 0x4b696e64726564L;
    private static final double RECALL_WEIGHT = 0.05;
    /** Per live item beyond its vector: the item record, key string, map entry and boxed slot. */
    private static final long ITEM_OVERHEAD_BYTES = 32 + 48 + 48 + 16;

    private final String name;
    private final DistanceMetric metric;
    private final int dimensions;
    private final HnswParameters parameters;
    private final IndexTuning tuning;

    private volatile Segment<P> segment;
    /** Writes since a background compaction started, to replay onto the new graph; null when none runs. Guarded by this. */
    private List<Consumer<Segment<P>>> journal;
    private volatile boolean compacting;

    private final LongAdder searchNanos = new LongAdder();
    private final AtomicLong searches = new AtomicLong();
    private final AtomicLong compactions = new AtomicLong();
    private final Object recallLock = new Object();
    private double recall = Double.NaN;
    private long recallSamples;
    private volatile LongConsumer searchObserver;

    public HnswVectorIndex(String name, DistanceMetric metric, int dimensions, HnswParameters parameters) {
        this(name, metric, dimensions, parameters, IndexTuning.DEFAULTS);
    }

    public HnswVectorIndex(String name, DistanceMetric metric, int dimensions, HnswParameters parameters,
            IndexTuning tuning) {
        if (dimensions < 1) {
            throw new IllegalArgumentException("dimensions must be positive: " + dimensions);
        }
        this.name = name;
        this.metric = metric;
        this.dimensions = dimensions;
        this.parameters = parameters;
        this.tuning = tuning;
        this.segment = new Segment<>(newGraph(1024));
    }

    private HnswVectorIndex(String name, DistanceMetric metric, int dimensions, HnswParameters parameters,
            IndexTuning tuning, Segment<P> segment) {
        this.name = name;
        this.metric = metric;
        this.dimensions = dimensions;
        this.parameters = parameters;
        this.tuning = tuning;
        this.segment = segment;
    }

    private HnswGraph newGraph(int capacity) {
        return new HnswGraph(metric, dimensions, parameters.m(), parameters.efConstruction(), SEED, capacity);
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

    public HnswParameters parameters() {
        return parameters;
    }

    @Override
    public int size() {
        return segment.live;
    }

    // ------------------------------------------------------------------------------------------ writes

    @Override
    public synchronized boolean upsert(String key, long version, float[] vector, P payload) {
        check(vector);
        float[] copy = vector.clone();
        boolean applied = upsert(segment, key, version, copy, payload);
        if (applied && journal != null) {
            journal.add(s -> upsert(s, key, version, copy, payload));
        }
        return applied;
    }

    @Override
    public synchronized boolean delete(String key, long version) {
        boolean applied = delete(segment, key, version);
        if (applied) {
            if (journal != null) {
                journal.add(s -> delete(s, key, version));
            } else {
                maybeCompact();
            }
        }
        return applied;
    }

    private static <P> boolean upsert(Segment<P> s, String key, long version, float[] vector, P payload) {
        Integer existing = s.slots.get(key);
        if (existing != null) {
            int slot = existing;
            IndexedVector<P> current = s.items[slot];
            if (current.version() > version) {
                return false;
            }
            if (Arrays.equals(current.vector(), vector)) {
                IndexedVector<P> item = new IndexedVector<>(key, version, current.vector(), payload);
                s.graph.publish(() -> s.items[slot] = item);
            } else {
                IndexedVector<P> item = new IndexedVector<>(key, version, vector, payload);
                s.graph.replace(slot, vector, x -> s.items[x] = item);
            }
            return true;
        }
        IndexedVector<P> item = new IndexedVector<>(key, version, vector, payload);
        if (s.freeCount > 0) {
            int slot = s.free[--s.freeCount];
            s.graph.replace(slot, vector, x -> s.place(x, item));
        } else {
            s.graph.add(vector, x -> s.place(x, item));
        }
        return true;
    }

    private static <P> boolean delete(Segment<P> s, String key, long version) {
        Integer existing = s.slots.get(key);
        if (existing == null || s.items[existing].version() > version) {
            return false;
        }
        int slot = existing;
        s.graph.markDeleted(slot, x -> {
            s.items[x] = null;
            s.slots.remove(key);
            s.live--;
        });
        if (s.freeCount == s.free.length) {
            s.free = Arrays.copyOf(s.free, Math.max(16, s.free.length * 2));
        }
        s.free[s.freeCount++] = slot;
        return true;
    }

    private void check(float[] vector) {
        if (vector.length != dimensions) {
            throw new IllegalArgumentException("index " + name + " holds " + dimensions
                    + "-dimensional vectors, got " + vector.length);
        }
        for (float f : vector) {
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException("index " + name + ": vector holds " + f);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ compaction

    private void maybeCompact() {
        HnswGraph g = segment.graph;
        int deleted = g.deletedCount();
        if (journal == null && deleted >= tuning.compactionMinDeleted()
                && deleted >= tuning.compactionThreshold() * g.slots()) {
            List<IndexedVector<P>> live = segment.liveItems();
            List<Consumer<Segment<P>>> ownJournal = new ArrayList<>();
            journal = ownJournal;
            compacting = true;
            LOG.info("index {}: {} of {} slots are tombstones; compacting in the background", name, deleted,
                    g.slots());
            try {
                tuning.maintenance().execute(() -> compactInBackground(live, ownJournal));
            } catch (RuntimeException e) {
                journal = null;
                compacting = false;
                LOG.warn("index {}: could not start compaction", name, e);
            }
        }
    }

    private void compactInBackground(List<IndexedVector<P>> live, List<Consumer<Segment<P>>> ownJournal) {
        try {
            Segment<P> fresh = build(live);
            synchronized (this) {
                if (journal != ownJournal) {
                    return; // superseded by a synchronous compact()
                }
                try {
                    ownJournal.forEach(op -> op.accept(fresh));
                } finally {
                    journal = null;
                    compacting = false;
                }
                segment = fresh;
                compactions.incrementAndGet();
            }
            LOG.info("index {}: compacted to {} items", name, fresh.live);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                if (journal == ownJournal) {
                    journal = null;
                    compacting = false;
                }
            }
            LOG.error("index {}: compaction failed; the index keeps its tombstones", name, e);
        }
    }

    @Override
    public synchronized void compact() {
        journal = null;
        compacting = false;
        segment = build(segment.liveItems());
        compactions.incrementAndGet();
    }

    private Segment<P> build(List<IndexedVector<P>> live) {
        Segment<P> fresh = new Segment<>(newGraph(live.size() + 16));
        for (IndexedVector<P> item : live) {
            fresh.graph.add(item.vector(), x -> fresh.place(x, item));
        }
        return fresh;
    }

    // ------------------------------------------------------------------------------------------ reads

    @Override
    public Optional<IndexedVector<P>> get(String key) {
        Segment<P> s = segment;
        s.graph.readLock().lock();
        try {
            Integer slot = s.slots.get(key);
            return slot == null ? Optional.empty() : Optional.of(s.items[slot]);
        } finally {
            s.graph.readLock().unlock();
        }
    }

    /** Every live item, in slot order. */
    @Override
    public List<IndexedVector<P>> items() {
        Segment<P> s = segment;
        s.graph.readLock().lock();
        try {
            return s.liveItems();
        } finally {
            s.graph.readLock().unlock();
        }
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        return search(query, k, parameters.ef(), filter);
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, int ef, Predicate<IndexedVector<P>> filter) {
        checkQuery(query, k);
        long start = System.nanoTime();
        List<Neighbour<P>> hits = run(query, k, filter, (g, q, accept, nodes, distances) ->
                g.searchNearest(q, k, ef, accept, nodes, distances));
        long nanos = System.nanoTime() - start;
        searchNanos.add(nanos);
        long n = searches.incrementAndGet();
        LongConsumer observer = searchObserver;
        if (observer != null) {
            observer.accept(nanos);
        }
        int every = tuning.recallSampleEvery();
        if (every > 0 && n % every == 0) {
            sampleRecall(hits, exactSearch(query, k, filter));
        }
        return hits;
    }

    @Override
    public List<Neighbour<P>> exactSearch(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        checkQuery(query, k);
        return run(query, k, filter, (g, q, accept, nodes, distances) ->
                g.scan(q, k, Float.POSITIVE_INFINITY, accept, nodes, distances));
    }

    @Override
    public List<Neighbour<P>> rangeSearch(float[] query, float radius, int limit, Predicate<IndexedVector<P>> filter) {
        checkQuery(query, limit);
        // The internal bound is widened by one ulp (squaring the radius may round down), and the hits are then
        // held to the radius in the metric's own terms, so the boundary is exact.
        List<Neighbour<P>> hits = run(query, limit, filter, (g, q, accept, nodes, distances) ->
                g.scan(q, limit, Math.nextUp(g.toInternal(radius)), accept, nodes, distances));
        hits.removeIf(n -> n.distance() > radius);
        return hits;
    }

    private void checkQuery(float[] query, int k) {
        if (query.length != dimensions) {
            throw new IllegalArgumentException("query has " + query.length + " dimensions, index " + name
                    + " has " + dimensions);
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be positive: " + k);
        }
    }

    private interface GraphQuery {
        int run(HnswGraph graph, float[] query, IntPredicate accept, int[] nodes, float[] distances);
    }

    private List<Neighbour<P>> run(float[] query, int k, Predicate<IndexedVector<P>> filter, GraphQuery graphQuery) {
        Segment<P> s = segment;
        HnswGraph g = s.graph;
        float[] q = g.prepareQuery(query);
        int capacity = Math.min(k, Math.max(s.live, 1));
        int[] nodes = new int[capacity];
        float[] distances = new float[capacity];
        g.readLock().lock();
        try {
            IndexedVector<P>[] items = s.items;
            IntPredicate accept = filter == null ? null : slot -> filter.test(items[slot]);
            int n = graphQuery.run(g, q, accept, nodes, distances);
            List<Neighbour<P>> hits = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                hits.add(new Neighbour<>(items[nodes[i]], g.toPublic(distances[i])));
            }
            return hits;
        } finally {
            g.readLock().unlock();
        }
    }

    private void sampleRecallLocked(double value) {
        synchronized (recallLock) {
            recall = Double.isNaN(recall) ? value : recall + RECALL_WEIGHT * (value - recall);
            recallSamples++;
        }
    }

    private void sampleRecall(List<Neighbour<P>> approximate, List<Neighbour<P>> exact) {
        if (exact.isEmpty()) {
            return;
        }
        Set<String> truth = new HashSet<>();
        exact.forEach(n -> truth.add(n.key()));
        long found = approximate.stream().filter(n -> truth.contains(n.key())).count();
        sampleRecallLocked(found / (double) exact.size());
    }

    /** Receives the latency in nanoseconds of every approximate search (for the store's metrics). */
    void observeSearches(LongConsumer observer) {
        this.searchObserver = observer;
    }

    @Override
    public IndexStats stats() {
        Segment<P> s = segment;
        HnswGraph g = s.graph;
        long bytes;
        int slots;
        int deleted;
        int live;
        g.readLock().lock();
        try {
            bytes = g.estimatedBytes() + 16 + 8L * s.items.length + 4L * s.free.length;
            for (IndexedVector<P> item : s.items) {
                if (item != null) {
                    bytes += ITEM_OVERHEAD_BYTES + 2L * item.key().length();
                }
            }
            slots = g.slots();
            deleted = g.deletedCount();
            live = s.live;
        } finally {
            g.readLock().unlock();
        }
        long n = searches.get();
        double recallNow;
        long samples;
        synchronized (recallLock) {
            recallNow = recall;
            samples = recallSamples;
        }
        return new IndexStats(name, dimensions, live, slots, deleted, slots == 0 ? 0 : deleted / (double) slots,
                bytes, n, n == 0 ? 0 : searchNanos.sum() / 1000.0 / n, recallNow, samples, compactions.get(),
                compacting);
    }

    // ------------------------------------------------------------------------------------------ snapshots

    /** Writes items and graph. Holds the index's monitor, so no write or compaction swap interleaves. */
    synchronized void writeTo(SnapshotOutput out, PayloadCodec<P> codec) throws IOException {
        Segment<P> s = segment;
        s.graph.writeTo(out);
        out.writeInt(s.live);
        for (int slot = 0; slot < s.graph.slots(); slot++) {
            IndexedVector<P> item = s.items[slot];
            if (item != null) {
                out.writeInt(slot);
                out.writeString(item.key());
                out.writeLong(item.version());
                out.writeBytes(codec.encode(item.payload()));
            }
        }
    }

    /** Reads what {@link #writeTo} wrote; any inconsistency is an {@link IOException}. */
    static <P> HnswVectorIndex<P> readFrom(SnapshotInput in, String name, DistanceMetric metric, int dimensions,
            HnswParameters parameters, IndexTuning tuning, PayloadCodec<P> codec) throws IOException {
        HnswGraph graph = HnswGraph.readFrom(in, metric, dimensions, parameters.m(), parameters.efConstruction(), SEED);
        Segment<P> s = new Segment<>(graph);
        int live = in.readLength(graph.slots());
        int previous = -1;
        for (int i = 0; i < live; i++) {
            int slot = in.readInt();
            if (slot <= previous || slot >= graph.slots() || graph.isDeleted(slot)) {
                throw new IOException("corrupt item slot " + slot);
            }
            previous = slot;
            String key = in.readString();
            long version = in.readLong();
            P payload = codec.decode(in.readBytes());
            s.place(slot, new IndexedVector<>(key, version, graph.vector(slot), payload));
        }
        if (s.slots.size() != live) {
            throw new IOException("duplicate keys in snapshot");
        }
        for (int slot = 0; slot < graph.slots(); slot++) {
            if (s.items.length <= slot || s.items[slot] == null) {
                if (!graph.isDeleted(slot)) {
                    throw new IOException("live slot " + slot + " without an item");
                }
                if (s.freeCount == s.free.length) {
                    s.free = Arrays.copyOf(s.free, Math.max(16, s.free.length * 2));
                }
                s.free[s.freeCount++] = slot;
            }
        }
        return new HnswVectorIndex<>(name, metric, dimensions, parameters, tuning, s);
    }

    /** One graph and the items, key map and free slots that belong to it; swapped whole by compaction. */
    private static final class Segment<P> {
        final HnswGraph graph;
        final Map<String, Integer> slots = new HashMap<>();
        IndexedVector<P>[] items;
        int[] free = new int[16];
        int freeCount;
        volatile int live;

        @SuppressWarnings("unchecked")
        Segment(HnswGraph graph) {
            this.graph = graph;
            this.items = (IndexedVector<P>[]) new IndexedVector<?>[graph.capacity()];
        }

        /** Puts a new key at a slot. Under the graph's write lock (or before the segment is shared). */
        void place(int slot, IndexedVector<P> item) {
            if (slot >= items.length) {
                items = Arrays.copyOf(items, Math.max(graph.capacity(), slot + 1));
            }
            items[slot] = item;
            slots.put(item.key(), slot);
            live++;
        }

        List<IndexedVector<P>> liveItems() {
            List<IndexedVector<P>> live = new ArrayList<>(this.live);
            for (int slot = 0; slot < graph.slots(); slot++) {
                if (items[slot] != null) {
                    live.add(items[slot]);
                }
            }
            return live;
        }
    }
}
