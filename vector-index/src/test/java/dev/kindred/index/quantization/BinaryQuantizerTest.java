package dev.kindred.index.quantization;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.index.kernels.VectorMath;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BinaryQuantizerTest {

    private static float[] gaussian(Random random, int dims, float offset) {
        float[] v = new float[dims];
        for (int d = 0; d < dims; d++) {
            v[d] = offset + (float) random.nextGaussian();
        }
        return v;
    }

    private static float[] minus(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    @Test
    void theResidualDotEstimateIsUnbiasedWithAnErrorThatShrinksWithDimensions() {
        for (int dims : new int[] {256, 1024}) {
            Random random = new Random(dims);
            float[][] sample = new float[500][];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = gaussian(random, dims, 2f);
            }
            BinaryQuantizer q = BinaryQuantizer.train(sample);
            float[] c = q.centroid();
            double signed = 0;
            double absolute = 0;
            int pairs = 0;
            long[] bits = new long[q.words()];
            for (int i = 0; i < 100; i++) {
                float[] query = gaussian(random, dims, 2f);
                BinaryQuantizer.Query prepared = q.prepare(query);
                float[] rq = minus(query, c);
                for (int j = 0; j < 20; j++) {
                    float[] x = sample[(i * 20 + j) % sample.length];
                    float[] rx = minus(x, c);
                    BinaryQuantizer.Factors f = q.encode(x, bits, 0);
                    float estimate = BinaryQuantizer.residualDot(prepared, bits, 0, f.factor(), f.ones());
                    // error relative to |r_x| |r_q|, i.e. in terms of the cosine between the residuals
                    double scale = Math.sqrt(VectorMath.dot(rx, rx) * VectorMath.dot(rq, rq));
                    double error = (estimate - VectorMath.dot(rx, rq)) / scale;
                    signed += error;
                    absolute += Math.abs(error);
                    pairs++;
                }
            }
            double meanAbsolute = absolute / pairs;
            assertThat(Math.abs(signed / pairs)).as("bias at %d dimensions", dims).isLessThan(0.3 * meanAbsolute + 0.002);
            assertThat(meanAbsolute).as("mean error at %d dimensions", dims).isLessThan(2.0 / Math.sqrt(dims));
        }
    }

    @Test
    void factorsHoldTheResidualNormTheCentroidTermAndTheBitCount() {
        BinaryQuantizer q = BinaryQuantizer.of(new float[] {1, 1, 1});
        long[] bits = new long[1];
        BinaryQuantizer.Factors f = q.encode(new float[] {2, 0, 1}, bits, 0);
        assertThat(bits[0]).isEqualTo(0b001L);
        assertThat(f.ones()).isEqualTo(1);
        assertThat(f.squaredResidualNorm()).isEqualTo(2f);
        assertThat(f.residualDotCentroid()).isEqualTo(0f);
        assertThat(f.factor()).isEqualTo(1f); // |r|^2 / sum |r_i| = 2 / 2
    }
}
