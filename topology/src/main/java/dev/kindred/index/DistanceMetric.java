package dev.kindred.index;

/**
 * How an index measures distance between vectors. Smaller is closer for all three. Computed with the
 * {@link VectorMath} kernels.
 */
public enum DistanceMetric {
    /** 1 - cosine similarity, in [0, 2]; a zero vector is at distance 1 from everything. */
    COSINE,
    /** Euclidean (L2) distance. */
    EUCLIDEAN,
    /** 1 - dot product; for vectors that are already normalized, or where magnitude should count. */
    INNER_PRODUCT;

    /** The distance between two vectors of equal length. */
    public float distance(float[] a, float[] b) {
        return switch (this) {
            case EUCLIDEAN -> (float) Math.sqrt(VectorMath.squaredDistance(a, b));
            case INNER_PRODUCT -> 1 - VectorMath.dot(a, b);
            case COSINE -> {
                float na = VectorMath.norm(a);
                float nb = VectorMath.norm(b);
                yield na == 0 || nb == 0 ? 1 : 1 - VectorMath.dot(a, b) / (na * nb);
            }
        };
    }
}
