package dev.kindred.index.hnsw;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Quantization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One graph and everything that belongs to it, swapped whole by a compaction: the links ({@link HnswGraph}), the
 * float vectors, the quantized codes once trained, tombstones, the items by slot, the key-to-slot map and the
 * free (tombstoned) slots, with the lock that guards them.
 *
 * <p>One writer, many readers. Readers hold the read lock for a whole search. The writer plans a node's links
 * ({@link HnswBuilder#plan}) without any lock, since it is the only thread that changes the segment, and takes
 * the write lock only to publish the vector, the code and the new links.
 *
 * @param <P> the payload type
 */
final class Segment<P> {
    /** Per live item beyond its vector: the item record, key string, map entry and boxed slot. */
    private static final long ITEM_OVERHEAD_BYTES = 32 + 48 + 48 + 16;
    /** A quantized segment trains its quantizer once it holds this many vectors; until then it searches floats. */
    static final int QUANTIZE_FROM = 1024;
    /** At most this many vectors (evenly spaced) train a quantizer. */
    private static final int TRAINING_SAMPLE = 16_384;

    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    final HnswGraph graph;
    final FloatVectors vectors;
    final HnswBuilder builder;
    final Quantization quantization;
    /** Null until trained (and always for an unquantized segment). */
    QuantizedCodes codes;
    boolean[] deleted;
    int deletedCount;
    final Map<String, Integer> slots = new HashMap<>();
    IndexedVector<P>[] items;
    int[] free = new int[16];
    int freeCount;
    volatile int live;

    @SuppressWarnings("unchecked")
    Segment(DistanceMetric metric, int dimensions, int m, int efConstruction, Quantization quantization, long seed,
            int capacity, Path vectorDirectory) {
        capacity = Math.max(capacity, 16);
        this.graph = new HnswGraph(m, capacity);
        this.quantization = quantization;
        this.vectors = quantization.kind() == Quantization.Kind.NONE
                ? new FloatVectors.Heap(metric, dimensions, capacity)
                : new MappedFloatVectors(metric, dimensions, capacity, vectorDirectory);
        this.builder = new HnswBuilder(graph, vectors, efConstruction, seed);
        this.deleted = new boolean[capacity];
        this.items = (IndexedVector<P>[]) new IndexedVector<?>[capacity];
    }

    /** A copy of the vector of {@code slot}. Under the read lock, or by the writer. */
    float[] vectorAt(int slot) {
        return vectors.vector(slot);
    }

    /** The item at {@code slot} as callers see it: with a copy of its vector. Under the read lock, or by the writer. */
    IndexedVector<P> published(int slot) {
        IndexedVector<P> item = items[slot];
        return new IndexedVector<>(item.key(), item.version(), vectors.vector(slot), item.payload());
    }

    /** The item as stored beside the vectors: without its vector (filters see it so). */
    static <P> IndexedVector<P> stored(String key, long version, P payload) {
        return new IndexedVector<>(key, version, null, payload);
    }

    // ------------------------------------------------------------------------------------------ writer

    /** Applies a versioned upsert (see {@code VectorIndex#upsert}). */
    boolean upsert(String key, long version, float[] vector, P payload) {
        Integer existing = slots.get(key);
        if (existing != null) {
            int slot = existing;
            IndexedVector<P> current = items[slot];
            if (current.version() > version) {
                return false;
            }
            if (Arrays.equals(vectorAt(slot), vector)) {
                swap(slot, stored(key, version, payload));
            } else {
                replace(slot, vector, stored(key, version, payload), false);
            }
            return true;
        }
        IndexedVector<P> item = stored(key, version, payload);
        if (freeCount > 0) {
            replace(free[--freeCount], vector, item, true);
        } else {
            add(vector, item);
        }
        return true;
    }

    /** Applies a versioned delete (see {@code VectorIndex#delete}). */
    boolean delete(String key, long version) {
        Integer existing = slots.get(key);
        if (existing == null || items[existing].version() > version) {
            return false;
        }
        delete(existing);
        return true;
    }

    /** Links a new node for {@code vector} and puts {@code item} there. */
    void add(float[] vector, IndexedVector<P> item) {
        int slot = graph.size();
        if (slot == graph.capacity()) {
            lock.writeLock().lock();
            try {
                grow(graph.capacity() + (graph.capacity() >> 1) + 16);
            } finally {
                lock.writeLock().unlock();
            }
        }
        int level = builder.randomLevel();
        Map<Long, int[]> plan = builder.plan(slot, vector, level, deleted, null);
        lock.writeLock().lock();
        try {
            storeVector(slot, vector);
            graph.addNode(level);
            HnswBuilder.apply(graph, plan);
            place(slot, item);
        } finally {
            lock.writeLock().unlock();
        }
        maybeTrain();
    }

    /**
     * Gives {@code slot} a new vector in place (an update, or the reuse of a tombstoned slot), re-links it and
     * puts {@code item} there; {@code newKey} when the slot changes hands.
     */
    void replace(int slot, float[] vector, IndexedVector<P> item, boolean newKey) {
        int level = graph.level(slot);
        int[][] old = new int[level + 1][];
        for (int l = 0; l <= level; l++) {
            old[l] = graph.copyLinks(slot, l);
        }
        Map<Long, int[]> plan = builder.plan(slot, vector, level, deleted, old);
        lock.writeLock().lock();
        try {
            storeVector(slot, vector);
            HnswBuilder.apply(graph, plan);
            if (deleted[slot]) {
                deleted[slot] = false;
                deletedCount--;
            }
            if (newKey) {
                place(slot, item);
            } else {
                items[slot] = item;
            }
        } finally {
            lock.writeLock().unlock();
        }
        maybeTrain();
    }

    /** Swaps the item at {@code slot} without touching its vector or links (same vector, new version or payload). */
    void swap(int slot, IndexedVector<P> item) {
        lock.writeLock().lock();
        try {
            items[slot] = item;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Tombstones the item at {@code slot}; the slot is reused by a later insert. */
    void delete(int slot) {
        lock.writeLock().lock();
        try {
            slots.remove(items[slot].key());
            items[slot] = null;
            deleted[slot] = true;
            deletedCount++;
            live--;
        } finally {
            lock.writeLock().unlock();
        }
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = slot;
    }

    private void storeVector(int slot, float[] vector) {
        vectors.set(slot, vector);
        if (codes != null) {
            codes.set(slot, vectors.prepare(vector));
        }
    }

    /** Puts a new key at a slot. Under the write lock (or before the segment is shared). */
    void place(int slot, IndexedVector<P> item) {
        items[slot] = item;
        slots.put(item.key(), slot);
        live++;
    }

    private void grow(int capacity) {
        graph.grow(capacity);
        vectors.grow(capacity);
        if (codes != null) {
            codes.grow(capacity);
        }
        deleted = Arrays.copyOf(deleted, capacity);
        items = Arrays.copyOf(items, capacity);
    }

    /** Makes room for {@code capacity} slots (before the segment is shared, when it is read back). */
    void ensureCapacity(int capacity) {
        if (capacity > graph.capacity()) {
            grow(capacity);
        }
    }

    /**
     * Trains the quantizer once a quantized segment holds enough vectors, and encodes every slot (tombstoned ones
     * too: they still route searches). The codes are built without the lock and published under it.
     */
    void maybeTrain() {
        if (codes != null || quantization.kind() == Quantization.Kind.NONE || live < QUANTIZE_FROM) {
            return;
        }
        List<float[]> sample = trainingSample(liveSlots());
        useCodes(QuantizedCodes.train(quantization.kind(), vectors.metric, sample.toArray(float[][]::new),
                graph.capacity()));
    }

    /** Trains the quantizer up front on prepared vectors (a segment about to be filled by a rebuild). */
    void trainOn(List<float[]> preparedSample) {
        if (quantization.kind() != Quantization.Kind.NONE && preparedSample.size() >= QUANTIZE_FROM) {
            codes = QuantizedCodes.train(quantization.kind(), vectors.metric, preparedSample.toArray(float[][]::new),
                    graph.capacity());
        }
    }

    /** Evenly spaced prepared vectors of {@code slots} (read from this segment), enough to train a quantizer. */
    List<float[]> trainingSample(List<Slotted<P>> slots) {
        int stride = Math.max(1, slots.size() / TRAINING_SAMPLE);
        List<float[]> sample = new ArrayList<>();
        for (int i = 0; i < slots.size(); i += stride) {
            sample.add(vectors.prepare(vectors.vector(slots.get(i).slot())));
        }
        return sample;
    }

    /** Encodes every slot with {@code trained} and publishes it. */
    void useCodes(QuantizedCodes trained) {
        trained.grow(graph.capacity());
        for (int slot = 0; slot < graph.size(); slot++) {
            trained.set(slot, vectors.prepare(vectors.vector(slot)));
        }
        lock.writeLock().lock();
        try {
            codes = trained;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The live items' keys, versions and payloads with their slots, in slot order. Under the read lock or by the writer. */
    List<Slotted<P>> liveSlots() {
        List<Slotted<P>> out = new ArrayList<>(live);
        for (int slot = 0; slot < graph.size(); slot++) {
            if (items[slot] != null) {
                out.add(new Slotted<>(slot, items[slot]));
            }
        }
        return out;
    }

    /** An item and where it is. */
    record Slotted<P>(int slot, IndexedVector<P> item) {
    }

    /** Approximate bytes by part. Under the read lock. */
    IndexStats.Memory memory() {
        int size = graph.size();
        long keyBytes = 16 + 8L * items.length;
        for (IndexedVector<P> item : items) {
            if (item != null) {
                keyBytes += ITEM_OVERHEAD_BYTES + 2L * item.key().length();
            }
        }
        long graphBytes = graph.bytes() + 16 + deleted.length + 16 + 4L * free.length;
        return new IndexStats.Memory(vectors.heapBytes(size), codes == null ? 0 : codes.bytes(size), graphBytes,
                keyBytes, vectors.mappedBytes(size));
    }

    void close() {
        vectors.close();
    }
}
