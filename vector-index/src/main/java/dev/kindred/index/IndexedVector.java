package dev.kindred.index;

/**
 * One item of an index: a key, the version that wrote it, its vector and an opaque payload carried along
 * for search-time filtering and for whoever reads the results (the index never looks inside it).
 *
 * <p>The vector array is the index's own copy, shared to avoid a copy per search hit: do not modify it.
 *
 * @param <P> the payload type
 */
public record IndexedVector<P>(String key, long version, float[] vector, P payload) {
}
