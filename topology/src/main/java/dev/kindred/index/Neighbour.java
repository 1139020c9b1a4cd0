package dev.kindred.index;

/** A search hit: the item and its distance to the query (smaller is closer). */
public record Neighbour<P>(IndexedVector<P> item, float distance) {

    public String key() {
        return item.key();
    }

    public P payload() {
        return item.payload();
    }
}
