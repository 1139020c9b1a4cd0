package dev.kindred.index.hnsw;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Searches an {@link HnswGraph} with a {@link VectorScorer}: a greedy descent through the upper levels, then a
 * beam search of level 0. Tombstoned nodes route searches but are never returned.
 *
 * <p>A filter is applied inside the level-0 walk: rejected nodes are scored and route the walk like any other, but
 * only accepted ones enter the results, and the walk ends only when {@code ef} accepted nodes are found and no
 * candidate is nearer than the farthest of them. A selective filter therefore widens the walk by itself (about
 * {@code 1 / selectivity} times), which keeps its recall at the unfiltered one. Where that would cost more than
 * scoring every accepted node, the exact scan of the accepted nodes ({@link #scan}) answers instead, as Lucene
 * does with its visit limit: when the filter, estimated from an evenly spaced sample of the nodes, accepts at most
 * {@code ef} of them, at once; otherwise when the walk has scored more nodes than it is estimated to accept.
 *
 * <p>Measured against an ACORN-1-style walk (Patel et al., 2024; as Lucene 10 adapts it: score only accepted
 * nodes, reach past rejected neighbours by two hops) on 20,000 clustered vectors at ef 64: recall@10 1.000 with a
 * 5% random filter, 1.000 with a 5% filter that follows the clusters and 1.000 at 1%, against 0.92, 0.94 and
 * 0.82 for the two-hop walk (0.99, 0.87 and 0.65 when hop-two nodes stay unvisited). The two-hop walk scores
 * fewer nodes but loses the true neighbours behind rejected regions, so Kindred does not use it.
 *
 * <p>Per-thread scratch (queues and an epoch-stamped visited array that is never cleared) is reused across
 * searches and graphs. Callers hold the index's read lock (or are its writer).
 */
final class HnswSearcher {
    private static final int SELECTIVITY_SAMPLE = 256;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private HnswSearcher() {
    }

    /**
     * Approximate {@code k} nearest live nodes that {@code accept} accepts (null: all). Writes them nearest first
     * with their internal distances, and returns how many.
     *
     * @param deleted tombstones, by node
     * @param live how many nodes are live (for the filter's estimate)
     */
    static int search(HnswGraph graph, VectorScorer scorer, boolean[] deleted, int live, IntPredicate accept, int k,
            int ef, int[] outNodes, float[] outDistances) {
        int entry = graph.entry();
        if (entry < 0) {
            return 0;
        }
        ef = Math.max(ef, k);
        Scratch s = SCRATCH.get();
        long scoreLimit = Long.MAX_VALUE;
        if (accept != null) {
            double matching = selectivity(graph.size(), deleted, accept) * live;
            if (matching <= ef) {
                return scan(graph.size(), scorer, deleted, accept, k, Float.POSITIVE_INFINITY, outNodes, outDistances);
            }
            scoreLimit = (long) Math.ceil(matching);
        }
        long ep = descend(graph, scorer, entry, 0);
        if (!searchLayer(graph, scorer, NodeQueue.node(ep), NodeQueue.distance(ep), 0, ef, deleted, accept, -1,
                scoreLimit, s)) {
            return scan(graph.size(), scorer, deleted, accept, k, Float.POSITIVE_INFINITY, outNodes, outDistances);
        }
        return drain(s.results, k, outNodes, outDistances);
    }

    /** The fraction of live nodes the filter accepts, from an evenly spaced sample. */
    private static double selectivity(int size, boolean[] deleted, IntPredicate accept) {
        int stride = Math.max(1, size / SELECTIVITY_SAMPLE);
        int sampled = 0;
        int accepted = 0;
        for (int node = 0; node < size; node += stride) {
            if (!deleted[node]) {
                sampled++;
                if (accept.test(node)) {
                    accepted++;
                }
            }
        }
        return sampled == 0 ? 0 : accepted / (double) sampled;
    }

    /** Greedy descent from {@code entry} through the upper levels down to {@code level}; the encoded nearest node. */
    static long descend(HnswGraph graph, VectorScorer scorer, int entry, int level) {
        int ep = entry;
        float epDistance = scorer.distance(ep);
        for (int l = graph.maxLevel(); l > level; l--) {
            long best = greedy(graph, scorer, ep, epDistance, l);
            ep = NodeQueue.node(best);
            epDistance = NodeQueue.distance(best);
        }
        return NodeQueue.encode(ep, epDistance);
    }

    /** Greedy walk at an upper level: the nearest node reachable by always moving closer. */
    private static long greedy(HnswGraph graph, VectorScorer scorer, int ep, float epDistance, int level) {
        int off = graph.upperOffset(level);
        boolean moved = true;
        while (moved) {
            moved = false;
            int[] list = graph.upper(ep);
            for (int j = off + 1, end = off + 1 + list[off]; j < end; j++) {
                int n = list[j];
                float d = scorer.distance(n);
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
     * Beam search of one level from one entry node. Leaves up to {@code ef} nodes in the thread's result queue
     * (returned; read it before the next search on this thread): never {@code exclude}, only live ones when
     * {@code deleted} is given, only accepted ones when {@code accept} is. Other nodes still route the search.
     */
    static NodeQueue searchLayer(HnswGraph graph, VectorScorer scorer, int ep, float epDistance, int level, int ef,
            boolean[] deleted, IntPredicate accept, int exclude) {
        Scratch s = SCRATCH.get();
        searchLayer(graph, scorer, ep, epDistance, level, ef, deleted, accept, exclude, Long.MAX_VALUE, s);
        return s.results;
    }

    /** The beam search; false when it stopped after scoring more than {@code scoreLimit} nodes. */
    private static boolean searchLayer(HnswGraph graph, VectorScorer scorer, int ep, float epDistance, int level,
            int ef, boolean[] deleted, IntPredicate accept, int exclude, long scoreLimit, Scratch s) {
        NodeQueue candidates = s.candidates;
        NodeQueue results = s.results;
        candidates.clear();
        results.clear();
        int epoch = s.nextEpoch(graph.capacity());
        int[] visited = s.visited;
        visited[ep] = epoch;
        candidates.push(ep, epDistance);
        if ((deleted == null || !deleted[ep]) && ep != exclude && (accept == null || accept.test(ep))) {
            results.push(ep, epDistance);
        }
        float worst = results.size() >= ef ? results.topDistance() : Float.POSITIVE_INFINITY;
        int[] links0 = graph.links0();
        int upperOffset = level == 0 ? 0 : graph.upperOffset(level);
        int[] batch = s.batch;
        float[] batchDistances = s.batchDistances;
        long scored = 0;
        while (!candidates.isEmpty()) {
            long top = candidates.pop();
            if (NodeQueue.distance(top) > worst) {
                break;
            }
            int c = NodeQueue.node(top);
            int[] list = level == 0 ? links0 : graph.upper(c);
            int off = level == 0 ? graph.offset0(c) : upperOffset;
            // Collect the unvisited neighbours first and score them in one call: the vector loads are then
            // independent of each other and of the queue updates, so their cache misses overlap.
            int count = 0;
            for (int j = off + 1, end = off + 1 + list[off]; j < end; j++) {
                int n = list[j];
                if (visited[n] != epoch) {
                    visited[n] = epoch;
                    batch[count++] = n;
                }
            }
            scorer.distances(batch, count, batchDistances);
            scored += count;
            if (scored > scoreLimit) {
                return false;
            }
            for (int i = 0; i < count; i++) {
                int n = batch[i];
                float d = batchDistances[i];
                if (d < worst) {
                    candidates.push(n, d);
                    if ((deleted == null || !deleted[n]) && n != exclude && (accept == null || accept.test(n))) {
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
        return true;
    }

    /**
     * Exact scan of the live accepted nodes among the first {@code size}: the {@code k} nearest within
     * {@code maxDistance}, nearest first. Returns how many.
     */
    static int scan(int size, VectorScorer scorer, boolean[] deleted, IntPredicate accept, int k, float maxDistance,
            int[] outNodes, float[] outDistances) {
        NodeQueue best = new NodeQueue(Math.min(k, 1024) + 1, true);
        for (int node = 0; node < size; node++) {
            if (deleted[node] || (accept != null && !accept.test(node))) {
                continue;
            }
            float d = scorer.distance(node);
            if (d > maxDistance) {
                continue;
            }
            if (best.size() < k) {
                best.push(node, d);
            } else if (d < best.topDistance()) {
                best.pop();
                best.push(node, d);
            }
        }
        return drain(best, k, outNodes, outDistances);
    }

    /** Pops a result queue (a max-heap) down to {@code k} and writes it nearest first. */
    private static int drain(NodeQueue results, int k, int[] outNodes, float[] outDistances) {
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
