package dev.kindred.index;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/**
 * Kindred's HNSW graph (Malkov and Yashunin, 2016) over numbered slots, in primitive arrays.
 *
 * <p>Why not hnswlib-core: its costs are structural. Distances come back as boxed {@code Float}s, every node
 * read takes a monitor, each search clears a visited set sized to the capacity, and an upsert of a changed
 * vector is a soft delete plus a full insert into a new slot that is never reclaimed. Here:
 * <ul>
 *   <li>vectors are {@code float[]} per slot and distances are {@link VectorMath} kernels (Vector API when
 *       enabled); Euclidean is compared squared, cosine uses a cached inverse norm per slot;</li>
 *   <li>level-0 links are one flat {@code int[]} (count, then ids), upper levels an {@code int[]} per node;</li>
 *   <li>candidate and result queues are heaps of {@code long}s (distance bits and node in one value), the
 *       visited set is an epoch-stamped {@code int[]} per thread that is never cleared, and a node's unvisited
 *       neighbours have their distances computed in one tight loop, so that their cache misses overlap;</li>
 *   <li>a changed vector is updated in place: its slot is re-linked from a fresh search, and each former
 *       neighbour that pointed to it gets the best of the old neighbourhood instead ("neighbour repair");</li>
 *   <li>a delete only sets a tombstone: the node still routes searches but is never returned, and new links
 *       go to it only when nothing live is near; its slot is reused by the next insert (as an in-place
 *       update), and the index compacts when tombstones pile up.</li>
 * </ul>
 *
 * <p>Concurrency: one writer, many readers. Readers hold the read lock for a whole search. The writer does
 * its expensive part (the search for neighbours and the selection heuristics) without any lock, since it is
 * the only thread that changes the graph, and then takes the write lock only to publish the new links, which
 * takes microseconds. Methods that say "caller holds the read lock" rely on that.
 */
final class HnswGraph {
    private static final int MAX_LEVEL = 15;
    private static final int EUCLIDEAN = 0;
    private static final int COSINE = 1;
    private static final int INNER_PRODUCT = 2;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    final DistanceMetric metric;
    final int dimensions;
    final int m;
    final int m0;
    final int efConstruction;
    private final int kind;
    private final double levelMultiplier;
    private final SplittableRandom random;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    // Written under the write lock; read under the read lock or by the writer.
    private float[][] vectors;
    private float[] invNorms;
    private byte[] levels;
    private int[] links0;
    private int[][] upper;
    private boolean[] deleted;
    private int size;
    private int deletedCount;
    private int entry = -1;
    private int maxLevel = -1;

    // Writer only: a vector that is being linked but not yet published, so distances to it can be computed.
    private int pendingSlot = -1;
    private float[] pendingVector;
    private float pendingInvNorm;

    HnswGraph(DistanceMetric metric, int dimensions, int m, int efConstruction, long seed, int initialCapacity) {
        this.metric = metric;
        this.dimensions = dimensions;
        this.m = m;
        this.m0 = 2 * m;
        this.efConstruction = efConstruction;
        this.kind = switch (metric) {
            case EUCLIDEAN -> EUCLIDEAN;
            case COSINE -> COSINE;
            case INNER_PRODUCT -> INNER_PRODUCT;
        };
        this.levelMultiplier = 1 / Math.log(Math.max(m, 2));
        this.random = new SplittableRandom(seed);
        int capacity = Math.max(initialCapacity, 16);
        vectors = new float[capacity][];
        invNorms = kind == COSINE ? new float[capacity] : null;
        levels = new byte[capacity];
        links0 = new int[capacity * (m0 + 1)];
        upper = new int[capacity][];
        deleted = new boolean[capacity];
    }

    Lock readLock() {
        return lock.readLock();
    }

    Lock writeLock() {
        return lock.writeLock();
    }

    /** Slots in use, live or tombstoned. */
    int slots() {
        return size;
    }

