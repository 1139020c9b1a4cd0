package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
}
