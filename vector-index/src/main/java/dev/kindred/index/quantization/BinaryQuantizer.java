package dev.kindred.index.quantization;

/**
 * 1-bit quantization in the manner of RaBitQ (Gao and Long, 2024) and Lucene's BBQ: a vector {@code x} is stored
 * as the signs of its residual {@code r = x - c} from a centroid {@code c} (one bit per dimension), plus three
 * numbers: a correction factor, a metric-specific term and the bit count. The query keeps four bits per dimension
 * (its normalized residual, scalar-quantized), so that an estimate costs four population counts per 64
 * dimensions.
 *
 * <p>The estimator: with {@code o = r / |r|} and the quantized unit vector {@code ō = sign(r) / sqrt(d)}, RaBitQ
 * estimates {@code <o, q̂>} as {@code <ō, q̂> / <ō, o>}, which is unbiased. Unfolded, {@code <r_x, r_q> ≈
 * |r_x|² / sum|r_x,i| · |r_q| · (2 S1 - S)}, where {@code S1} sums the (quantized) normalized query residual over
 * the dimensions whose bit is set and {@code S} over all of them. Euclidean distance and dot products follow
 * from it with the stored terms. The estimate is coarse (its error shrinks as {@code 1 / sqrt(d)}), which is why
 * a binary index rescores its top candidates with the float vectors.
 */
public final class BinaryQuantizer {
    private static final int QUERY_BITS = 4;
    private static final int QUERY_LEVELS = (1 << QUERY_BITS) - 1;

    private final float[] centroid;
    private final int words;

    private BinaryQuantizer(float[] centroid) {
        this.centroid = centroid;
        this.words = (centroid.length + 63) >>> 6;
    }

    /** A quantizer around the given centroid. */
    public static BinaryQuantizer of(float[] centroid) {
        for (float f : centroid) {
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException("invalid centroid");
            }
        }
        return new BinaryQuantizer(centroid.clone());
    }

    /** Centres the codes on the sample's mean. */
    public static BinaryQuantizer train(float[][] sample) {
        int dims = sample[0].length;
        double[] sum = new double[dims];
        for (float[] v : sample) {
            for (int i = 0; i < dims; i++) {
                sum[i] += v[i];
            }
        }
        float[] centroid = new float[dims];
        for (int i = 0; i < dims; i++) {
            centroid[i] = (float) (sum[i] / sample.length);
        }
        return new BinaryQuantizer(centroid);
    }

    public int dimensions() {
        return centroid.length;
    }

    /** Longs per code. */
    public int words() {
        return words;
    }

    /** The centroid (a copy). */
    public float[] centroid() {
        return centroid.clone();
    }

    /**
     * Encodes {@code x}: writes its sign bits into {@code bits} from {@code offset} ({@link #words()} longs) and
     * returns its factors.
     */
    public Factors encode(float[] x, long[] bits, int offset) {
        java.util.Arrays.fill(bits, offset, offset + words, 0L);
        double squaredNorm = 0;
        double absSum = 0;
        double dotCentroid = 0;
        int ones = 0;
        for (int i = 0; i < x.length; i++) {
            float r = x[i] - centroid[i];
            squaredNorm += (double) r * r;
            absSum += Math.abs(r);
            dotCentroid += (double) r * centroid[i];
            if (r > 0) {
                bits[offset + (i >>> 6)] |= 1L << (i & 63);
                ones++;
            }
        }
        float factor = absSum == 0 ? 0 : (float) (squaredNorm / absSum);
        return new Factors(factor, (float) squaredNorm, (float) dotCentroid, ones);
    }

    /**
     * A query prepared for {@link #residualDot}: its residual's norm, its normalized residual quantized to four
     * bits and laid out as bit planes (word {@code w} of plane {@code p} at {@code 4 w + p}), and the terms the
     * metrics need.
     */
    public Query prepare(float[] query) {
        int dims = centroid.length;
        float[] unit = new float[dims];
        double squaredNorm = 0;
        double dotCentroid = 0;
        for (int i = 0; i < dims; i++) {
            float r = query[i] - centroid[i];
            unit[i] = r;
            squaredNorm += (double) r * r;
            dotCentroid += (double) query[i] * centroid[i];
        }
        float norm = (float) Math.sqrt(squaredNorm);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < dims; i++) {
            unit[i] = norm == 0 ? 0 : unit[i] / norm;
            min = Math.min(min, unit[i]);
            max = Math.max(max, unit[i]);
        }
        float width = max > min ? (max - min) / QUERY_LEVELS : 0;
        long[] planes = new long[QUERY_BITS * words];
        long levelSum = 0;
        for (int i = 0; i < dims; i++) {
            int level = width == 0 ? 0 : Math.round((unit[i] - min) / width);
            levelSum += level;
            for (int p = 0; p < QUERY_BITS; p++) {
                if ((level & (1 << p)) != 0) {
                    planes[QUERY_BITS * (i >>> 6) + p] |= 1L << (i & 63);
                }
            }
        }
        float total = min * dims + width * levelSum;
        return new Query(planes, min, width, total, norm, (float) squaredNorm, (float) dotCentroid);
    }

    /** The estimate of {@code <x - c, q - c>} for the code at {@code bits[offset..]} and its factors. */
    public static float residualDot(Query q, long[] bits, int offset, float factor, int ones) {
        long[] planes = q.planes();
        long weighted = 0;
        for (int w = 0, p = 0, words = planes.length / QUERY_BITS; w < words; w++, p += QUERY_BITS) {
            long b = bits[offset + w];
            weighted += Long.bitCount(b & planes[p])
                    + 2L * Long.bitCount(b & planes[p + 1])
                    + 4L * Long.bitCount(b & planes[p + 2])
                    + 8L * Long.bitCount(b & planes[p + 3]);
        }
        float selected = q.min() * ones + q.width() * weighted;
        return factor * q.norm() * (2 * selected - q.total());
    }

    /** Per-vector terms stored beside the bits. */
    public record Factors(float factor, float squaredResidualNorm, float residualDotCentroid, int ones) {
    }

    /**
     * A prepared query.
     *
     * @param planes four bit planes of the quantized normalized residual
     * @param min its lowest value
     * @param width the distance between two of its levels
     * @param total the sum of its quantized values
     * @param norm the norm of its residual
     * @param squaredNorm the squared norm of its residual
     * @param dotCentroid {@code <q, c>}
     */
    public record Query(long[] planes, float min, float width, float total, float norm, float squaredNorm,
            float dotCentroid) {
    }
}
