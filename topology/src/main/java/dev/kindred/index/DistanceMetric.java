package dev.kindred.index;

import com.github.jelmerk.hnswlib.core.DistanceFunction;
import com.github.jelmerk.hnswlib.core.DistanceFunctions;

/** How an index measures distance between vectors. Smaller is closer for all three. */
public enum DistanceMetric {
    /** 1 - cosine similarity, in [0, 2]. */
    COSINE(DistanceFunctions.FLOAT_COSINE_DISTANCE),
    /** Euclidean (L2) distance. */
    EUCLIDEAN(DistanceFunctions.FLOAT_EUCLIDEAN_DISTANCE),
    /** 1 - dot product; for vectors that are already normalized or where magnitude matters. */
    INNER_PRODUCT(DistanceFunctions.FLOAT_INNER_PRODUCT);

    private final DistanceFunction<float[], Float> function;

    DistanceMetric(DistanceFunction<float[], Float> function) {
        this.function = function;
    }

    public float distance(float[] a, float[] b) {
        return function.distance(a, b);
    }

    DistanceFunction<float[], Float> function() {
        return function;
    }
}
