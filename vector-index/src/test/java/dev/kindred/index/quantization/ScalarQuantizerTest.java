package dev.kindred.index.quantization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.index.kernels.VectorMath;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScalarQuantizerTest {

    private static float[][] sample(int n, int dims, long seed) {
        Random random = new Random(seed);
        float[][] sample = new float[n][dims];
        for (float[] v : sample) {
            for (int d = 0; d < dims; d++) {
                // dimensions with different ranges, some non-negative (ReLU-like), one constant
                double x = random.nextGaussian() * (1 + d % 7);
                v[d] = d == 5 ? 3f : (float) (d % 3 == 0 ? Math.max(0, x) : x);
            }
        }
        return sample;
    }

    @Test
    void decodingIsWithinHalfAStepOfEveryValueInsideTheRange() {
        float[][] sample = sample(2000, 96, 1);
        ScalarQuantizer q = ScalarQuantizer.train(sample, 1.0);
        float[] step = q.step();
        float[] lower = q.lower();
        byte[] code = new byte[96];
        for (float[] v : sample) {
            float[] decoded = q.decode(q.encode(v, code));
            for (int d = 0; d < 96; d++) {
                assertThat(v[d]).isBetween(lower[d], lower[d] + 255 * step[d] + 1e-4f);
                assertThat(decoded[d]).as("dimension %d", d).isCloseTo(v[d], within(step[d] / 2 + 1e-5f));
            }
        }
        assertThat(step[5]).as("a constant dimension").isZero();
        assertThat(q.decode(q.encode(sample[0], code))[5]).isEqualTo(3f);
    }

    @Test
    void valuesOutsideTheConfidenceIntervalAreClampedToItsEnds() {
        float[][] sample = sample(1000, 8, 2);
        ScalarQuantizer q = ScalarQuantizer.train(sample, 0.9);
        float[] far = new float[8];
        java.util.Arrays.fill(far, 1e6f);
        float[] decoded = q.decode(q.encode(far, new byte[8]));
        for (int d = 0; d < 8; d++) {
            assertThat(decoded[d]).isCloseTo(q.lower()[d] + 255 * q.step()[d], within(1e-3f));
        }
        java.util.Arrays.fill(far, -1e6f);
        decoded = q.decode(q.encode(far, new byte[8]));
        for (int d = 0; d < 8; d++) {
            assertThat(decoded[d]).isEqualTo(q.lower()[d]);
        }
    }

    @Test
    void thePreparedQueryGivesTheDotProductWithTheDecodedVector() {
        float[][] sample = sample(500, 300, 3);
        ScalarQuantizer q = ScalarQuantizer.train(sample, ScalarQuantizer.defaultConfidence(300));
        Random random = new Random(4);
        for (int i = 0; i < 50; i++) {
            float[] query = new float[300];
            for (int d = 0; d < 300; d++) {
                query[d] = (float) random.nextGaussian();
            }
            byte[] code = q.encode(sample[i], new byte[300]);
            float expected = VectorMath.dot(query, q.decode(code));
            assertThat(ScalarQuantizer.dot(q.prepare(query), code)).isCloseTo(expected,
                    within(1e-3f * (1 + Math.abs(expected))));
            assertThat(q.squaredNorm(code)).isCloseTo(VectorMath.dot(q.decode(code), q.decode(code)), within(1e-2f));
        }
    }

    @Test
    void rangesRoundTripThroughTheirParameters() {
        ScalarQuantizer q = ScalarQuantizer.train(sample(100, 16, 5), 0.99);
        ScalarQuantizer copy = ScalarQuantizer.of(q.lower(), q.step());
        float[] v = sample(1, 16, 6)[0];
        assertThat(copy.encode(v, new byte[16])).containsExactly(q.encode(v, new byte[16]));
    }
}
