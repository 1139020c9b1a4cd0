package dev.kindred.index;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a hybrid search combines the ranked lists of several spaces into one, the two strategies Milvus offers
 * for multi-vector search:
 * <ul>
 *   <li>{@link #reciprocalRank(int)}: a key scores {@code sum over spaces of 1 / (c + rank)} (rank from 1),
 *       which needs no comparable distances and favours keys near the top of several lists;</li>
 *   <li>{@link #weighted(Map)}: a key scores {@code sum over spaces of weight * similarity}, each distance
 *       mapped to a similarity by {@link DistanceMetric#similarity(float)}; weigh spaces whose similarities
 *       have comparable ranges.</li>
 * </ul>
 * Ties are broken by key, so results are deterministic.
 */
public sealed interface Fusion {

    /** Reciprocal rank fusion with the customary constant 60. */
    static Fusion reciprocalRank() {
        return new ReciprocalRank(60);
    }

    /** Reciprocal rank fusion with rank constant {@code c} (larger flattens the weight of the top ranks). */
    static Fusion reciprocalRank(int c) {
        return new ReciprocalRank(c);
    }

    /** Weighted sum of normalized similarities; spaces without a weight count with weight 0. */
    static Fusion weighted(Map<String, Double> weights) {
        return new Weighted(Map.copyOf(weights));
    }

    /** Reciprocal rank fusion. */
    record ReciprocalRank(int c) implements Fusion {
        public ReciprocalRank {
            if (c < 0) {
                throw new IllegalArgumentException("rank constant must not be negative: " + c);
            }
        }
    }

    /** Weighted similarity fusion. */
    record Weighted(Map<String, Double> weights) implements Fusion {
    }

    /** Fuses per-space result lists (each nearest first) into the top {@code k}. */
    default <P> List<HybridHit<P>> fuse(Map<String, List<Neighbour<P>>> perSpace, Map<String, DistanceMetric> metrics,
            int k) {
        Map<String, Double> scores = new HashMap<>();
        Map<String, Map<String, Neighbour<P>>> matches = new HashMap<>();
        perSpace.forEach((space, hits) -> {
            for (int rank = 0; rank < hits.size(); rank++) {
                Neighbour<P> hit = hits.get(rank);
                double score = this instanceof ReciprocalRank rrf
                        ? 1.0 / (rrf.c() + rank + 1)
                        : ((Weighted) this).weights().getOrDefault(space, 0.0)
                                * metrics.get(space).similarity(hit.distance());
                scores.merge(hit.key(), score, Double::sum);
                matches.computeIfAbsent(hit.key(), key -> new LinkedHashMap<>()).put(space, hit);
            }
        });
        List<HybridHit<P>> fused = new ArrayList<>(scores.size());
        scores.forEach((key, score) -> fused.add(new HybridHit<>(key, score, matches.get(key))));
        fused.sort(Comparator.comparingDouble((HybridHit<P> h) -> -h.score()).thenComparing(HybridHit::key));
        return fused.size() > k ? List.copyOf(fused.subList(0, k)) : fused;
    }
}
