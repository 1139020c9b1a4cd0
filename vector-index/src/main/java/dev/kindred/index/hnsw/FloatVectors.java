package dev.kindred.index.hnsw;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.kernels.VectorMath;
import java.util.Arrays;

/**
 * The float vectors of one graph by slot, and the exact distances between them in internal terms: squared for
 * Euclidean, {@code 1 - dot} for inner product, and for cosine {@code 1 - dot} over unit vectors, with each
 * stored vector's inverse norm cached (vectors are stored as given, so that they read back unchanged).
 *
 * <p>Two storages: on the heap ({@link Heap}, one {@code float[]} per slot, shared with the items), and in a
 * memory-mapped file ({@link MappedFloatVectors}) for quantized indexes, whose heap then holds only codes.
 *
 * <p>Written by the index's one writer under its write lock; read under the read lock.
 */
abstract class FloatVectors {
    final DistanceMetric metric;
    final int dimensions;
    private float[] invNorms;

    FloatVectors(DistanceMetric metric, int dimensions, int capacity) {
        this.metric = metric;
        this.dimensions = dimensions;
        this.invNorms = metric == DistanceMetric.COSINE ? new float[capacity] : null;
    }

    /** The vector at {@code slot}: the stored array itself on the heap, a copy from a mapped file. */
    abstract float[] vector(int slot);

    abstract void store(int slot, float[] vector);

    abstract float dot(float[] query, int slot);

    abstract float squaredDistance(float[] query, int slot);

    /** Bytes on the heap for {@code slots} vectors. */
    abstract long heapBytes(int slots);

    /** Bytes outside the heap (a mapped file) for {@code slots} vectors. */
    abstract long mappedBytes(int slots);

    void grow(int capacity) {
        if (invNorms != null && invNorms.length < capacity) {
            invNorms = Arrays.copyOf(invNorms, capacity);
        }
    }

    /** Releases what the heap's collector does not (a mapped file's descriptor). */
    void close() {
    }

    /** Stores {@code vector} at {@code slot}. Under the write lock (or before the vectors are shared). */
    final void set(int slot, float[] vector) {
        store(slot, vector);
        if (invNorms != null) {
            float norm = VectorMath.norm(vector);
            invNorms[slot] = norm == 0 ? 0 : 1 / norm;
        }
    }

    /** The vector as distances expect a query and as codes are made: unit length for cosine, as is otherwise. */
    float[] prepare(float[] vector) {
        if (metric != DistanceMetric.COSINE) {
            return vector;
        }
        float norm = VectorMath.norm(vector);
        if (norm == 0 || norm == 1) {
            return vector;
        }
        float[] unit = new float[vector.length];
        float inv = 1 / norm;
        for (int i = 0; i < unit.length; i++) {
            unit[i] = vector[i] * inv;
        }
        return unit;
    }

    /** Internal distance from a prepared query to a stored vector. */
    final float distance(float[] prepared, int slot) {
        return switch (metric) {
            case EUCLIDEAN -> squaredDistance(prepared, slot);
            case COSINE -> 1 - dot(prepared, slot) * invNorms[slot];
            case INNER_PRODUCT -> 1 - dot(prepared, slot);
        };
    }

    /** Internal distance between stored vectors {@code a} (whose vector the caller read as {@code va}) and {@code b}. */
    final float distanceBetween(float[] va, int a, int b) {
        return switch (metric) {
            case EUCLIDEAN -> squaredDistance(va, b);
            case COSINE -> 1 - dot(va, b) * invNorms[a] * invNorms[b];
            case INNER_PRODUCT -> 1 - dot(va, b);
        };
    }

    /** The metric's distance for an internal one. */
    final float toPublic(float internal) {
        return metric == DistanceMetric.EUCLIDEAN ? (float) Math.sqrt(Math.max(0, internal)) : internal;
    }

    /** The internal distance for a metric's one (for range bounds). */
    final float toInternal(float distance) {
        return metric == DistanceMetric.EUCLIDEAN ? (distance < 0 ? -1 : distance * distance) : distance;
    }

    final long normBytes() {
        return invNorms == null ? 0 : 16 + 4L * invNorms.length;
    }

    /** Exact distances from one prepared query. */
    final VectorScorer scorer(float[] prepared) {
        return new VectorScorer() {
            @Override
            public float distance(int node) {
                return FloatVectors.this.distance(prepared, node);
            }

            @Override
            public void distances(int[] nodes, int count, float[] out) {
                for (int i = 0; i < count; i++) {
                    out[i] = FloatVectors.this.distance(prepared, nodes[i]);
                }
            }
        };
    }

    /** One {@code float[]} per slot on the heap. */
    static final class Heap extends FloatVectors {
        private float[][] vectors;

        Heap(DistanceMetric metric, int dimensions, int capacity) {
            super(metric, dimensions, capacity);
            vectors = new float[capacity][];
        }

        @Override
        float[] vector(int slot) {
            return vectors[slot];
        }

        @Override
        void store(int slot, float[] vector) {
            vectors[slot] = vector;
        }

        @Override
        float dot(float[] query, int slot) {
            return VectorMath.dot(query, vectors[slot]);
        }

        @Override
        float squaredDistance(float[] query, int slot) {
            return VectorMath.squaredDistance(query, vectors[slot]);
        }

        @Override
        void grow(int capacity) {
            super.grow(capacity);
            if (vectors.length < capacity) {
                vectors = Arrays.copyOf(vectors, capacity);
            }
        }

        @Override
        long heapBytes(int slots) {
            return 16 + 8L * vectors.length + (long) slots * (16 + 4L * dimensions) + normBytes();
        }

        @Override
        long mappedBytes(int slots) {
            return 0;
        }
    }
}
