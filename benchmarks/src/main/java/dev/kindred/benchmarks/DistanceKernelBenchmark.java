package dev.kindred.benchmarks;

import dev.kindred.index.kernels.VectorMath;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The index's distance kernels, JDK 17 Vector API against the scalar loop, at the dimensions Kindred uses
 * (the clinical space has a few dozen to a few hundred features, image embeddings 512 to 2,048). Decides
 * {@link VectorMath#SIMD_MIN_DIMENSIONS}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar DistanceKernelBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DistanceKernelBenchmark {

    @Param({"8", "16", "32", "64", "167", "512", "2048"})
    int dimensions;

    float[] a;
    float[] b;

    @Setup
    public void setUp() {
        Random random = new Random(1);
        a = new float[dimensions];
        b = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            a[i] = (float) random.nextGaussian();
            b[i] = (float) random.nextGaussian();
        }
    }

    @Benchmark
    public float dotScalar() {
        return VectorMath.scalarDot(a, b);
    }

    @Benchmark
    public float dotVectorApi() {
        return VectorMath.simdDot(a, b);
    }

    @Benchmark
    public float squaredDistanceScalar() {
        return VectorMath.scalarSquaredDistance(a, b);
    }

    @Benchmark
    public float squaredDistanceVectorApi() {
        return VectorMath.simdSquaredDistance(a, b);
    }
}
