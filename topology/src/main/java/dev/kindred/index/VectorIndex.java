package dev.kindred.index;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A k-nearest-neighbour index of keyed, versioned vectors. Versions make replays idempotent: an upsert or
 * delete carrying a lower version than the item's current one is ignored.
 *
 * <p>Implementations are safe for one writer and concurrent readers.
 *
 * @param <P> the payload type carried with each vector
 */
public interface VectorIndex<P> {

    String name();

    DistanceMetric metric();

    /** Dimensions of every vector in the index; fixed by the first insert. */
    int dimensions();

    /** Live items. */
    int size();

    /**
     * Inserts or replaces the item under {@code key}.
     *
     * @return false when the index holds a higher version of the key (nothing changed)
     * @throws IllegalArgumentException when the vector's dimensions differ from the index's
     */
    boolean upsert(String key, long version, float[] vector, P payload);

    /**
     * Removes the item under {@code key}.
     *
     * @return false when the key is absent or its version is higher than {@code version}
     */
    boolean delete(String key, long version);

    Optional<IndexedVector<P>> get(String key);

    /** Approximate top-k search; {@code filter} (may be null) keeps only the items it accepts. */
    List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter);

    /** Exact top-k search by scanning every item: the oracle that approximate search is measured against. */
    List<Neighbour<P>> exactSearch(float[] query, int k, Predicate<IndexedVector<P>> filter);
}
