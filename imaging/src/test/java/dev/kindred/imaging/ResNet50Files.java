package dev.kindred.imaging;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A ResNet-50-shaped embedder with seeded random weights, written as ONNX and as TorchScript from one
 * description, so both engines run the same network through {@link ImageEmbedder} (used by the imaging
 * benchmark to compare engines). The layout is DJL's {@code ResNetV1} with 50 layers: 7×7/2 stem, 3×3/2 max
 * pool, bottleneck units [3, 4, 6, 3] with widths 256, 512, 1024, 2048 (stride on the first 1×1 conv, as
 * DJL has it), global average pool; the output is the 2,048-d pooled feature, the usual image embedding.
 * Batch norms are folded into the convolutions, as an inference export does.
 */
public final class ResNet50Files {
    public static final int EMBEDDING = 2048;

    private record Conv(String name, int in, int out, int kernel, int stride, int pad, float[] weight, float[] bias) {}

    private final List<Conv> convs = new ArrayList<>();
    private final List<String> torchLines = new ArrayList<>();
    private final OnnxWriter onnx = new OnnxWriter();
    private final Random random;
    private String current = "x";
    private int tensors;

    private ResNet50Files(long seed) {
        this.random = new Random(seed);
        onnx.input("x", 3, 224, 224);
        String stem = relu(conv(current, 3, 64, 7, 2, 3, 1f));
        current = next();
        onnx.node("MaxPool", List.of(stem), current, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1});
        torchLines.add(current + " = torch.max_pool2d(" + stem + ", [3, 3], [2, 2], [1, 1], [1, 1], False)");
        int[] units = {3, 4, 6, 3};
        int[] widths = {256, 512, 1024, 2048};
        int channels = 64;
        for (int stage = 0; stage < units.length; stage++) {
            for (int unit = 0; unit < units[stage]; unit++) {
                int stride = stage > 0 && unit == 0 ? 2 : 1;
                channels = bottleneck(current, channels, widths[stage], stride);
            }
        }
        String pooled = next();
        onnx.node("GlobalAveragePool", List.of(current), pooled);
        onnx.node("Flatten", List.of(pooled), "embedding", "axis", 1);
        onnx.output("embedding", EMBEDDING);
        torchLines.add("return torch.flatten(torch.adaptive_avg_pool2d(" + current + ", [1, 1]), 1)");
    }

    /** Writes {@code resnet50.onnx} and {@code resnet50.pt} into {@code dir}: the same weights in both. */
    public static List<Path> write(Path dir, long seed) throws IOException {
        ResNet50Files network = new ResNet50Files(seed);
        Path onnxFile = dir.resolve("resnet50.onnx");
        Path torchFile = dir.resolve("resnet50.pt");
        for (Conv conv : network.convs) {
            network.onnx.initializer(conv.name + ".w", conv.weight, conv.out, conv.in, conv.kernel, conv.kernel);
            network.onnx.initializer(conv.name + ".b", conv.bias, conv.out);
        }
        network.onnx.write(onnxFile);
        TorchScriptWriter torch = new TorchScriptWriter("ResNet50");
        for (Conv conv : network.convs) {
            torch.parameter(conv.name + "_w", conv.weight, conv.out, conv.in, conv.kernel, conv.kernel);
            torch.parameter(conv.name + "_b", conv.bias, conv.out);
        }
        StringBuilder body = new StringBuilder();
        network.torchLines.forEach(line -> body.append("    ").append(line).append('\n'));
        torch.write(torchFile, body.toString());
        return List.of(onnxFile, torchFile);
    }

    private int bottleneck(String input, int in, int out, int stride) {
        String a = relu(conv(input, in, out / 4, 1, stride, 0, 1f));
        String b = relu(conv(a, out / 4, out / 4, 3, 1, 1, 1f));
        // The last conv of a unit starts small, as a zero-initialised last batch norm would keep it, so the
        // untrained activations stay in range over 16 units.
        String c = conv(b, out / 4, out, 1, 1, 0, 0.2f);
        String shortcut = in == out && stride == 1 ? input : conv(input, in, out, 1, stride, 0, 1f);
        String sum = next();
        onnx.node("Add", List.of(c, shortcut), sum);
        torchLines.add(sum + " = torch.add(" + c + ", " + shortcut + ")");
        current = relu(sum);
        return out;
    }

    private String conv(String input, int in, int out, int kernel, int stride, int pad, float gain) {
        String name = "conv" + convs.size();
        float[] weight = new float[out * in * kernel * kernel];
        double std = gain * Math.sqrt(2.0 / (in * kernel * kernel)); // He initialisation
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) (random.nextGaussian() * std);
        }
        float[] bias = new float[out];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = (float) (random.nextGaussian() * 0.01);
        }
        convs.add(new Conv(name, in, out, kernel, stride, pad, weight, bias));
        String output = next();
        onnx.node("Conv", List.of(input, name + ".w", name + ".b"), output, "kernel_shape", new long[] {kernel, kernel},
                "strides", new long[] {stride, stride}, "pads", new long[] {pad, pad, pad, pad});
        torchLines.add(output + " = torch.conv2d(" + input + ", self." + name + "_w, self." + name + "_b, [" + stride
                + ", " + stride + "], [" + pad + ", " + pad + "], [1, 1], 1)");
        return output;
    }

    private String relu(String input) {
        String output = next();
        onnx.node("Relu", List.of(input), output);
        torchLines.add(output + " = torch.relu(" + input + ")");
        return output;
    }

    private String next() {
        return "t" + tensors++;
    }
}
