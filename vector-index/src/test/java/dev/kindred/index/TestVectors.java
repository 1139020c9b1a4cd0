package dev.kindred.index;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Reproducible clustered vectors and recall measurement for the index tests. */
public final class TestVectors {
    private final float[][] centres;
    private final Random random;
    private final double spread;

    public TestVectors(int clusters, int dims, double spread, long seed) {
        this.random = new Random(seed);
        this.spread = spread;
        this.centres = new float[clusters][dims];
        for (float[] c : centres) {
            for (int d = 0; d < dims; d++) {
                c[d] = (float) random.nextGaussian();
            }
        }
    }

    public float[] next() {
        float[] c = centres[random.nextInt(centres.length)];
        float[] v = new float[c.length];
        for (int d = 0; d < v.length; d++) {
            v[d] = (float) (c[d] + random.nextGaussian() * spread);
        }
        return v;
    }

    public Random random() {
        return random;
    }

    /** Mean recall@k of approximate search against exact search over {@code queries} fresh queries. */
    public double recall(VectorIndex<?> index, int queries, int k, int ef) {
        long found = 0;
        long wanted = 0;
        for (int q = 0; q < queries; q++) {
            float[] query = next();
            Set<String> truth = keys(index.exactSearch(query, k, null));
            for (Neighbour<?> n : index.search(query, k, ef, null)) {
                if (truth.contains(n.key())) {
                    found++;
                }
            }
            wanted += truth.size();
        }
        return found / (double) wanted;
    }

    public static Set<String> keys(List<? extends Neighbour<?>> hits) {
        Set<String> keys = new HashSet<>();
        hits.forEach(n -> keys.add(n.key()));
        return keys;
    }
}
