package dev.kindred.index;

import dev.kindred.index.kernels.VectorMath;

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

    /**
     * A distance of this metric as a similarity, higher is closer: {@code 1 - d} for cosine and inner product
     * (the cosine similarity or the dot product itself), {@code 1 / (1 + d)} for Euclidean (1 for the same
     * point, falling towards 0). Kindred's one conversion: alerts, recommendations, fusion and evaluation use it.
     */
    public double similarity(float distance) {
        return switch (this) {
            case COSINE, INNER_PRODUCT -> 1.0 - distance;
            case EUCLIDEAN -> 1.0 / (1.0 + distance);
        };
    }
}