    int capacity() {
        return levels.length;
    }

    int deletedCount() {
        return deletedCount;
    }

    boolean isDeleted(int slot) {
        return deleted[slot];
    }

    float[] vector(int slot) {
        return vectors[slot];
    }

    // ------------------------------------------------------------------------------------------ distances

    /** The query as {@link #distanceTo} expects it: unit length for cosine, unchanged otherwise. */
    float[] prepareQuery(float[] query) {
        if (kind != COSINE) {
            return query;
        }
        float norm = VectorMath.norm(query);
        if (norm == 0 || norm == 1) {
            return query;
        }
        float[] unit = new float[query.length];
        float inv = 1 / norm;
        for (int i = 0; i < unit.length; i++) {
            unit[i] = query[i] * inv;
        }
        return unit;
    }

    /** Internal distance (squared for Euclidean) from a prepared query to a published node. */
    float distanceTo(float[] query, int node) {
        float[] v = vectors[node];
        if (kind == EUCLIDEAN) {
            return VectorMath.squaredDistance(query, v);
        }
        float dot = VectorMath.dot(query, v);
        return kind == COSINE ? 1 - dot * invNorms[node] : 1 - dot;
    }

    /** The metric's distance for an internal one. */
    float toPublic(float internal) {
        return kind == EUCLIDEAN ? (float) Math.sqrt(Math.max(0, internal)) : internal;
    }

    /** The internal distance for a metric's one (for range bounds). */
    float toInternal(float distance) {
        return kind == EUCLIDEAN ? (distance < 0 ? -1 : distance * distance) : distance;
    }

    private float invNormOf(float[] v) {
        if (kind != COSINE) {
            return 1;
        }
        float norm = VectorMath.norm(v);
        return norm == 0 ? 0 : 1 / norm;
    }

    private float[] vec(int node) {
        return node == pendingSlot ? pendingVector : vectors[node];
    }

    private float inv(int node) {
        return node == pendingSlot ? pendingInvNorm : invNorms[node];
    }

    /** Writer only: distance between two nodes, either of which may be the pending one. */
    private float distanceBetween(int a, int b) {
        float[] va = vec(a);
        float[] vb = vec(b);
        if (kind == EUCLIDEAN) {
            return VectorMath.squaredDistance(va, vb);
        }
        float dot = VectorMath.dot(va, vb);
        return kind == COSINE ? 1 - dot * inv(a) * inv(b) : 1 - dot;
    }

    // ------------------------------------------------------------------------------------------ search

    /**
     * Approximate k nearest accepted, live nodes. Caller holds the read lock. Writes up to {@code k} nodes and
     * internal distances, nearest first, and returns how many.
     */
    int searchNearest(float[] query, int k, int ef, IntPredicate accept, int[] outNodes, float[] outDistances) {
        if (entry < 0) {
            return 0;
        }
        Scratch s = SCRATCH.get();
        int ep = entry;
        float epDistance = distanceTo(query, ep);
        for (int level = maxLevel; level > 0; level--) {
            long best = greedy(query, ep, epDistance, level);
            ep = NodeQueue.node(best);
            epDistance = NodeQueue.distance(best);
        }
        searchLayer(query, ep, epDistance, 0, Math.max(ef, k), accept, -1, true, s);
        NodeQueue results = s.results;
        while (results.size() > k) {
            results.pop();
        }
        int n = results.size();
        for (int i = n - 1; i >= 0; i--) {
            long code = results.pop();
            outNodes[i] = NodeQueue.node(code);
            outDistances[i] = NodeQueue.distance(code);
        }
        return n;
    }

