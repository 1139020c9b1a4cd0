package dev.kindred.index;

import com.github.jelmerk.hnswlib.core.Item;

/**
 * One item of an index: a key, the version that wrote it, its vector and an opaque payload carried along
 * for search-time filtering and for whoever reads the results.
 */
public record IndexedVector<P>(String key, long version, float[] vector, P payload) implements Item<String, float[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public String id() {
        return key;
    }

    @Override
    public int dimensions() {
        return vector.length;
    }
}
