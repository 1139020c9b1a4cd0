package dev.kindred.index.hnsw;

/**
 * Distances from one query to stored vectors, in an index's internal terms (smaller is closer; squared for
 * Euclidean). The graph searcher walks with whichever scorer it is given: the float vectors, or an index's
 * quantized codes.
 */
interface VectorScorer {

    float distance(int node);

    /**
     * Distances to {@code count} nodes at once. Implementations keep this loop monomorphic, so that the vector
     * loads of one batch are independent and their cache misses overlap.
     */
    void distances(int[] nodes, int count, float[] out);
}
