package dev.kindred.imaging;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by {@link EmbeddingDeterminismIT} in a fresh JVM: rebuilds the seeded test network and writes it as
 * ONNX and TorchScript into {@code outDir}, and embeds {@code image} with the parent's model files, writing
 * the raw float bytes to {@code outDir/onnx.embedding} and {@code outDir/pt.embedding}.
 */
public final class EmbedInChildJvm {
    private EmbedInChildJvm() {}

    public static void main(String[] args) throws Exception {
        Path outDir = Path.of(args[0]);
        Path parentOnnx = Path.of(args[1]);
        Path parentTorchScript = Path.of(args[2]);
        byte[] image = Files.readAllBytes(Path.of(args[3]));
        try (TestModels network = TestModels.build()) {
            network.writeOnnx(outDir.resolve("test-embedder.onnx"), 0);
            network.writeTorchScript(outDir.resolve("test-embedder.pt"));
        }
        Files.write(outDir.resolve("onnx.embedding"), embed(parentOnnx, image));
        Files.write(outDir.resolve("pt.embedding"), embed(parentTorchScript, image));
    }

    static byte[] embed(Path model, byte[] image) throws ImagingException {
        try (ImageEmbedder embedder = ImageEmbedder.load(EmbedderSettings.builder(model)
                .inputSize(TestModels.INPUT_SIZE, TestModels.INPUT_SIZE).build())) {
            float[] embedding = embedder.embed(image);
            ByteBuffer bytes = ByteBuffer.allocate(embedding.length * Float.BYTES);
            bytes.asFloatBuffer().put(embedding);
            return bytes.array();
        }
    }
}
