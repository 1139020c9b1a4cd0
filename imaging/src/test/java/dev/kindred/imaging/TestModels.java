package dev.kindred.imaging;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A small convolutional network built with DJL (fixed seed) and exported to ONNX with {@link OnnxWriter}, so
 * tests load it through {@link ImageEmbedder#load} exactly as a hospital's model is loaded.
 *
 * <p>conv 3×3/2 (8) → ReLU → conv 3×3/2 (16) → ReLU → global average pool → {@code features} (16) →
 * linear → {@code embedding} (32). Input 3×64×64 with a free batch dimension.
 */
final class TestModels implements AutoCloseable {
    static final int INPUT_SIZE = 64;
    static final int FEATURES = 16;
    static final int EMBEDDING = 32;
    static final long SEED = 42;

    /** Conv2d above as ONNX attributes: 3×3 kernel, stride 2, padding 1 on every side. */
    private static final Object[] CONV_ATTRIBUTES = {
        "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1}
    };

    private final NDManager manager;
    private final SequentialBlock network;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Linear head;

    private TestModels(NDManager manager, SequentialBlock network, Conv2d conv1, Conv2d conv2, Linear head) {
        this.manager = manager;
        this.network = network;
        this.conv1 = conv1;
        this.conv2 = conv2;
        this.head = head;
    }

    /** Builds and initializes the network on DJL's PyTorch engine with a fixed seed. */
    static TestModels build() {
        Engine engine = Engine.getEngine(EmbedderSettings.PYTORCH);
        engine.setRandomSeed((int) SEED);
        NDManager manager = engine.newBaseManager();
        Conv2d conv1 = conv(8);
        Conv2d conv2 = conv(FEATURES);
        Linear head = Linear.builder().setUnits(EMBEDDING).build();
        SequentialBlock network = new SequentialBlock()
                .add(conv1).add(Activation::relu)
                .add(conv2).add(Activation::relu)
                .add(Pool.globalAvgPool2dBlock())
                .add(head);
        // Non-zero biases, so a bias wired to the wrong node would show.
        network.setInitializer(new NormalInitializer(0.1f), Parameter.Type.BIAS);
        network.initialize(manager, DataType.FLOAT32, new Shape(1, 3, INPUT_SIZE, INPUT_SIZE));
        return new TestModels(manager, network, conv1, conv2, head);
    }

    /**
     * Writes the network as an ONNX file with outputs {@code embedding} (first), {@code features} and the last
     * feature map {@code r2} (16×16×16).
     */
    Path writeOnnx(Path dir) throws IOException {
        return writeOnnx(dir.resolve("test-embedder.onnx"), 0);
    }

    /** Writes the network as an ONNX file; {@code fixedBatch} > 0 fixes the batch dimension, as some exports do. */
    Path writeOnnx(Path file, int fixedBatch) throws IOException {
        new OnnxWriter()
                .fixedBatch(fixedBatch)
                .input("image", 3, INPUT_SIZE, INPUT_SIZE)
                .initializer("conv1.weight", values(conv1, "weight"), 8, 3, 3, 3)
                .initializer("conv1.bias", values(conv1, "bias"), 8)
                .initializer("conv2.weight", values(conv2, "weight"), FEATURES, 8, 3, 3)
                .initializer("conv2.bias", values(conv2, "bias"), FEATURES)
                .initializer("head.weight", values(head, "weight"), EMBEDDING, FEATURES)
                .initializer("head.bias", values(head, "bias"), EMBEDDING)
                .node("Conv", List.of("image", "conv1.weight", "conv1.bias"), "c1", CONV_ATTRIBUTES)
                .node("Relu", List.of("c1"), "r1")
                .node("Conv", List.of("r1", "conv2.weight", "conv2.bias"), "c2", CONV_ATTRIBUTES)
                .node("Relu", List.of("c2"), "r2")
                .node("GlobalAveragePool", List.of("r2"), "pooled")
                .node("Flatten", List.of("pooled"), "features", "axis", 1)
                .node("Gemm", List.of("features", "head.weight", "head.bias"), "embedding", "transB", 1)
                .output("embedding", EMBEDDING)
                .output("features", FEATURES)
                .output("r2", FEATURES, INPUT_SIZE / 4, INPUT_SIZE / 4)
                .write(file);
        return file;
    }

    /** Writes the network as a TorchScript archive: the same weights, forward written as TorchScript source. */
    Path writeTorchScript(Path file) throws IOException {
        new TorchScriptWriter("TestEmbedder")
                .parameter("conv1_weight", values(conv1, "weight"), 8, 3, 3, 3)
                .parameter("conv1_bias", values(conv1, "bias"), 8)
                .parameter("conv2_weight", values(conv2, "weight"), FEATURES, 8, 3, 3)
                .parameter("conv2_bias", values(conv2, "bias"), FEATURES)
                .parameter("head_weight", values(head, "weight"), EMBEDDING, FEATURES)
                .parameter("head_bias", values(head, "bias"), EMBEDDING)
                .write(file, """
                            r1 = torch.relu(torch.conv2d(x, self.conv1_weight, self.conv1_bias, [2, 2], [1, 1], [1, 1], 1))
                            r2 = torch.relu(torch.conv2d(r1, self.conv2_weight, self.conv2_bias, [2, 2], [1, 1], [1, 1], 1))
                            features = torch.flatten(torch.adaptive_avg_pool2d(r2, [1, 1]), 1)
                            return torch.linear(features, self.head_weight, self.head_bias)
                        """);
        return file;
    }

    /** The DJL network's own output for prepared images: what the exported model must reproduce. */
    float[][] referenceEmbeddings(List<float[]> prepared) {
        try (NDManager batchManager = manager.newSubManager()) {
            FloatBuffer batch = FloatBuffer.allocate(prepared.size() * 3 * INPUT_SIZE * INPUT_SIZE);
            prepared.forEach(batch::put);
            batch.flip();
            NDList input = new NDList(batchManager.create(batch, new Shape(prepared.size(), 3, INPUT_SIZE, INPUT_SIZE)));
            float[] flat = network.forward(new ParameterStore(batchManager, false), input, false)
                    .singletonOrThrow().toFloatArray();
            float[][] out = new float[prepared.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = Arrays.copyOfRange(flat, i * EMBEDDING, (i + 1) * EMBEDDING);
            }
            return out;
        }
    }

    @Override
    public void close() {
        manager.close();
    }


    private static Conv2d conv(int filters) {
        return Conv2d.builder().setKernelShape(new Shape(3, 3)).optStride(new Shape(2, 2)).optPadding(new Shape(1, 1))
                .setFilters(filters).build();
    }

    private static float[] values(ai.djl.nn.Block block, String parameter) {
        return block.getParameters().get(parameter).getArray().toFloatArray();
    }
}
