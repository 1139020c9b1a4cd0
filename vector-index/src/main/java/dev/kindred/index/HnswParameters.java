package dev.kindred.index;

/**
 * HNSW graph parameters.
 *
 * @param m links per node on upper levels, {@code 2m} on the bottom level (memory and recall grow with it)
 * @param efConstruction candidate list size while inserting (build time against graph quality)
 * @param ef default candidate list size while searching (recall against speed); each search may pass its own
 */
public record HnswParameters(int m, int efConstruction, int ef) {

    /** M=16, efConstruction=200, ef=64: recall@10 above 0.95 on clustered data (see the README's benchmark). */
    public static final HnswParameters DEFAULTS = new HnswParameters(16, 200, 64);

    public HnswParameters {
        if (m < 2 || m > 256 || efConstruction < 1 || ef < 1) {
            throw new IllegalArgumentException("HNSW parameters out of range (2 <= m <= 256, ef >= 1): " + m + ", "
                    + efConstruction + ", " + ef);
        }
    }
}
