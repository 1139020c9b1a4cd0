package dev.kindred.index.quantization;

import dev.kindred.index.kernels.VectorMath;
import java.util.Arrays;

/**
 * int8 scalar quantization with a range per dimension. Each dimension's range is a confidence interval of a
 * training sample (as Lucene's scalar quantizer chooses its range, here per dimension rather than global), so a
 * few outliers do not waste the 256 levels; values outside it are clamped.
 *
 * <p>A value {@code x} of dimension {@code i} is stored as the signed byte {@code c = round((x - lower[i]) /
 * step[i]) - 128} and read back as {@code lower[i] + step[i] * (c + 128)}, within {@code step[i] / 2} of {@code x}
 * when {@code x} lies in the range. Search compares a float query with the codes directly (asymmetric): the dot
 * product of the query with a decoded vector is {@code dot(query * step, code) + offset}, with the scaled query
 * and the offset computed once per query, so per-dimension ranges cost nothing at search time.
 */
public final class ScalarQuantizer {
    private static final int LEVELS = 255;

    private final float[] lower;
    private final float[] step;

    private ScalarQuantizer(float[] lower, float[] step) {
        this.lower = lower;
        this.step = step;
    }

    /** A quantizer with the given ranges (as {@link #lower()} and {@link #step()} returned them). */
    public static ScalarQuantizer of(float[] lower, float[] step) {
        if (lower.length != step.length) {
            throw new IllegalArgumentException("lower and step differ in length");
        }
        for (int i = 0; i < step.length; i++) {
            if (!Float.isFinite(lower[i]) || !(step[i] >= 0) || !Float.isFinite(step[i])) {
                throw new IllegalArgumentException("invalid range in dimension " + i);
            }
        }
        return new ScalarQuantizer(lower.clone(), step.clone());
    }

    /** Lucene's default confidence for {@code d} dimensions: {@code max(0.9, 1 - 1 / (d + 1))}. */
    public static double defaultConfidence(int dimensions) {
        return Math.max(0.9, 1 - 1.0 / (dimensions + 1));
    }

    /**
     * Learns each dimension's range as the central {@code confidence} part of the sample's values.
     *
     * @param sample training vectors, all of one length (at least one)
     */
    public static ScalarQuantizer train(float[][] sample, double confidence) {
        int n = sample.length;
        int dims = sample[0].length;
        float[] lower = new float[dims];
        float[] step = new float[dims];
        float[] column = new float[n];
        int lo = (int) Math.floor((1 - confidence) / 2 * (n - 1));
        int hi = (int) Math.ceil((1 + confidence) / 2 * (n - 1));
        for (int d = 0; d < dims; d++) {
            for (int i = 0; i < n; i++) {
                column[i] = sample[i][d];
            }
            Arrays.sort(column);
            lower[d] = column[lo];
            step[d] = (column[hi] - column[lo]) / LEVELS;
        }
        return new ScalarQuantizer(lower, step);
    }

    public int dimensions() {
        return lower.length;
    }

    /** Each dimension's lowest representable value (a copy). */
    public float[] lower() {
        return lower.clone();
    }

    /** Each dimension's distance between two levels (a copy). */
    public float[] step() {
        return step.clone();
    }

    /** Writes the code of {@code x} into {@code code} and returns it. */
    public byte[] encode(float[] x, byte[] code) {
        for (int i = 0; i < x.length; i++) {
            int level = step[i] == 0 ? 0 : Math.round((x[i] - lower[i]) / step[i]);
            code[i] = (byte) (Math.max(0, Math.min(LEVELS, level)) - 128);
        }
        return code;
    }

    /** The vector a code stands for. */
    public float[] decode(byte[] code) {
        float[] x = new float[code.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = lower[i] + step[i] * (code[i] + 128);
        }
        return x;
    }

    /** The squared norm of the decoded vector (what a Euclidean distance needs besides the dot product). */
    public float squaredNorm(byte[] code) {
        float[] x = decode(code);
        return VectorMath.dot(x, x);
    }

    /** A query prepared for {@link #dot}: scaled by each dimension's step, plus the constant the offsets add. */
    public Query prepare(float[] query) {
        float[] scaled = new float[query.length];
        double offset = 0;
        for (int i = 0; i < query.length; i++) {
            scaled[i] = query[i] * step[i];
            offset += (double) query[i] * (lower[i] + 128 * step[i]);
        }
        return new Query(scaled, (float) offset);
    }

    /** The dot product of the prepared query with the decoded vector of {@code code}. */
    public static float dot(Query query, byte[] code) {
        return VectorMath.dot(query.scaled(), code) + query.offset();
    }

    /** A query as the int8 kernel takes it. */
    public record Query(float[] scaled, float offset) {
    }
}
