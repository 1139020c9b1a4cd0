package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class ImageEmbedderTest {
    @TempDir
    static Path dir;

    static TestModels network;
    static Path onnxModel;

    @BeforeAll
    static void exportNetwork() throws Exception {
        network = TestModels.build();
        onnxModel = network.writeOnnx(dir);
    }

    @AfterAll
    static void closeNetwork() {
        network.close();
    }

    @Test
    void exportedOnnxModelReproducesTheDjlNetwork() throws Exception {
        EmbedderSettings settings = EmbedderSettings.builder(onnxModel).inputSize(64, 64).l2Normalize(false).build();
        try (ImageEmbedder embedder = ImageEmbedder.load(settings); ImageEmbedder.Worker worker = embedder.newWorker()) {
            List<float[]> prepared = List.of(embedder.prepare(TestImages.chestPng(256, 0)),
                    embedder.prepare(TestImages.chestJpeg(300, 3)));
            float[][] onnx = worker.embed(prepared);
            float[][] djl = network.referenceEmbeddings(prepared);
            assertThat(settings.engine()).isEqualTo("OnnxRuntime");
            for (int i = 0; i < 2; i++) {
                assertThat(onnx[i]).hasSize(TestModels.EMBEDDING).containsExactly(djl[i], within(1e-5f));
            }
            assertThat(onnx[0]).isNotEqualTo(onnx[1]);
        }
    }

    @Test
    void torchScriptModelWrittenFromJavaReproducesTheDjlNetwork() throws Exception {
        Path torchScript = network.writeTorchScript(dir.resolve("test-embedder.pt"));
        EmbedderSettings settings = EmbedderSettings.builder(torchScript).inputSize(64, 64).l2Normalize(false).build();
        try (ImageEmbedder embedder = ImageEmbedder.load(settings); ImageEmbedder.Worker worker = embedder.newWorker()) {
            List<float[]> prepared = List.of(embedder.prepare(TestImages.chestPng(256, 0)),
                    embedder.prepare(TestImages.chestJpeg(300, 3)));
            float[][] torch = worker.embed(prepared);
            float[][] djl = network.referenceEmbeddings(prepared);
            assertThat(settings.engine()).isEqualTo("PyTorch");
            for (int i = 0; i < 2; i++) {
                assertThat(torch[i]).hasSize(TestModels.EMBEDDING).containsExactly(djl[i], within(1e-5f));
            }
        }
    }

    @Test
    void embeddingsAreUnitLengthAndABatchGivesWhatSingleImagesGive() throws Exception {
        try (ImageEmbedder embedder = ImageEmbedder.load(settings().build()); ImageEmbedder.Worker worker = embedder.newWorker()) {
            List<float[]> prepared = List.of(embedder.prepare(TestImages.chestPng(256, 0)),
                    embedder.prepare(TestImages.chestPng(256, 1)), embedder.prepare(TestImages.chestJpeg(256, 2)));
            float[][] batch = worker.embed(prepared);
            for (int i = 0; i < prepared.size(); i++) {
                assertThat(norm(batch[i])).isCloseTo(1.0, within(1e-6));
                assertThat(batch[i]).containsExactly(worker.embed(List.of(prepared.get(i)))[0], within(1e-6f));
            }
        }
    }

    @Test
    void picksTheConfiguredOutputAndReducesAFeatureMap() throws Exception {
        byte[] image = TestImages.chestPng(200, 4);
        float[] features = embed(settings().outputName("features").l2Normalize(false), image);
        float[] averagedMap = embed(settings().outputName("r2").reduction(EmbedderSettings.OutputReduction.AVERAGE)
                .l2Normalize(false), image);
        float[] flattenedMap = embed(settings().outputIndex(2), image);
        float[] first = embed(settings(), image);

        assertThat(features).hasSize(TestModels.FEATURES);
        // Global average pooling done by the reduction equals the model's own GlobalAveragePool node.
        assertThat(averagedMap).containsExactly(features, within(1e-5f));
        assertThat(flattenedMap).hasSize(TestModels.FEATURES * 16 * 16);
        assertThat(first).hasSize(TestModels.EMBEDDING);
    }

    @Test
    void aModelThatCannotBeLoadedIsAModelErrorThatSaysWhy() throws Exception {
        Path garbageOnnx = Files.writeString(dir.resolve("garbage.onnx"), "not a model");
        Path garbageTorchScript = Files.writeString(dir.resolve("garbage.pt"), "not a model either");

        for (Path model : List.of(dir.resolve("missing.onnx"), garbageOnnx, garbageTorchScript)) {
            assertThatThrownBy(() -> ImageEmbedder.load(EmbedderSettings.builder(model).build()))
                    .isInstanceOfSatisfying(ImagingException.class, e -> {
                        assertThat(e.reason()).isEqualTo(FailureReason.MODEL_ERROR);
                        assertThat(e.getMessage()).contains(model.getFileName().toString());
                    });
        }
        assertThat(EmbedderSettings.builder(garbageTorchScript).build().engine()).isEqualTo("PyTorch");
        assertThatThrownBy(() -> EmbedderSettings.builder(dir.resolve("model.bin")).build())
                .hasMessageContaining("cannot tell the engine");
    }

    private static EmbedderSettings.Builder settings() {
        return EmbedderSettings.builder(onnxModel).inputSize(64, 64);
    }

    private static float[] embed(EmbedderSettings.Builder settings, byte[] image) throws ImagingException {
        try (ImageEmbedder embedder = ImageEmbedder.load(settings.build())) {
            return embedder.embed(image);
        }
    }

    private static double norm(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }
}
