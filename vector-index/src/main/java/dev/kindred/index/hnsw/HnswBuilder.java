package dev.kindred.index.hnsw;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Links nodes into an {@link HnswGraph} with exact (float) distances: a search for the node's neighbours at each
 * of its levels, the HNSW neighbour-selection heuristic, back links (shrunk by the heuristic when a list is full)
 * and, when a node moved, the repair of its former neighbours' lists.
 *
 * <p>Planning and publishing are apart: {@link #plan} computes every list that linking a node changes without
 * touching the graph, so the index's single writer does it without any lock, and {@link #apply} then publishes
 * the lists under the write lock, which takes microseconds. The node being linked is "pending": its vector is not
 * stored yet, so distances to it are taken from its own query scorer.
 */
final class HnswBuilder {
    private final HnswGraph graph;
    private final FloatVectors vectors;
    private final int efConstruction;
    private final double levelMultiplier;
    private final SplittableRandom random;

    private int pendingSlot = -1;
    private VectorScorer pendingScorer;
    /** The one stored vector the heuristics hold at a time (they never hold two). */
    private final float[] scratch;

    HnswBuilder(HnswGraph graph, FloatVectors vectors, int efConstruction, long seed) {
        this.graph = graph;
        this.vectors = vectors;
        this.efConstruction = efConstruction;
        this.levelMultiplier = 1 / Math.log(Math.max(graph.m, 2));
        this.random = new SplittableRandom(seed);
        this.scratch = new float[vectors.dimensions];
    }

    /** A level drawn from the exponentially decaying distribution HNSW uses. */
    int randomLevel() {
        double u = 1 - random.nextDouble();
        return (int) Math.min(HnswGraph.MAX_LEVEL, Math.floor(-Math.log(u) * levelMultiplier));
    }

    private static long key(int node, int level) {
        return ((long) level << 32) | (node & 0xffffffffL);
    }

    /**
     * Every list that linking {@code slot} at {@code vector} (not stored yet) up to {@code level} changes: its own
     * lists, back links from its new neighbours and, for a node that moved ({@code oldLists} given, its lists
     * before), the repair of its former neighbours. Keys are node and level ({@link #apply} reads them).
     */
    Map<Long, int[]> plan(int slot, float[] vector, int level, boolean[] deleted, int[][] oldLists) {
        Map<Long, int[]> plan = new HashMap<>();
        if (graph.entry() < 0) {
            return plan;
        }
        pendingSlot = slot;
        pendingScorer = vectors.scorer(vectors.prepare(vector));
        try {
            long ep = HnswSearcher.descend(graph, pendingScorer, graph.entry(), level);
            int epNode = NodeQueue.node(ep);
            float epDistance = NodeQueue.distance(ep);
            long[] sorted = new long[efConstruction];
            for (int l = Math.min(level, graph.maxLevel()); l >= 0; l--) {
                // Tombstoned nodes are found too, so that a node whose surroundings are all deleted still gets
                // linked (they route searches); they are only linked to when nothing live was found.
                NodeQueue results = HnswSearcher.searchLayer(graph, pendingScorer, epNode, epDistance, l,
                        efConstruction, null, null, slot);
                int found = results.size();
                for (int i = found - 1; i >= 0; i--) {
                    sorted[i] = results.pop();
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
                int[] own = new int[graph.maxConnections(l) + 1];
                selectDiverse(sorted, n, graph.maxConnections(l), own);
                plan.put(key(slot, l), own);
                for (int i = 1; i <= own[0]; i++) {
                    linkBack(own[i], l, slot, deleted, plan);
                }
                if (n > 0) {
                    epNode = NodeQueue.node(sorted[0]);
                    epDistance = NodeQueue.distance(sorted[0]);
                }
            }
            if (oldLists != null) {
                for (int l = 0; l <= level; l++) {
                    repair(slot, l, oldLists[l], deleted, plan);
                }
            }
            return plan;
        } finally {
            pendingSlot = -1;
            pendingScorer = null;
        }
    }

    /** Publishes planned lists. Caller holds the write lock. */
    static void apply(HnswGraph graph, Map<Long, int[]> plan) {
        for (Map.Entry<Long, int[]> e : plan.entrySet()) {
            long key = e.getKey();
            graph.setLinks((int) key, (int) (key >>> 32), e.getValue());
        }
    }

    /** The stored vector of {@code node} in the scratch array (null for the pending node). */
    private float[] vectorOf(int node) {
        if (node == pendingSlot) {
            return null;
        }
        vectors.copyInto(node, scratch);
        return scratch;
    }

    /** Distance between two nodes, either of which may be the pending one ({@code va}: a's vector, or null). */
    private float distance(float[] va, int a, int b) {
        if (a == pendingSlot) {
            return pendingScorer.distance(b);
        }
        if (b == pendingSlot) {
            return pendingScorer.distance(a);
        }
        return vectors.distanceBetween(va, a, b);
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
            float[] vc = count == 0 ? null : vectorOf(c);
            boolean diverse = true;
            for (int j = 1; j <= count; j++) {
                if (distance(vc, c, out[j]) < d) {
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
    private void linkBack(int node, int level, int slot, boolean[] deleted, Map<Long, int[]> plan) {
        long key = key(node, level);
        int[] list = plan.get(key);
        if (list == null) {
            list = graph.copyLinks(node, level);
        }
        int count = list[0];
        for (int i = 1; i <= count; i++) {
            if (list[i] == slot) {
                return;
            }
        }
        int max = graph.maxConnections(level);
        if (count < max) {
            list[count + 1] = slot;
            list[0] = count + 1;
            plan.put(key, list);
            return;
        }
        float[] vn = vectorOf(node);
        long[] candidates = new long[count + 1];
        int n = 0;
        for (int i = 1; i <= count; i++) {
            int c = list[i];
            if (!deleted[c]) {
                candidates[n++] = NodeQueue.encode(c, distance(vn, node, c));
            }
        }
        candidates[n++] = NodeQueue.encode(slot, distance(vn, node, slot));
        Arrays.sort(candidates, 0, n);
        int[] shrunk = new int[max + 1];
        selectDiverse(candidates, n, max, shrunk);
        plan.put(key, shrunk);
    }

    /**
     * After {@code slot} moved: each former neighbour that still links to it and is not a neighbour any more
     * gets, in place of that link, the nearest member of the old neighbourhood it does not link to yet.
     */
    private void repair(int slot, int level, int[] oldList, boolean[] deleted, Map<Long, int[]> plan) {
        int[] own = plan.get(key(slot, level));
        for (int i = 1; i <= oldList[0]; i++) {
            int o = oldList[i];
            if (o == slot || deleted[o] || contains(own, o)) {
                continue;
            }
            long key = key(o, level);
            int[] list = plan.get(key);
            if (list == null) {
                list = graph.copyLinks(o, level);
            }
            int at = indexOf(list, slot);
            if (at < 0) {
                continue;
            }
            float[] vo = vectorOf(o);
            int best = -1;
            float bestDistance = Float.POSITIVE_INFINITY;
            for (int j = 1; j <= oldList[0]; j++) {
                int x = oldList[j];
                if (x == o || x == slot || deleted[x] || contains(list, x)) {
                    continue;
                }
                float d = distance(vo, o, x);
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
}
