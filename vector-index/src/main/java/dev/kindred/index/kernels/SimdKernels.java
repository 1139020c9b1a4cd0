package dev.kindred.index.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Only loaded when {@code jdk.incubator.vector} is in the boot layer (see
 * {@link VectorMath}), so a JVM started without the flag never touches this class.
 */
final class SimdKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** As many bytes as {@link #SPECIES} has float lanes, so one byte load widens into one float vector. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));

    private SimdKernels() {
    }

    static int lanes() {
        return LANES;
    }

    static float dot(float[] a, float[] b) {
        int n = a.length;
        int i = 0;
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        // Two accumulators hide the latency of dependent FMAs on long vectors.
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, i + LANES).fma(FloatVector.fromArray(SPECIES, b, i + LANES), acc1);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    static float squaredDistance(float[] a, float[] b) {
        int n = a.length;
        int i = 0;
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            FloatVector d0 = FloatVector.fromArray(SPECIES, a, i).sub(FloatVector.fromArray(SPECIES, b, i));
            FloatVector d1 = FloatVector.fromArray(SPECIES, a, i + LANES).sub(FloatVector.fromArray(SPECIES, b, i + LANES));
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(SPECIES, a, i).sub(FloatVector.fromArray(SPECIES, b, i));
            acc0 = d.fma(d, acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    /** Dot product of floats with signed bytes, each byte load widened to a float vector (B2F). */
    static float dot(float[] a, byte[] b) {
        int n = a.length;
        int i = 0;
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            FloatVector b0 = (FloatVector) ByteVector.fromArray(BYTES, b, i).convertShape(VectorOperators.B2F, SPECIES, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromArray(BYTES, b, i + LANES)
                    .convertShape(VectorOperators.B2F, SPECIES, 0);
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(b0, acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, i + LANES).fma(b1, acc1);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector b0 = (FloatVector) ByteVector.fromArray(BYTES, b, i).convertShape(VectorOperators.B2F, SPECIES, 0);
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(b0, acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** {@link #dot(float[], float[])} with {@code b}'s vector starting at {@code offset}. */
    static float dot(float[] a, float[] b, int offset) {
        int n = a.length;
        int i = 0;
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, offset + i), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, i + LANES)
                    .fma(FloatVector.fromArray(SPECIES, b, offset + i + LANES), acc1);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, offset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[i] * b[offset + i];
        }
        return sum;
    }

    /** {@link #squaredDistance(float[], float[])} with {@code b}'s vector starting at {@code offset}. */
    static float squaredDistance(float[] a, float[] b, int offset) {
        int n = a.length;
        int i = 0;
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            FloatVector d0 = FloatVector.fromArray(SPECIES, a, i).sub(FloatVector.fromArray(SPECIES, b, offset + i));
            FloatVector d1 = FloatVector.fromArray(SPECIES, a, i + LANES)
                    .sub(FloatVector.fromArray(SPECIES, b, offset + i + LANES));
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(SPECIES, a, i).sub(FloatVector.fromArray(SPECIES, b, offset + i));
            acc0 = d.fma(d, acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = a[i] - b[offset + i];
            sum += d * d;
        }
        return sum;
    }
}
