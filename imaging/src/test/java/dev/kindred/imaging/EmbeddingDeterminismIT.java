package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The same image and model file give the same embedding bytes in another JVM, on both engines. */
@Timeout(240)
class EmbeddingDeterminismIT {
    @TempDir
    Path dir;

    @Test
    void aChildJvmRebuildsTheSameModelFilesAndComputesTheSameEmbeddingBytes() throws Exception {
        Path parentDir = Files.createDirectories(dir.resolve("parent"));
        Path childDir = Files.createDirectories(dir.resolve("child"));
        Path image = Files.write(dir.resolve("chest.png"), TestImages.chestPng(512, 3));
        Path onnx;
        Path torchScript;
        try (TestModels network = TestModels.build()) {
            onnx = network.writeOnnx(parentDir.resolve("test-embedder.onnx"), 0);
            torchScript = network.writeTorchScript(parentDir.resolve("test-embedder.pt"));
        }
        byte[] onnxEmbedding = EmbedInChildJvm.embed(onnx, Files.readAllBytes(image));
        byte[] torchEmbedding = EmbedInChildJvm.embed(torchScript, Files.readAllBytes(image));

        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(childCommand(childDir.toString(), onnx.toString(), torchScript.toString(),
                image.toString())).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited = child.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }
        assertThat(exited).as("child JVM finished; its log:%n%s", Files.readString(log)).isTrue();
        assertThat(child.exitValue()).as("child JVM exit code; its log:%n%s", Files.readString(log)).isZero();

        assertThat(onnxEmbedding).hasSize(TestModels.EMBEDDING * Float.BYTES);
        assertThat(Files.readAllBytes(childDir.resolve("onnx.embedding"))).isEqualTo(onnxEmbedding);
        assertThat(Files.readAllBytes(childDir.resolve("pt.embedding"))).isEqualTo(torchEmbedding);
        // The fixed seed gives the same weights in a fresh JVM, so the model files are identical too.
        assertThat(Files.readAllBytes(childDir.resolve("test-embedder.onnx"))).isEqualTo(Files.readAllBytes(onnx));
        assertThat(Files.readAllBytes(childDir.resolve("test-embedder.pt"))).isEqualTo(Files.readAllBytes(torchScript));
    }

    /** The same java, classpath and DJL settings as this JVM. */
    private static List<String> childCommand(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        for (Map.Entry<Object, Object> property : System.getProperties().entrySet()) {
            String key = property.getKey().toString();
            if (key.startsWith("ai.djl.") || key.endsWith("CACHE_DIR") || key.equals("jna.tmpdir")) {
                command.add("-D" + key + "=" + property.getValue());
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EmbedInChildJvm.class.getName());
        command.addAll(List.of(args));
        return command;
    }
}
