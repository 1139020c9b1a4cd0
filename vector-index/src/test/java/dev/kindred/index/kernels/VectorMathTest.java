package dev.kindred.index.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.index.DistanceMetric;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VectorMathTest {

    @Test
    void theTestJvmRunsWithTheVectorApi() {
        // kindred.test.argLine adds --add-modules jdk.incubator.vector; without it the index falls back to scalar.
        assertThat(VectorMath.simdEnabled()).isTrue();
    }

    @Test
    void vectorApiAndScalarKernelsAgreeAtEveryLength() {
        Random random = new Random(3);
        for (int n = 1; n <= 300; n++) {
            float[] a = new float[n];
            float[] b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) random.nextGaussian();
                b[i] = (float) random.nextGaussian();
            }
            double dot = 0;
            double l2 = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) a[i] * b[i];
                l2 += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            }
            double tolerance = 1e-4 * (1 + Math.abs(dot) + n * 0.01);
            assertThat((double) VectorMath.scalarDot(a, b)).as("scalar dot, n=%d", n).isCloseTo(dot, within(tolerance));
            assertThat((double) VectorMath.simdDot(a, b)).as("simd dot, n=%d", n).isCloseTo(dot, within(tolerance));
            assertThat((double) VectorMath.dot(a, b)).isCloseTo(dot, within(tolerance));
            assertThat((double) VectorMath.scalarSquaredDistance(a, b)).as("scalar l2, n=%d", n)
                    .isCloseTo(l2, within(1e-4 * (1 + l2)));
            assertThat((double) VectorMath.simdSquaredDistance(a, b)).as("simd l2, n=%d", n)
                    .isCloseTo(l2, within(1e-4 * (1 + l2)));
            assertThat((double) VectorMath.squaredDistance(a, b)).isCloseTo(l2, within(1e-4 * (1 + l2)));
            float[] padded = new float[n + 7];
            System.arraycopy(b, 0, padded, 7, n);
            assertThat((double) VectorMath.dot(a, padded, 7)).as("dot at an offset, n=%d", n)
                    .isCloseTo(dot, within(tolerance));
            assertThat((double) VectorMath.squaredDistance(a, padded, 7)).as("l2 at an offset, n=%d", n)
                    .isCloseTo(l2, within(1e-4 * (1 + l2)));
            byte[] codes = new byte[n];
            double byteDot = 0;
            for (int i = 0; i < n; i++) {
                codes[i] = (byte) (i * 37 - 128);
                byteDot += (double) a[i] * codes[i];
            }
            assertThat((double) VectorMath.dot(a, codes)).as("float x int8 dot, n=%d", n)
                    .isCloseTo(byteDot, within(1e-3 * (1 + Math.abs(byteDot) + n)));
        }
    }

    @Test
    void metricsFollowTheirDefinitions() {
        float[] a = {3, 0};
        float[] b = {0, 4};
        assertThat(DistanceMetric.EUCLIDEAN.distance(a, b)).isEqualTo(5f);
        assertThat(DistanceMetric.COSINE.distance(a, b)).isEqualTo(1f);
        assertThat(DistanceMetric.COSINE.distance(a, new float[] {6, 0})).isEqualTo(0f);
        assertThat(DistanceMetric.COSINE.distance(a, new float[] {0, 0})).isEqualTo(1f);
        assertThat(DistanceMetric.INNER_PRODUCT.distance(new float[] {0.6f, 0.8f}, new float[] {0.6f, 0.8f}))
                .isCloseTo(0f, within(1e-6f));
    }
}
