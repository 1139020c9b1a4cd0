package dev.kindred.index;

/**
 * A search hit: the item and its distance to the query in the index's {@link DistanceMetric} (smaller is
 * closer).
 *
 * @param <P> the payload type
 */
public record Neighbour<P>(IndexedVector<P> item, float distance) {

    public String key() {
        return item.key();
    }

    public P payload() {
        return item.payload();
    }
}
