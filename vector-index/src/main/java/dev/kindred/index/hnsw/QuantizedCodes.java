package dev.kindred.index.hnsw;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.Quantization;
import dev.kindred.index.kernels.VectorMath;
import dev.kindred.index.quantization.BinaryQuantizer;
import dev.kindred.index.quantization.ScalarQuantizer;
import java.util.Arrays;

/**
 * The quantized codes of a graph's vectors by slot, derived from the float vectors (prepared: unit length for
 * cosine) by a trained quantizer, and the approximate distances the graph is searched with. Snapshots keep the
 * quantizer; the codes are encoded again on load.
 *
 * <p>Written by the index's one writer under its write lock; read under the read lock.
 */
abstract sealed class QuantizedCodes permits QuantizedCodes.Int8, QuantizedCodes.Binary {
    final DistanceMetric metric;
    final boolean euclidean;

    QuantizedCodes(DistanceMetric metric) {
        this.metric = metric;
        this.euclidean = metric == DistanceMetric.EUCLIDEAN;
    }

    /** Trains a quantizer of {@code kind} on prepared sample vectors. */
    static QuantizedCodes train(Quantization.Kind kind, DistanceMetric metric, float[][] sample, int capacity) {
        return switch (kind) {
            case INT8 -> new Int8(metric, ScalarQuantizer.train(sample,
                    ScalarQuantizer.defaultConfidence(sample[0].length)), capacity);
            case BINARY -> new Binary(metric, BinaryQuantizer.train(sample), capacity);
            case NONE -> throw new IllegalArgumentException("no quantization to train");
        };
    }

    abstract Quantization.Kind kind();

    /** Encodes the prepared vector of {@code slot}. */
    abstract void set(int slot, float[] prepared);

    abstract void grow(int capacity);

    /** Approximate distances from one prepared query. */
    abstract VectorScorer scorer(float[] prepared);

    abstract long bytes(int slots);

    /** int8 codes: a byte per dimension, plus the decoded vector's squared norm for Euclidean. */
    static final class Int8 extends QuantizedCodes {
        final ScalarQuantizer quantizer;
        private byte[][] codes;
        private float[] squaredNorms;

        Int8(DistanceMetric metric, ScalarQuantizer quantizer, int capacity) {
            super(metric);
            this.quantizer = quantizer;
            this.codes = new byte[capacity][];
            this.squaredNorms = euclidean ? new float[capacity] : null;
        }

        @Override
        Quantization.Kind kind() {
            return Quantization.Kind.INT8;
        }

        @Override
        void set(int slot, float[] prepared) {
            byte[] code = quantizer.encode(prepared, new byte[prepared.length]);
            codes[slot] = code;
            if (euclidean) {
                squaredNorms[slot] = quantizer.squaredNorm(code);
            }
        }

        @Override
        void grow(int capacity) {
            if (codes.length < capacity) {
                codes = Arrays.copyOf(codes, capacity);
                if (euclidean) {
                    squaredNorms = Arrays.copyOf(squaredNorms, capacity);
                }
            }
        }

        @Override
        VectorScorer scorer(float[] prepared) {
            ScalarQuantizer.Query query = quantizer.prepare(prepared);
            float querySquaredNorm = euclidean ? VectorMath.dot(prepared, prepared) : 0;
            byte[][] codes = this.codes;
            float[] squaredNorms = this.squaredNorms;
            return new VectorScorer() {
                @Override
                public float distance(int node) {
                    float dot = ScalarQuantizer.dot(query, codes[node]);
                    return euclidean ? squaredNorms[node] + querySquaredNorm - 2 * dot : 1 - dot;
                }

                @Override
                public void distances(int[] nodes, int count, float[] out) {
                    for (int i = 0; i < count; i++) {
                        out[i] = distance(nodes[i]);
                    }
                }
            };
        }

        @Override
        long bytes(int slots) {
            int dims = quantizer.dimensions();
            return 16 + 8L * codes.length + (long) slots * (16 + dims) + (squaredNorms == null ? 0 : 4L * codes.length)
                    + 2 * (16 + 4L * dims);
        }
    }

    /** 1-bit codes: a bit per dimension in one flat array, plus a factor, a metric term and the bit count. */
    static final class Binary extends QuantizedCodes {
        final BinaryQuantizer quantizer;
        private final int words;
        private long[] bits;
        private float[] factors;
        private float[] terms;
        private int[] ones;

        Binary(DistanceMetric metric, BinaryQuantizer quantizer, int capacity) {
            super(metric);
            this.quantizer = quantizer;
            this.words = quantizer.words();
            this.bits = new long[capacity * words];
            this.factors = new float[capacity];
            this.terms = new float[capacity];
            this.ones = new int[capacity];
        }

        @Override
        Quantization.Kind kind() {
            return Quantization.Kind.BINARY;
        }

        @Override
        void set(int slot, float[] prepared) {
            BinaryQuantizer.Factors f = quantizer.encode(prepared, bits, slot * words);
            factors[slot] = f.factor();
            terms[slot] = euclidean ? f.squaredResidualNorm() : f.residualDotCentroid();
            ones[slot] = f.ones();
        }

        @Override
        void grow(int capacity) {
            if (factors.length < capacity) {
                bits = Arrays.copyOf(bits, capacity * words);
                factors = Arrays.copyOf(factors, capacity);
                terms = Arrays.copyOf(terms, capacity);
                ones = Arrays.copyOf(ones, capacity);
            }
        }

        @Override
        VectorScorer scorer(float[] prepared) {
            BinaryQuantizer.Query query = quantizer.prepare(prepared);
            long[] bits = this.bits;
            float[] factors = this.factors;
            float[] terms = this.terms;
            int[] ones = this.ones;
            return new VectorScorer() {
                @Override
                public float distance(int node) {
                    float dot = BinaryQuantizer.residualDot(query, bits, node * words, factors[node], ones[node]);
                    return euclidean ? terms[node] + query.squaredNorm() - 2 * dot
                            : 1 - (dot + terms[node] + query.dotCentroid());
                }

                @Override
                public void distances(int[] nodes, int count, float[] out) {
                    for (int i = 0; i < count; i++) {
                        out[i] = distance(nodes[i]);
                    }
                }
            };
        }

        @Override
        long bytes(int slots) {
            return 16 + 8L * bits.length + 3 * (16 + 4L * factors.length) + 16 + 4L * quantizer.dimensions();
        }
    }
}
