package dev.kindred.imaging;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * How to run the hospital's model.
 *
 * @param modelPath TorchScript ({@code .pt}, {@code .pth}, {@code .torchscript}) or ONNX ({@code .onnx}) file
 * @param engine DJL engine name, or null to choose by the file extension ({@code PyTorch}, {@code OnnxRuntime})
 * @param inputWidth model input width in pixels; every image is resized to it
 * @param inputHeight model input height in pixels
 * @param channels model input channels: 3 (grayscale X-rays are replicated into R, G and B) or 1 (colour
 *     images are turned into luminance)
 * @param mean per-channel mean subtracted from pixel values in [0, 1] (one value, or one per channel)
 * @param std per-channel standard deviation the centred values are divided by (one value, or one per channel)
 * @param outputName name of the model output that holds the embedding, or null to use {@code outputIndex}
 * @param outputIndex position of the embedding among the model outputs when no name is given
 * @param reduction how a per-image output of more than one dimension becomes a vector
 * @param l2Normalize scale each image embedding to unit length
 * @param maxBatchSize most images in one forward pass; 1 for models exported with a fixed batch of one
 * @param intraOpThreads threads one forward pass may use (ONNX Runtime; PyTorch reads a JVM-wide setting)
 * @param maxImagePixels larger decoded images are refused as undecodable, before their pixels are read
 */
public record EmbedderSettings(
        Path modelPath,
        String engine,
        int inputWidth,
        int inputHeight,
        int channels,
        float[] mean,
        float[] std,
        String outputName,
        int outputIndex,
        OutputReduction reduction,
        boolean l2Normalize,
        int maxBatchSize,
        int intraOpThreads,
        long maxImagePixels) {

    /** ImageNet statistics, what torchvision-trained backbones expect. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** How a per-image output with more than one dimension (e.g. a C×H×W feature map) becomes a vector. */
    public enum OutputReduction {
        /** Keep every value, in row-major order. */
        FLATTEN,
        /** Average over everything after the first dimension: a C×H×W feature map becomes C values. */
        AVERAGE
    }

    public static final String PYTORCH = "PyTorch";
    public static final String ONNX_RUNTIME = "OnnxRuntime";

    public EmbedderSettings {
        Objects.requireNonNull(modelPath, "modelPath");
        Objects.requireNonNull(reduction, "reduction");
        if (inputWidth < 1 || inputHeight < 1) {
            throw new IllegalArgumentException("input size must be positive, got " + inputWidth + "x" + inputHeight);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        mean = perChannel("mean", mean, channels);
        std = perChannel("std", std, channels);
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std values must be positive, got " + Arrays.toString(std));
            }
        }
        if (outputIndex < 0) {
            throw new IllegalArgumentException("outputIndex must not be negative, got " + outputIndex);
        }
        if (maxBatchSize < 1 || intraOpThreads < 1 || maxImagePixels < 1) {
            throw new IllegalArgumentException("maxBatchSize, intraOpThreads and maxImagePixels must be positive");
        }
        if (engine == null) {
            engine = engineFor(modelPath);
        }
    }

    /** Defaults for a torchvision-style ImageNet backbone: 224×224, three channels, unit-length embeddings. */
    public static Builder builder(Path modelPath) {
        return new Builder(modelPath);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** Number of floats in one prepared image (channels × height × width). */
    public int inputLength() {
        return channels * inputHeight * inputWidth;
    }

    static String engineFor(Path modelPath) {
        String name = modelPath.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return ONNX_RUNTIME;
        }
        if (name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript")) {
            return PYTORCH;
        }
        throw new IllegalArgumentException("cannot tell the engine from the model file name " + name
                + ": use a .onnx or .pt (TorchScript) file, or set the engine explicitly");
    }

    private static float[] perChannel(String name, float[] values, int channels) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException(name + " must have one value or one per channel");
        }
        if (values.length == channels) {
            return values.clone();
        }
        if (values.length == 1) {
            float[] broadcast = new float[channels];
            Arrays.fill(broadcast, values[0]);
            return broadcast;
        }
        throw new IllegalArgumentException(name + " has " + values.length + " values for a " + channels
                + "-channel input: give one value or one per channel");
    }

    @Override
    public String toString() {
        return "EmbedderSettings[model=" + modelPath + ", engine=" + engine + ", input=" + channels + "x"
                + inputHeight + "x" + inputWidth + ", mean=" + Arrays.toString(mean) + ", std="
                + Arrays.toString(std) + ", output=" + (outputName != null ? outputName : "#" + outputIndex)
                + ", reduction=" + reduction + ", l2Normalize=" + l2Normalize + ", maxBatchSize=" + maxBatchSize
                + ", intraOpThreads=" + intraOpThreads + "]";
    }

    /** Builds settings from the defaults; only what differs needs to be set. */
    public static final class Builder {
        private final Path modelPath;
        private String engine;
        private int inputWidth = 224;
        private int inputHeight = 224;
        private int channels = 3;
        private float[] mean;
        private float[] std;
        private String outputName;
        private int outputIndex;
        private OutputReduction reduction = OutputReduction.FLATTEN;
        private boolean l2Normalize = true;
        private int maxBatchSize = 8;
        private int intraOpThreads = 1;
        private long maxImagePixels = 64L * 1024 * 1024;

        private Builder(Path modelPath) {
            this.modelPath = modelPath;
        }

        public Builder engine(String engine) {
            this.engine = engine;
            return this;
        }

        public Builder inputSize(int width, int height) {
            this.inputWidth = width;
            this.inputHeight = height;
            return this;
        }

        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        public Builder normalization(float[] mean, float[] std) {
            this.mean = mean;
            this.std = std;
            return this;
        }

        public Builder outputName(String outputName) {
            this.outputName = outputName;
            return this;
        }

        public Builder outputIndex(int outputIndex) {
            this.outputIndex = outputIndex;
            return this;
        }

        public Builder reduction(OutputReduction reduction) {
            this.reduction = reduction;
            return this;
        }

        public Builder l2Normalize(boolean l2Normalize) {
            this.l2Normalize = l2Normalize;
            return this;
        }

        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        public Builder intraOpThreads(int intraOpThreads) {
            this.intraOpThreads = intraOpThreads;
            return this;
        }

        public Builder maxImagePixels(long maxImagePixels) {
            this.maxImagePixels = maxImagePixels;
            return this;
        }

        public EmbedderSettings build() {
            // ImageNet statistics for colour input; for a one-channel model, 0.5/0.5 maps [0, 1] to [-1, 1].
            float[] defaultMean = channels == 3 ? IMAGENET_MEAN : new float[] {0.5f};
            float[] defaultStd = channels == 3 ? IMAGENET_STD : new float[] {0.5f};
            return new EmbedderSettings(modelPath, engine, inputWidth, inputHeight, channels,
                    mean != null ? mean : defaultMean, std != null ? std : defaultStd, outputName, outputIndex,
                    reduction, l2Normalize, maxBatchSize, intraOpThreads, maxImagePixels);
        }
    }
}
