package dev.kindred.index;

/**
 * HNSW graph parameters.
 *
 * @param m links per node (memory and recall grow with it)
 * @param efConstruction candidate list size while inserting (build time and graph quality)
 * @param ef candidate list size while searching (recall against speed)
 */
public record HnswParameters(int m, int efConstruction, int ef) {

    public static final HnswParameters DEFAULTS = new HnswParameters(16, 200, 64);

    public HnswParameters {
        if (m < 2 || efConstruction < 1 || ef < 1) {
            throw new IllegalArgumentException("HNSW parameters must be positive (m >= 2): " + m + ", "
                    + efConstruction + ", " + ef);
        }
    }
}
