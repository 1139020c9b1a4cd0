package dev.kindred.index.hnsw;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.kernels.VectorMath;
import java.util.Arrays;

/**
 * The float vectors of one graph by slot, and the exact distances between them in internal terms: squared for
 * Euclidean, {@code 1 - dot} for inner product, and for cosine {@code 1 - dot} over unit vectors, with each
 * stored vector's inverse norm cached (vectors are stored as given, so that they read back unchanged).
 *
 * <p>Two storages: on the heap ({@link Heap}, end to end in large arrays), and in a memory-mapped file
 * ({@link MappedFloatVectors}) for quantized indexes, whose heap then holds only codes. Either way
 * {@link #vector} hands out a copy.
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

    /** A copy of the vector at {@code slot}. */
    final float[] vector(int slot) {
        float[] v = new float[dimensions];
        copyInto(slot, v);
        return v;
    }

    /** Copies the vector at {@code slot} into {@code out}. */
    abstract void copyInto(int slot, float[] out);

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

    final float[] inverseNorms() {
        return invNorms;
    }

    /** Exact distances from one prepared query. */
    VectorScorer scorer(float[] prepared) {
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

    /**
     * The vectors on the heap, laid end to end in chunks of {@code 2^k} vectors (at most 64 MiB each; the last
     * grows with the index): a vector's address is computed from its slot, not loaded from an array of
     * references, so the loads of a batch of neighbours do not wait on each other (the JFR profile of a search
     * over 100,000 x 64 vectors spent 68% of its samples on the first load of each distance).
     */
    static final class Heap extends FloatVectors {
        private static final int CHUNK_FLOATS = 1 << 24;
        private final int shift;
        private final int mask;
        private float[][] chunks = new float[0][];

        Heap(DistanceMetric metric, int dimensions, int capacity) {
            super(metric, dimensions, capacity);
            int perChunk = Integer.highestOneBit(Math.max(1, CHUNK_FLOATS / dimensions));
            this.shift = Integer.numberOfTrailingZeros(perChunk);
            this.mask = perChunk - 1;
            grow(capacity);
        }

        @Override
        void copyInto(int slot, float[] out) {
            System.arraycopy(chunks[slot >>> shift], (slot & mask) * dimensions, out, 0, dimensions);
        }

        @Override
        void store(int slot, float[] vector) {
            System.arraycopy(vector, 0, chunks[slot >>> shift], (slot & mask) * dimensions, dimensions);
        }

        @Override
        float dot(float[] query, int slot) {
            return VectorMath.dot(query, chunks[slot >>> shift], (slot & mask) * dimensions);
        }

        @Override
        float squaredDistance(float[] query, int slot) {
            return VectorMath.squaredDistance(query, chunks[slot >>> shift], (slot & mask) * dimensions);
        }

        @Override
        void grow(int capacity) {
            super.grow(capacity);
            int perChunk = mask + 1;
            int needed = (capacity + perChunk - 1) >>> shift;
            if (needed > chunks.length) {
                chunks = Arrays.copyOf(chunks, needed);
            }
            for (int c = 0; c < needed; c++) {
                int vectors = Math.min(perChunk, capacity - c * perChunk);
                if (chunks[c] == null || chunks[c].length < vectors * dimensions) {
                    chunks[c] = chunks[c] == null ? new float[vectors * dimensions]
                            : Arrays.copyOf(chunks[c], vectors * dimensions);
                }
            }
        }

        @Override
        long heapBytes(int slots) {
            long bytes = 16 + 8L * chunks.length + normBytes();
            for (float[] chunk : chunks) {
                bytes += 16 + 4L * chunk.length;
            }
            return bytes;
        }

        @Override
        long mappedBytes(int slots) {
            return 0;
        }

        /** A scorer with the metric chosen once and the chunks read directly, monomorphic in its batch loop. */
        @Override
        VectorScorer scorer(float[] prepared) {
            float[][] data = chunks;
            int dims = dimensions;
            int s = shift;
            int m = mask;
            if (metric == DistanceMetric.EUCLIDEAN) {
                return new VectorScorer() {
                    @Override
                    public float distance(int node) {
                        return VectorMath.squaredDistance(prepared, data[node >>> s], (node & m) * dims);
                    }

                    @Override
                    public void distances(int[] nodes, int count, float[] out) {
                        for (int i = 0; i < count; i++) {
                            int node = nodes[i];
                            out[i] = VectorMath.squaredDistance(prepared, data[node >>> s], (node & m) * dims);
                        }
                    }
                };
            }
            float[] inv = metric == DistanceMetric.COSINE ? inverseNorms() : null;
            return new VectorScorer() {
                @Override
                public float distance(int node) {
                    float dot = VectorMath.dot(prepared, data[node >>> s], (node & m) * dims);
                    return 1 - (inv == null ? dot : dot * inv[node]);
                }

                @Override
                public void distances(int[] nodes, int count, float[] out) {
                    for (int i = 0; i < count; i++) {
                        int node = nodes[i];
                        float dot = VectorMath.dot(prepared, data[node >>> s], (node & m) * dims);
                        out[i] = 1 - (inv == null ? dot : dot * inv[node]);
                    }
                }
            };
        }
    }
}
