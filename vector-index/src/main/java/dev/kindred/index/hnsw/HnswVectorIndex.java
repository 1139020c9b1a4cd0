package dev.kindred.index.hnsw;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.Quantization;
import dev.kindred.index.VectorIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link VectorIndex} over Kindred's own HNSW graph, with what a long-running, ever-changing index needs around
 * it:
 * <ul>
 *   <li>versioned upserts: an older version never replaces a newer one; an unchanged vector with a new version
 *       or payload swaps the item without touching the graph; a changed vector is re-linked in place;</li>
 *   <li>capacity that grows by itself, and slots of deleted items reused by new ones;</li>
 *   <li>compaction: when tombstones pass {@link IndexTuning#compactionThreshold()} a fresh {@link Segment} is
 *       built from the live items on the maintenance executor, while searches and writes go on against the
 *       current one; writes made meanwhile are journaled and replayed onto the new segment before it is swapped
 *       in;</li>
 *   <li>quantization ({@link IndexSpec#quantization()}): the graph is searched with int8 or 1-bit codes for
 *       {@code k * oversample} candidates, which are then rescored with the float vectors (kept in a mapped file,
 *       off the heap) and cut to {@code k};</li>
 *   <li>statistics: size, tombstones, memory by part, search count and latency. Recall sampling is a decorator
 *       ({@code dev.kindred.index.sampling.RecallSamplingIndex}).</li>
 * </ul>
 *
 * <p>Write methods are synchronized (one writer at a time); reads run concurrently with them.
 *
 * @param <P> the payload type
 */
public final class HnswVectorIndex<P> implements VectorIndex<P> {
    private static final Logger LOG = LoggerFactory.getLogger(HnswVectorIndex.class);
    static final long SEED = 0x4b696e64726564L;

    private final String name;
    private final IndexSpec spec;
    private final int dimensions;
    private final IndexTuning tuning;

    private volatile Segment<P> segment;
    /** Writes since a background compaction started, to replay onto the new segment; null when none runs. Guarded by this. */
    private List<Consumer<Segment<P>>> journal;
    private volatile boolean compacting;

    private final LongAdder searchNanos = new LongAdder();
    private final AtomicLong searches = new AtomicLong();
    private final AtomicLong compactions = new AtomicLong();

    public HnswVectorIndex(String name, IndexSpec spec, int dimensions, IndexTuning tuning) {
        if (dimensions < 1) {
            throw new IllegalArgumentException("dimensions must be positive: " + dimensions);
        }
        this.name = name;
        this.spec = spec;
        this.dimensions = dimensions;
        this.tuning = tuning;
        this.segment = newSegment(1024);
    }

    /** An index around a segment read back from a snapshot. */
    HnswVectorIndex(String name, IndexSpec spec, int dimensions, IndexTuning tuning, Segment<P> segment) {
        this.name = name;
        this.spec = spec;
        this.dimensions = dimensions;
        this.tuning = tuning;
        this.segment = segment;
    }

    Segment<P> newSegment(int capacity) {
        return newSegment(spec, dimensions, tuning, capacity);
    }

    static <P> Segment<P> newSegment(IndexSpec spec, int dimensions, IndexTuning tuning, int capacity) {
        HnswParameters p = spec.parameters();
        return new Segment<>(spec.metric(), dimensions, p.m(), p.efConstruction(), spec.quantization(), SEED, capacity,
                tuning.vectorDirectory());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DistanceMetric metric() {
        return spec.metric();
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    public IndexSpec spec() {
        return spec;
    }

    @Override
    public int size() {
        return segment.live;
    }

    /** The current segment, for the snapshot codec (which holds the index's monitor while it reads it). */
    Segment<P> segment() {
        return segment;
    }

    // ------------------------------------------------------------------------------------------ writes

    @Override
    public synchronized boolean upsert(String key, long version, float[] vector, P payload) {
        check(vector);
        float[] copy = vector.clone(); // the journal may replay it after the caller changed its array
        boolean applied = segment.upsert(key, version, copy, payload);
        if (applied && journal != null) {
            journal.add(s -> s.upsert(key, version, copy, payload));
        }
        return applied;
    }

    @Override
    public synchronized boolean delete(String key, long version) {
        boolean applied = segment.delete(key, version);
        if (applied) {
            if (journal != null) {
                journal.add(s -> s.delete(key, version));
            } else {
                maybeCompact();
            }
        }
        return applied;
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
        Segment<P> current = segment;
        int deleted = current.deletedCount;
        if (journal == null && deleted >= tuning.compactionMinDeleted()
                && deleted >= tuning.compactionThreshold() * current.graph.size()) {
            List<Segment.Slotted<P>> live = current.liveSlots();
            List<Consumer<Segment<P>>> ownJournal = new ArrayList<>();
            journal = ownJournal;
            compacting = true;
            LOG.info("index {}: {} of {} slots are tombstones; compacting in the background", name, deleted,
                    current.graph.size());
            try {
                tuning.maintenance().execute(() -> compactInBackground(current, live, ownJournal));
            } catch (RuntimeException e) {
                journal = null;
                compacting = false;
                LOG.warn("index {}: could not start compaction", name, e);
            }
        }
    }

    private void compactInBackground(Segment<P> old, List<Segment.Slotted<P>> live,
            List<Consumer<Segment<P>>> ownJournal) {
        try {
            Segment<P> fresh = rebuild(old, live);
            synchronized (this) {
                try {
                    ownJournal.forEach(op -> op.accept(fresh));
                } finally {
                    journal = null;
                    compacting = false;
                }
                segment = fresh;
                compactions.incrementAndGet();
            }
            old.close();
            LOG.info("index {}: compacted to {} items", name, fresh.live);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                journal = null;
                compacting = false;
            }
            LOG.error("index {}: compaction failed; the index keeps its tombstones", name, e);
        }
    }

    /**
     * A new segment of the given live items of {@code old}, each vector read under {@code old}'s read lock (the
     * writer may change {@code old} meanwhile: whatever it wrote is in the journal and replayed afterwards).
     */
    private Segment<P> rebuild(Segment<P> old, List<Segment.Slotted<P>> live) {
        Segment<P> fresh = newSegment(live.size() + 16);
        old.lock.readLock().lock();
        try {
            fresh.trainOn(old.trainingSample(live));
        } finally {
            old.lock.readLock().unlock();
        }
        for (Segment.Slotted<P> entry : live) {
            float[] vector;
            old.lock.readLock().lock();
            try {
                vector = old.vectorAt(entry.slot());
            } finally {
                old.lock.readLock().unlock();
            }
            IndexedVector<P> item = entry.item();
            fresh.add(vector, Segment.stored(item.key(), item.version(), item.payload()));
        }
        return fresh;
    }

    /** Releases the mapped vector file of a quantized index. The index must not be used afterwards. */
    @Override
    public synchronized void close() {
        segment.close();
    }

    // ------------------------------------------------------------------------------------------ reads

    @Override
    public Optional<IndexedVector<P>> get(String key) {
        Segment<P> s = segment;
        s.lock.readLock().lock();
        try {
            Integer slot = s.slots.get(key);
            return slot == null ? Optional.empty() : Optional.of(s.published(slot));
        } finally {
            s.lock.readLock().unlock();
        }
    }

    /** Every live item, in slot order. */
    @Override
    public List<IndexedVector<P>> items() {
        Segment<P> s = segment;
        s.lock.readLock().lock();
        try {
            List<IndexedVector<P>> items = new ArrayList<>(s.live);
            for (Segment.Slotted<P> entry : s.liveSlots()) {
                items.add(s.published(entry.slot()));
            }
            return items;
        } finally {
            s.lock.readLock().unlock();
        }
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        return search(query, k, spec.parameters().ef(), filter);
    }

    @Override
    public List<Neighbour<P>> search(float[] query, int k, int ef, Predicate<IndexedVector<P>> filter) {
        checkQuery(query, k);
        long start = System.nanoTime();
        List<Neighbour<P>> hits = run(query, k, filter, (s, prepared, accept, nodes, distances) -> {
            QuantizedCodes codes = s.codes;
            if (codes == null) {
                return HnswSearcher.search(s.graph, s.vectors.scorer(prepared), s.deleted, s.live, accept, k, ef,
                        nodes, distances);
            }
            int candidates = nodes.length;
            int n = HnswSearcher.search(s.graph, codes.scorer(prepared), s.deleted, s.live, accept, candidates,
                    Math.max(ef, candidates), nodes, distances);
            return rescore(s, prepared, n, k, nodes, distances);
        });
        searchNanos.add(System.nanoTime() - start);
        searches.incrementAndGet();
        return hits;
    }

    /** Replaces approximate distances of {@code n} candidates with exact ones and keeps the nearest {@code k}. */
    private static int rescore(Segment<?> s, float[] prepared, int n, int k, int[] nodes, float[] distances) {
        long[] exact = new long[n];
        for (int i = 0; i < n; i++) {
            exact[i] = NodeQueue.encode(nodes[i], s.vectors.distance(prepared, nodes[i]));
        }
        Arrays.sort(exact);
        int kept = Math.min(k, n);
        for (int i = 0; i < kept; i++) {
            nodes[i] = NodeQueue.node(exact[i]);
            distances[i] = NodeQueue.distance(exact[i]);
        }
        return kept;
    }

    @Override
    public List<Neighbour<P>> exactSearch(float[] query, int k, Predicate<IndexedVector<P>> filter) {
        checkQuery(query, k);
        return run(query, k, filter, (s, prepared, accept, nodes, distances) -> HnswSearcher.scan(s.graph.size(),
                s.vectors.scorer(prepared), s.deleted, accept, k, Float.POSITIVE_INFINITY, nodes, distances));
    }

    @Override
    public List<Neighbour<P>> rangeSearch(float[] query, float radius, int limit, Predicate<IndexedVector<P>> filter) {
        checkQuery(query, limit);
        // The internal bound is widened by one ulp (squaring the radius may round down), and the hits are then
        // held to the radius in the metric's own terms, so the boundary is exact.
        List<Neighbour<P>> hits = run(query, limit, filter, (s, prepared, accept, nodes, distances) ->
                HnswSearcher.scan(s.graph.size(), s.vectors.scorer(prepared), s.deleted, accept, limit,
                        Math.nextUp(s.vectors.toInternal(radius)), nodes, distances));
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

    private interface SegmentQuery {
        int run(Segment<?> segment, float[] prepared, IntPredicate accept, int[] nodes, float[] distances);
    }

    private List<Neighbour<P>> run(float[] query, int k, Predicate<IndexedVector<P>> filter, SegmentQuery segmentQuery) {
        Segment<P> s = segment;
        float[] prepared = s.vectors.prepare(query);
        Quantization quantization = spec.quantization();
        int wanted = quantization.kind() == Quantization.Kind.NONE ? k : quantization.candidates(k);
        s.lock.readLock().lock();
        try {
            // sized under the lock: a writer adding items in between would otherwise let the walk overrun
            int capacity = Math.min(wanted, Math.max(s.live, 1));
            int[] nodes = new int[capacity];
            float[] distances = new float[capacity];
            IndexedVector<P>[] items = s.items;
            IntPredicate accept = filter == null ? null : slot -> filter.test(items[slot]);
            int n = segmentQuery.run(s, prepared, accept, nodes, distances);
            n = Math.min(n, k);
            List<Neighbour<P>> hits = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                hits.add(new Neighbour<>(s.published(nodes[i]), s.vectors.toPublic(distances[i])));
            }
            return hits;
        } finally {
            s.lock.readLock().unlock();
        }
    }

    @Override
    public IndexStats stats() {
        Segment<P> s = segment;
        IndexStats.Memory memory;
        int slots;
        int deleted;
        int live;
        s.lock.readLock().lock();
        try {
            memory = s.memory();
            slots = s.graph.size();
            deleted = s.deletedCount;
            live = s.live;
        } finally {
            s.lock.readLock().unlock();
        }
        long n = searches.get();
        String quantization = spec.quantization().kind() == Quantization.Kind.NONE ? "none"
                : spec.quantization() + (s.codes == null ? " (untrained: searching floats)" : "");
        return new IndexStats(name, dimensions, live, slots, deleted, slots == 0 ? 0 : deleted / (double) slots,
                memory, quantization, n, n == 0 ? 0 : searchNanos.sum() / 1000.0 / n, Double.NaN, 0, 0,
                compactions.get(), compacting);
    }
}
