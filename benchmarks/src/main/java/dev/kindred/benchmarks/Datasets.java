package dev.kindred.benchmarks;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.kernels.VectorMath;
import java.util.Random;

/**
 * Synthetic, reproducible vector sets for the index benchmarks.
 *
 * <ul>
 *   <li>{@link #clinical}: 100,000 x 64, Euclidean: points around 100 Gaussian centres, like standardized
 *       patient features that fall into groups.</li>
 *   <li>{@link #image}: 20,000 x 2,048, cosine: non-negative, half-sparse vectors around 100 centres after a
 *       ReLU, like ResNet-50 pooled image features.</li>
 * </ul>
 */
final class Datasets {

    /** A named set: base vectors, queries (drawn from the same distribution, not in the base) and its metric. */
    record Dataset(String name, DistanceMetric metric, float[][] base, float[][] queries, Generator generator) {
        int dimensions() {
            return base[0].length;
        }
    }

    /** Draws further vectors from a dataset's distribution (for upserts of changed vectors). */
    static final class Generator {
        private final float[][] centres;
        private final double spread;
        private final boolean relu;
        private final Random random;

        Generator(int clusters, int dims, double spread, boolean relu, long seed) {
            this.random = new Random(seed);
            this.spread = spread;
            this.relu = relu;
            this.centres = new float[clusters][dims];
            for (float[] c : centres) {
                for (int d = 0; d < dims; d++) {
                    double x = random.nextGaussian();
                    c[d] = (float) (relu ? (random.nextBoolean() ? Math.abs(x) : 0) : x);
                }
            }
        }

        float[] next() {
            float[] c = centres[random.nextInt(centres.length)];
            float[] v = new float[c.length];
            for (int d = 0; d < v.length; d++) {
                float x = (float) (c[d] + random.nextGaussian() * spread);
                v[d] = relu ? Math.max(0, x) : x;
            }
            return v;
        }

        float[][] next(int n) {
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                out[i] = next();
            }
            return out;
        }
    }

    static Dataset clinical(int n, int queries) {
        Generator g = new Generator(100, 64, 0.6, false, 42);
        return new Dataset("clinical " + n + " x 64 (euclidean)", DistanceMetric.EUCLIDEAN, g.next(n), g.next(queries), g);
    }

    static Dataset image(int n, int queries) {
        return image(n, queries, 2048);
    }

    /** Image-like vectors of {@code dims} dimensions (smaller ones for the smoke run). */
    static Dataset image(int n, int queries, int dims) {
        Generator g = new Generator(100, dims, 0.6, true, 43);
        return new Dataset("image " + n + " x " + dims + " (cosine)", DistanceMetric.COSINE, g.next(n), g.next(queries),
                g);
    }

    /**
     * Whether id {@code id} passes a filter of {@code percent} percent: a multiplicative hash of the id, so the
     * passing ids are spread evenly and unrelated to the vectors, and every engine (FAISS and Lucene 10 in their
     * own processes too) computes the same set.
     */
    static boolean passes(int id, int percent) {
        return Integer.remainderUnsigned(id * (int) 2654435761L, 100) < percent;
    }

    /** Exact top-k ids for each query by brute force (the ground truth). */
    static int[][] groundTruth(float[][] base, float[][] queries, DistanceMetric metric, int k) {
        return groundTruth(base, queries, metric, k, -1);
    }

    /** Exact top-k ids among those passing a {@code percent} filter ({@code -1}: all). */
    static int[][] groundTruth(float[][] base, float[][] queries, DistanceMetric metric, int k, int percent) {
        int[][] truth = new int[queries.length][];
        float[] norms = new float[base.length];
        for (int i = 0; i < base.length; i++) {
            norms[i] = VectorMath.norm(base[i]);
        }
        for (int q = 0; q < queries.length; q++) {
            float[] query = queries[q];
            float qn = VectorMath.norm(query);
            int[] ids = new int[k];
            float[] ds = new float[k];
            int size = 0;
            for (int i = 0; i < base.length; i++) {
                if (percent >= 0 && !passes(i, percent)) {
                    continue;
                }
                float d = switch (metric) {
                    case EUCLIDEAN -> VectorMath.squaredDistance(query, base[i]);
                    case INNER_PRODUCT -> 1 - VectorMath.dot(query, base[i]);
                    case COSINE -> 1 - VectorMath.dot(query, base[i]) / (qn * norms[i]);
                };
                if (size < k || d < ds[size - 1]) {
                    int pos = size < k ? size++ : k - 1;
                    while (pos > 0 && ds[pos - 1] > d) {
                        ds[pos] = ds[pos - 1];
                        ids[pos] = ids[pos - 1];
                        pos--;
                    }
                    ds[pos] = d;
                    ids[pos] = i;
                }
            }
            truth[q] = ids;
        }
        return truth;
    }

    private Datasets() {
    }
}
