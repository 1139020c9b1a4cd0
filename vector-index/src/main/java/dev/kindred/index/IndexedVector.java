package dev.kindred.index;

/**
 * One item of an index: a key, the version that wrote it, its vector and an opaque payload carried along
 * for search-time filtering and for whoever reads the results (the index never looks inside it).
 *
 * <p>Items handed out (search hits, {@code get}, {@code items}) carry a copy of their vector. The item a search
 * filter sees carries none ({@code vector()} is null): filters decide on the key, version and payload.
 *
 * @param <P> the payload type
 */
public record IndexedVector<P>(String key, long version, float[] vector, P payload) {
}