    /** Greedy walk at an upper level: the nearest node reachable by always moving closer. */
    private long greedy(float[] query, int ep, float epDistance, int level) {
        int off = (level - 1) * (m + 1);
        boolean moved = true;
        while (moved) {
            moved = false;
            int[] list = upper[ep];
            int count = list[off];
            for (int j = off + 1, end = off + 1 + count; j < end; j++) {
                int n = list[j];
                float d = distanceTo(query, n);
                if (d < epDistance) {
                    ep = n;
                    epDistance = d;
                    moved = true;
                }
            }
        }
        return NodeQueue.encode(ep, epDistance);
    }

    /**
     * Beam search of one level from one entry node. Leaves up to {@code ef} accepted nodes (never
     * {@code exclude}; only live ones when {@code liveOnly}) in {@code s.results}. Tombstoned and rejected nodes
     * still route the search.
     */
    private void searchLayer(float[] query, int ep, float epDistance, int level, int ef, IntPredicate accept,
            int exclude, boolean liveOnly, Scratch s) {
        NodeQueue candidates = s.candidates;
        NodeQueue results = s.results;
        candidates.clear();
        results.clear();
        int epoch = s.nextEpoch(capacity());
        int[] visited = s.visited;
        visited[ep] = epoch;
        candidates.push(ep, epDistance);
        if ((!liveOnly || !deleted[ep]) && ep != exclude && (accept == null || accept.test(ep))) {
            results.push(ep, epDistance);
        }
        float worst = results.size() >= ef ? results.topDistance() : Float.POSITIVE_INFINITY;
        int[] lists = links0;
        int stride = m0 + 1;
        int upperOffset = (level - 1) * (m + 1);
        while (!candidates.isEmpty()) {
            long top = candidates.pop();
            if (NodeQueue.distance(top) > worst) {
                break;
            }
            int c = NodeQueue.node(top);
            int[] list;
            int off;
            if (level == 0) {
                list = lists;
                off = c * stride;
            } else {
                list = upper[c];
                off = upperOffset;
            }
            // Collect the unvisited neighbours first and compute their distances in a tight loop: the vector
            // loads are then independent of each other and of the queue updates, so their cache misses overlap.
            int[] batch = s.batch;
            float[] batchDistances = s.batchDistances;
            int count = 0;
            for (int j = off + 1, end = off + 1 + list[off]; j < end; j++) {
                int n = list[j];
                if (visited[n] != epoch) {
                    visited[n] = epoch;
                    batch[count++] = n;
                }
            }
            for (int i = 0; i < count; i++) {
                batchDistances[i] = distanceTo(query, batch[i]);
            }
            for (int i = 0; i < count; i++) {
                int n = batch[i];
                float d = batchDistances[i];
                if (d < worst) {
                    candidates.push(n, d);
                    if ((!liveOnly || !deleted[n]) && n != exclude && (accept == null || accept.test(n))) {
                        results.push(n, d);
                        if (results.size() > ef) {
                            results.pop();
                        }
                        if (results.size() >= ef) {
                            worst = results.topDistance();
                        }
                    }
                }
            }
        }
    }

