package dev.kindred.index.kernels;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distance kernels every index computes with: dot product and squared Euclidean distance over
 * {@code float[]}, and the float-by-int8 dot product of scalar quantization.
 *
 * <p>Two implementations: the JDK 17 Vector API ({@code jdk.incubator.vector}, used when the JVM was
 * started with {@code --add-modules jdk.incubator.vector}) and a 4-way unrolled scalar loop (used
 * otherwise, and for short vectors, where the Vector API's set-up costs more than it saves). The
 * choice is made once per JVM; {@link #simdEnabled()} tells which one is in use. The benchmarks module
 * measures both ({@code DistanceKernelBenchmark}); the threshold {@link #SIMD_MIN_DIMENSIONS} comes from
 * that measurement.
 */
public final class VectorMath {
    private static final Logger LOG = LoggerFactory.getLogger(VectorMath.class);

    /** Below this many dimensions the scalar loop is as fast as the Vector API, so it is used. */
    public static final int SIMD_MIN_DIMENSIONS = 16;

    private static final boolean SIMD = detectSimd();

    private VectorMath() {
    }

    private static boolean detectSimd() {
        if (Boolean.getBoolean("kindred.index.scalar")) {
            return false;
        }
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (!present) {
            LOG.info("jdk.incubator.vector is not enabled: index distances use scalar loops (start the JVM with"
                    + " --add-modules jdk.incubator.vector for the faster SIMD kernels)");
            return false;
        }
        try {
            return SimdKernels.lanes() > 1;
        } catch (LinkageError e) {
            LOG.warn("jdk.incubator.vector is present but unusable; index distances use scalar loops", e);
            return false;
        }
    }

    /** True when the Vector API kernels are in use. */
    public static boolean simdEnabled() {
        return SIMD;
    }

    /** Dot product of two vectors of equal length. */
    public static float dot(float[] a, float[] b) {
        return SIMD && a.length >= SIMD_MIN_DIMENSIONS ? SimdKernels.dot(a, b) : scalarDot(a, b);
    }

    /** Squared Euclidean distance of two vectors of equal length. */
    public static float squaredDistance(float[] a, float[] b) {
        return SIMD && a.length >= SIMD_MIN_DIMENSIONS ? SimdKernels.squaredDistance(a, b) : scalarSquaredDistance(a, b);
    }

    /** Dot product of floats with signed bytes (an int8 code), as floats. */
    public static float dot(float[] a, byte[] b) {
        if (SIMD && a.length >= SIMD_MIN_DIMENSIONS) {
            return SimdKernels.dot(a, b);
        }
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** Dot product of {@code a} with the {@code a.length} floats of {@code b} from {@code offset}. */
    public static float dot(float[] a, float[] b, int offset) {
        if (SIMD && a.length >= SIMD_MIN_DIMENSIONS) {
            return SimdKernels.dot(a, b, offset);
        }
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[offset + i];
        }
        return sum;
    }

    /** Squared Euclidean distance of {@code a} to the {@code a.length} floats of {@code b} from {@code offset}. */
    public static float squaredDistance(float[] a, float[] b, int offset) {
        if (SIMD && a.length >= SIMD_MIN_DIMENSIONS) {
            return SimdKernels.squaredDistance(a, b, offset);
        }
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            float d = a[i] - b[offset + i];
            sum += d * d;
        }
        return sum;
    }

    /** Euclidean norm. */
    public static float norm(float[] a) {
        return (float) Math.sqrt(dot(a, a));
    }

    /** The scalar dot product (public for the kernel benchmark). */
    public static float scalarDot(float[] a, float[] b) {
        int n = a.length;
        int i = 0;
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        for (int bound = n & ~3; i < bound; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return s0 + s1 + s2 + s3;
    }

    /** The scalar squared Euclidean distance (public for the kernel benchmark). */
    public static float scalarSquaredDistance(float[] a, float[] b) {
        int n = a.length;
        int i = 0;
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        for (int bound = n & ~3; i < bound; i += 4) {
            float d0 = a[i] - b[i];
            float d1 = a[i + 1] - b[i + 1];
            float d2 = a[i + 2] - b[i + 2];
            float d3 = a[i + 3] - b[i + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < n; i++) {
            float d = a[i] - b[i];
            s0 += d * d;
        }
        return s0 + s1 + s2 + s3;
    }

    /** The Vector API dot product (public for the kernel benchmark); needs the incubator module. */
    public static float simdDot(float[] a, float[] b) {
        return SimdKernels.dot(a, b);
    }

    /** The Vector API squared distance (public for the kernel benchmark); needs the incubator module. */
    public static float simdSquaredDistance(float[] a, float[] b) {
        return SimdKernels.squaredDistance(a, b);
    }
}
