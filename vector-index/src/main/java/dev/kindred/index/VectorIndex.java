package dev.kindred.index;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A k-nearest-neighbour index of keyed, versioned vectors with an opaque payload per item.
 *
 * <p>Versions make replays idempotent: an upsert or delete carrying a lower version than the item's current
 * one is ignored, an equal one is applied again (which changes nothing). A delete forgets the key: a later
 * upsert of it is accepted whatever its version.
 *
 * <p>Implementations are safe for one writer and any number of concurrent readers.
 *
 * @param <P> the payload type carried with each vector
 */
public interface VectorIndex<P> extends AutoCloseable {

    String name();

    DistanceMetric metric();

    /** Dimensions of every vector in the index. */
    int dimensions();

    /** Live items. */
    int size();

    /**
     * Inserts or replaces the item under {@code key}. The index keeps its own copy of {@code vector}.
     *
     * @return false when the index holds a higher version of the key (nothing changed)
     * @throws IllegalArgumentException when the vector's dimensions differ from the index's or it holds a
     *     NaN or infinite value
     */
    boolean upsert(String key, long version, float[] vector, P payload);

    /**
     * Removes the item under {@code key}.
     *
     * @return false when the key is absent or its version is higher than {@code version}
     */
    boolean delete(String key, long version);

    Optional<IndexedVector<P>> get(String key);

    /** Every live item (a copy of the list; the items themselves are shared). */
    List<IndexedVector<P>> items();

    /** Approximate top-k with the index's default {@code ef}; see {@link #search(float[], int, int, Predicate)}. */
    List<Neighbour<P>> search(float[] query, int k, Predicate<IndexedVector<P>> filter);

    /**
     * Approximate top-k search, nearest first.
     *
     * @param ef candidate list size for this query (recall against speed); values below {@code k} act as {@code k}
     * @param filter keeps only the items it accepts (may be null); it is applied during the graph search, so a
     *     selective filter makes the search visit more of the graph (or scan the few items it accepts) rather
     *     than return fewer hits. It runs inside the search (and, when recall is sampled, again on the sampling
     *     thread), must be thread-safe and must not search this index itself. The item it sees has no vector
     *     ({@code null}): filters decide on key, version and payload.
     */
    List<Neighbour<P>> search(float[] query, int k, int ef, Predicate<IndexedVector<P>> filter);

    /** Exact top-k by scanning every item: the oracle that approximate search is measured against. */
    List<Neighbour<P>> exactSearch(float[] query, int k, Predicate<IndexedVector<P>> filter);

    /**
     * Every item within {@code radius} of the query (inclusive), nearest first, at most {@code limit} of them
     * (the nearest ones when more qualify). Exact: it scans every item.
     */
    List<Neighbour<P>> rangeSearch(float[] query, float radius, int limit, Predicate<IndexedVector<P>> filter);

    IndexStats stats();

    /** Releases what the index holds outside the heap (a quantized index's mapped vectors); nothing by default. */
    @Override
    default void close() {
    }
}
