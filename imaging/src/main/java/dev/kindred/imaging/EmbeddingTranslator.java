package dev.kindred.imaging;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Feeds a batch of prepared images to the model as one N×C×H×W tensor and reads one embedding per image
 * back. Only tensor creation and read-back touch the engine, so the same code runs on PyTorch and ONNX
 * Runtime (whose NDArrays support little else).
 */
final class EmbeddingTranslator implements NoBatchifyTranslator<List<float[]>, float[][]> {
    private static final String BATCH_SIZE = "kindred.batchSize";

    private final EmbedderSettings settings;

    EmbeddingTranslator(EmbedderSettings settings) {
        this.settings = settings;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, List<float[]> images) {
        int length = settings.inputLength();
        FloatBuffer batch = FloatBuffer.allocate(images.size() * length);
        for (float[] image : images) {
            if (image.length != length) {
                throw new IllegalArgumentException("a prepared image has " + image.length + " values, expected " + length);
            }
            batch.put(image);
        }
        batch.flip();
        ctx.setAttachment(BATCH_SIZE, images.size());
        Shape shape = new Shape(images.size(), settings.channels(), settings.inputHeight(), settings.inputWidth());
        return new NDList(ctx.getNDManager().create(batch, shape, DataType.FLOAT32));
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList outputs) {
        NDArray output = selectOutput(outputs);
        Shape shape = output.getShape();
        int batch = (int) ctx.getAttachment(BATCH_SIZE);
        if (shape.dimension() < 2 || shape.get(0) != batch) {
            throw new IllegalStateException("model output " + describe(output) + " does not start with the batch of "
                    + batch + " images; choose another output or export the model with a batch dimension");
        }
        float[] values = output.toType(DataType.FLOAT32, false).toFloatArray();
        int perImage = values.length / batch;
        int channels = (int) shape.get(1);
        float[][] embeddings = new float[batch][];
        for (int i = 0; i < batch; i++) {
            float[] embedding = settings.reduction() == EmbedderSettings.OutputReduction.AVERAGE
                    ? averagePerChannel(values, i * perImage, channels, perImage / channels)
                    : Arrays.copyOfRange(values, i * perImage, (i + 1) * perImage);
            embeddings[i] = settings.l2Normalize() ? Vectors.l2Normalized(embedding) : embedding;
        }
        return embeddings;
    }

    private NDArray selectOutput(NDList outputs) {
        if (settings.outputName() != null) {
            for (NDArray output : outputs) {
                if (settings.outputName().equals(output.getName())) {
                    return output;
                }
            }
            throw new IllegalStateException("the model has no output named " + settings.outputName() + "; outputs: "
                    + describeAll(outputs));
        }
        if (settings.outputIndex() >= outputs.size()) {
            throw new IllegalStateException("the model has " + outputs.size() + " outputs, no output #"
                    + settings.outputIndex() + "; outputs: " + describeAll(outputs));
        }
        return outputs.get(settings.outputIndex());
    }

    private static float[] averagePerChannel(float[] values, int offset, int channels, int perChannel) {
        float[] averaged = new float[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            int start = offset + c * perChannel;
            for (int i = start; i < start + perChannel; i++) {
                sum += values[i];
            }
            averaged[c] = (float) (sum / perChannel);
        }
        return averaged;
    }

    private static String describeAll(NDList outputs) {
        StringBuilder text = new StringBuilder();
        for (NDArray output : outputs) {
            text.append(text.length() == 0 ? "" : ", ").append(describe(output));
        }
        return text.toString();
    }

    private static String describe(NDArray output) {
        return (output.getName() != null ? output.getName() : "unnamed") + " " + output.getShape();
    }
}