    /**
     * Exact scan of every live accepted node: the {@code k} nearest within {@code maxInternalDistance},
     * nearest first. Caller holds the read lock.
     */
    int scan(float[] query, int k, float maxInternalDistance, IntPredicate accept, int[] outNodes,
            float[] outDistances) {
        NodeQueue best = new NodeQueue(Math.min(k, 1024) + 1, true);
        for (int slot = 0; slot < size; slot++) {
            if (deleted[slot] || (accept != null && !accept.test(slot))) {
                continue;
            }
            float d = distanceTo(query, slot);
            if (d > maxInternalDistance) {
                continue;
            }
            if (best.size() < k) {
                best.push(slot, d);
            } else if (d < best.topDistance()) {
                best.pop();
                best.push(slot, d);
            }
        }
        int n = best.size();
        for (int i = n - 1; i >= 0; i--) {
            long code = best.pop();
            outNodes[i] = NodeQueue.node(code);
            outDistances[i] = NodeQueue.distance(code);
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------ writes

    /**
     * Writer: links a new node for {@code vector} (which the graph keeps, not copies) and returns its slot.
     * {@code onPublish} runs under the write lock as the node becomes reachable.
     */
    int add(float[] vector, IntConsumer onPublish) {
        int slot = size;
        if (slot == capacity()) {
            lock.writeLock().lock();
            try {
                grow(capacity() + (capacity() >> 1) + 16);
            } finally {
                lock.writeLock().unlock();
            }
        }
        int level = randomLevel();
        float inv = invNormOf(vector);
        Map<Long, int[]> plan = entry < 0 ? Map.of() : plan(slot, vector, inv, level, null);
        lock.writeLock().lock();
        try {
            vectors[slot] = vector;
            if (invNorms != null) {
                invNorms[slot] = inv;
            }
            levels[slot] = (byte) level;
            upper[slot] = level == 0 ? null : new int[level * (m + 1)];
            apply(plan);
            if (level > maxLevel) {
                entry = slot;
                maxLevel = level;
            }
            size++;
            onPublish.accept(slot);
        } finally {
            lock.writeLock().unlock();
        }
        return slot;
    }

    /**
     * Writer: gives {@code slot} a new vector in place (an update, or the reuse of a tombstoned slot) and
     * re-links it. Clears the tombstone. {@code onPublish} runs under the write lock.
     */
    void replace(int slot, float[] vector, IntConsumer onPublish) {
        int level = levels[slot];
        float inv = invNormOf(vector);
        int[][] old = new int[level + 1][];
        for (int l = 0; l <= level; l++) {
            old[l] = listCopy(slot, l);
        }
        Map<Long, int[]> plan = plan(slot, vector, inv, level, old);
        lock.writeLock().lock();
        try {
            vectors[slot] = vector;
            if (invNorms != null) {
                invNorms[slot] = inv;
            }
            apply(plan);
            if (deleted[slot]) {
                deleted[slot] = false;
                deletedCount--;
            }
            onPublish.accept(slot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Writer: tombstones {@code slot}. {@code onPublish} runs under the write lock. */
    void markDeleted(int slot, IntConsumer onPublish) {
        lock.writeLock().lock();
        try {
            if (!deleted[slot]) {
                deleted[slot] = true;
                deletedCount++;
            }
            onPublish.accept(slot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Writer: runs {@code action} under the write lock (for state kept beside the graph). */
    void publish(Runnable action) {
        lock.writeLock().lock();
        try {
            action.run();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private int randomLevel() {
        double u = 1 - random.nextDouble();
        return (int) Math.min(MAX_LEVEL, Math.floor(-Math.log(u) * levelMultiplier));
    }

    private static long key(int node, int level) {
        return ((long) level << 32) | (node & 0xffffffffL);
    }

    /**
     * Computes, without any lock, every list that linking {@code slot} at {@code vector} changes: its own
     * lists, back links from its new neighbours (shrunk by the heuristic when full) and, for an update, the
     * repair of former neighbours. Nothing is published here.
     */
    private Map<Long, int[]> plan(int slot, float[] vector, float inv, int level, int[][] oldLists) {
        pendingSlot = slot;
        pendingVector = vector;
        pendingInvNorm = inv;
        try {
            Map<Long, int[]> plan = new HashMap<>();
            float[] query = prepareQuery(vector);
            Scratch s = SCRATCH.get();
            int ep = entry;
            float epDistance = distanceTo(query, ep);
            for (int l = maxLevel; l > level; l--) {
                long best = greedy(query, ep, epDistance, l);
                ep = NodeQueue.node(best);
                epDistance = NodeQueue.distance(best);
            }
            long[] sorted = new long[efConstruction];
            for (int l = Math.min(level, maxLevel); l >= 0; l--) {
                // Tombstoned nodes are found too, so that a node whose surroundings are all deleted still gets
                // linked (they route searches); they are only linked to when nothing live was found.
                searchLayer(query, ep, epDistance, l, efConstruction, null, slot, false, s);
                int found = s.results.size();
                for (int i = found - 1; i >= 0; i--) {
                    sorted[i] = s.results.pop();
                }
                int n = 0;
                for (int i = 0; i < found; i++) {
                    if (!deleted[NodeQueue.node(sorted[i])]) {
                        sorted[n++] = sorted[i];
                    }
                }
                if (n == 0) {
                    n = found; // nothing live: the array is untouched, link to the tombstones
                }
                int maxConnections = l == 0 ? m0 : m;
                int[] own = new int[maxConnections + 1];
                selectDiverse(sorted, n, maxConnections, own);
                plan.put(key(slot, l), own);
                for (int i = 1; i <= own[0]; i++) {
                    linkBack(own[i], l, slot, plan);
                }
                if (n > 0) {
                    ep = NodeQueue.node(sorted[0]);
                    epDistance = NodeQueue.distance(sorted[0]);
                }
            }
            if (oldLists != null) {
                for (int l = 0; l <= level; l++) {
                    repair(slot, l, oldLists[l], plan);
                }
            }
            return plan;
        } finally {
            pendingSlot = -1;
            pendingVector = null;
        }
    }

    /**
     * The HNSW neighbour heuristic: walk candidates nearest first and keep one only if it is closer to the base
     * than to every neighbour kept so far, which spreads links in all directions.
     */
    private void selectDiverse(long[] sorted, int n, int max, int[] out) {
        int count = 0;
        for (int i = 0; i < n && count < max; i++) {
            int c = NodeQueue.node(sorted[i]);
            float d = NodeQueue.distance(sorted[i]);
            boolean diverse = true;
            for (int j = 1; j <= count; j++) {
                if (distanceBetween(c, out[j]) < d) {
                    diverse = false;
                    break;
                }
            }
            if (diverse) {
                out[++count] = c;
            }
        }
        out[0] = count;
    }

    /** Adds {@code slot} to the list of {@code node} at {@code level}, shrinking it with the heuristic if full. */
    private void linkBack(int node, int level, int slot, Map<Long, int[]> plan) {
        long key = key(node, level);
        int[] list = plan.get(key);
        if (list == null) {
            list = listCopy(node, level);
        }
        int count = list[0];
        for (int i = 1; i <= count; i++) {
            if (list[i] == slot) {
                return;
            }
        }
        int max = level == 0 ? m0 : m;
        if (count < max) {
            list[count + 1] = slot;
            list[0] = count + 1;
            plan.put(key, list);
            return;
        }
        long[] candidates = new long[count + 1];
        int n = 0;
        for (int i = 1; i <= count; i++) {
            int c = list[i];
            if (!deleted[c]) {
                candidates[n++] = NodeQueue.encode(c, distanceBetween(node, c));
            }
        }
        candidates[n++] = NodeQueue.encode(slot, distanceBetween(node, slot));
        Arrays.sort(candidates, 0, n);
        int[] shrunk = new int[max + 1];
        selectDiverse(candidates, n, max, shrunk);
        plan.put(key, shrunk);
    }

    /**
     * After {@code slot} moved: each former neighbour that still links to it and is not a neighbour any more
     * gets, in place of that link, the nearest member of the old neighbourhood it does not link to yet.
     */
    private void repair(int slot, int level, int[] oldList, Map<Long, int[]> plan) {
        int[] own = plan.get(key(slot, level));
        for (int i = 1; i <= oldList[0]; i++) {
            int o = oldList[i];
            if (o == slot || deleted[o] || contains(own, o)) {
                continue;
            }
            long key = key(o, level);
            int[] list = plan.get(key);
            if (list == null) {
                list = listCopy(o, level);
            }
            int at = indexOf(list, slot);
            if (at < 0) {
                continue;
            }
            int best = -1;
            float bestDistance = Float.POSITIVE_INFINITY;
            for (int j = 1; j <= oldList[0]; j++) {
                int x = oldList[j];
                if (x == o || x == slot || deleted[x] || contains(list, x)) {
                    continue;
                }
                float d = distanceBetween(o, x);
                if (d < bestDistance) {
                    best = x;
                    bestDistance = d;
                }
            }
            if (best >= 0) {
                list[at] = best;
            } else {
                list[at] = list[list[0]];
                list[0]--;
            }
            plan.put(key, list);
        }
    }

    private static boolean contains(int[] list, int node) {
        return list != null && indexOf(list, node) > 0;
    }

    private static int indexOf(int[] list, int node) {
        for (int i = 1; i <= list[0]; i++) {
            if (list[i] == node) {
                return i;
            }
        }
        return -1;
    }

    /** A copy of a node's list at a level: count, then ids, sized for the level's maximum. */
    private int[] listCopy(int node, int level) {
        int max = level == 0 ? m0 : m;
        int[] copy = new int[max + 1];
        if (level == 0) {
            System.arraycopy(links0, node * (m0 + 1), copy, 0, links0[node * (m0 + 1)] + 1);
        } else {
            int off = (level - 1) * (m + 1);
            System.arraycopy(upper[node], off, copy, 0, upper[node][off] + 1);
        }
        return copy;
    }

    /** Publishes planned lists. Caller holds the write lock. */
    private void apply(Map<Long, int[]> plan) {
        for (Map.Entry<Long, int[]> e : plan.entrySet()) {
            long key = e.getKey();
            int node = (int) key;
            int level = (int) (key >>> 32);
            int[] list = e.getValue();
            if (level == 0) {
                System.arraycopy(list, 0, links0, node * (m0 + 1), list[0] + 1);
            } else {
                System.arraycopy(list, 0, upper[node], (level - 1) * (m + 1), list[0] + 1);
            }
        }
    }

    private void grow(int capacity) {
        vectors = Arrays.copyOf(vectors, capacity);
        if (invNorms != null) {
            invNorms = Arrays.copyOf(invNorms, capacity);
        }
        levels = Arrays.copyOf(levels, capacity);
        links0 = Arrays.copyOf(links0, capacity * (m0 + 1));
        upper = Arrays.copyOf(upper, capacity);
        deleted = Arrays.copyOf(deleted, capacity);
    }

    // ------------------------------------------------------------------------------------------ accounting

    /** Approximate heap bytes held by the graph and its vectors (not payloads). */
    long estimatedBytes() {
        long bytes = 16L * 6;
        int capacity = capacity();
        bytes += 16 + 8L * capacity;                       // vectors array of references
        bytes += (long) size * (16 + 4L * dimensions);     // the vectors
        bytes += invNorms == null ? 0 : 16 + 4L * capacity;
        bytes += 16 + (long) capacity;                     // levels
        bytes += 16 + (long) capacity;                     // tombstones
        bytes += 16 + 4L * links0.length;
        bytes += 16 + 8L * capacity;                       // upper references
        for (int slot = 0; slot < size; slot++) {
            if (upper[slot] != null) {
                bytes += 16 + 4L * upper[slot].length;
            }
        }
        return bytes;
    }

    // ------------------------------------------------------------------------------------------ snapshots

    /** Writes the graph (not the items beside it). Writer, or with the read lock held. */
    void writeTo(SnapshotOutput out) throws IOException {
        out.writeInt(size);
        out.writeInt(entry);
        out.writeInt(maxLevel);
        for (int slot = 0; slot < size; slot++) {
            int level = levels[slot];
            out.writeByte(level);
            out.writeByte(deleted[slot] ? 1 : 0);
            out.writeFloats(vectors[slot]);
            int off = slot * (m0 + 1);
            out.writeInts(links0, off, links0[off] + 1);
            for (int l = 1; l <= level; l++) {
                int uoff = (l - 1) * (m + 1);
                out.writeInts(upper[slot], uoff, upper[slot][uoff] + 1);
            }
        }
    }

    /** Reads a graph written by {@link #writeTo}; any inconsistency is an {@link IOException}. */
    static HnswGraph readFrom(SnapshotInput in, DistanceMetric metric, int dimensions, int m, int efConstruction,
            long seed) throws IOException {
        int size = in.readLength(Integer.MAX_VALUE - 16);
        int entry = in.readInt();
        int maxLevel = in.readInt();
        if (size < 0 || entry < -1 || entry >= size || maxLevel < -1 || maxLevel > MAX_LEVEL
                || (size > 0) != (entry >= 0) || (long) size * (6 + 4L * dimensions) > in.remaining()) {
            throw new IOException("corrupt graph header");
        }
        HnswGraph g = new HnswGraph(metric, dimensions, m, efConstruction, seed, size + 16);
        int deletedCount = 0;
        for (int slot = 0; slot < size; slot++) {
            int level = in.readByte();
            int flag = in.readByte();
            if (level > maxLevel || flag > 1) {
                throw new IOException("corrupt node " + slot);
            }
            float[] v = new float[dimensions];
            in.readFloats(v);
            g.vectors[slot] = v;
            if (g.invNorms != null) {
                g.invNorms[slot] = g.invNormOf(v);
            }
            g.levels[slot] = (byte) level;
            g.deleted[slot] = flag == 1;
            deletedCount += flag;
            int off = slot * (g.m0 + 1);
            int count = in.readLength(g.m0);
            g.links0[off] = count;
            in.readInts(g.links0, off + 1, count);
            checkIds(g.links0, off + 1, count, size);
            if (level > 0) {
                int[] list = new int[level * (m + 1)];
                for (int l = 1; l <= level; l++) {
                    int uoff = (l - 1) * (m + 1);
                    int c = in.readLength(m);
                    list[uoff] = c;
                    in.readInts(list, uoff + 1, c);
                    checkIds(list, uoff + 1, c, size);
                }
                g.upper[slot] = list;
            }
        }
        if (entry >= 0 && g.levels[entry] != maxLevel) {
            throw new IOException("corrupt entry point");
        }
        for (int slot = 0; slot < size; slot++) {
            for (int l = 1; l <= g.levels[slot]; l++) {
                int uoff = (l - 1) * (m + 1);
                for (int j = uoff + 1; j <= uoff + g.upper[slot][uoff]; j++) {
                    if (g.levels[g.upper[slot][j]] < l) {
                        throw new IOException("corrupt link at level " + l);
                    }
                }
            }
        }
        g.size = size;
        g.entry = entry;
        g.maxLevel = maxLevel;
        g.deletedCount = deletedCount;
        return g;
    }

    private static void checkIds(int[] ids, int from, int count, int size) throws IOException {
        for (int i = from; i < from + count; i++) {
            if (ids[i] < 0 || ids[i] >= size) {
                throw new IOException("corrupt link " + ids[i]);
            }
        }
    }

    /** Per-thread search state, reused across searches and graphs. */
    private static final class Scratch {
        int[] visited = new int[0];
        int epoch;
        final NodeQueue candidates = new NodeQueue(256, false);
        final NodeQueue results = new NodeQueue(256, true);
        /** One node's unvisited neighbours and their distances (at most 2m of them; 513 covers m <= 256). */
        final int[] batch = new int[513];
        final float[] batchDistances = new float[513];

        int nextEpoch(int capacity) {
            if (visited.length < capacity) {
                visited = new int[Math.max(capacity, visited.length * 2)];
                epoch = 0;
            }
            epoch++;
            if (epoch == Integer.MAX_VALUE) {
                Arrays.fill(visited, 0);
                epoch = 1;
            }
            return epoch;
        }
    }
}
