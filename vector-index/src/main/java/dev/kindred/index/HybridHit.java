package dev.kindred.index;

import java.util.Map;

/**
 * One result of a hybrid (multi-space) search: a key, its fused score (higher is better) and its hit in each
 * space that returned it.
 *
 * @param key the item's key
 * @param score the fused score; only comparable within one search
 * @param matches the hit per space, for the spaces whose candidates included the key
 * @param <P> the payload type
 */
public record HybridHit<P>(String key, double score, Map<String, Neighbour<P>> matches) {

    /** The item as one of the spaces holds it (its payload is the same in every space in Kindred's use). */
    public IndexedVector<P> item() {
        return matches.values().iterator().next().item();
    }
}
