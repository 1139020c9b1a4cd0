package dev.kindred.benchmarks.imaging;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.kindred.imaging.EmbedderSettings;
import dev.kindred.imaging.ImageEmbedder;
import dev.kindred.imaging.ResNet50Files;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Image embedding throughput for a ResNet-50-shaped network at 224×224 on one intra-op thread: the same seeded
 * network as an ONNX file on ONNX Runtime and as a TorchScript file on PyTorch, both through
 * {@link ImageEmbedder} (the production path), and DJL's model-zoo {@code ResNetV1} block (50 layers, untrained)
 * run eagerly on PyTorch. Batch 1 and a small batch, the engines interleaved over rounds so that noise from a
 * shared machine hits them alike; also decode-and-resize time for a 2,048×2,048 PNG.
 *
 * <pre>
 * mvn -B -pl benchmarks -am package dependency:build-classpath -Dmdep.outputFile=target/classpath.txt -DskipTests
 * java -Xmx4g -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *     dev.kindred.benchmarks.imaging.ImageEmbeddingBenchmark --out benchmarks/results/$(date +%F)-imaging.md
 * </pre>
 * Options: {@code --rounds N} (5), {@code --images N} per measurement (24), {@code --batch N} (4),
 * {@code --work DIR} for the model files and native libraries ({@code benchmarks/target/imaging-benchmark}).
 */
public final class ImageEmbeddingBenchmark {
    private static final int SIZE = 224;

    private interface Runner {
        void embed(List<float[]> batch) throws Exception;
    }

    private ImageEmbeddingBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args);
        int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
        int images = Integer.parseInt(options.getOrDefault("images", "24"));
        int batch = Integer.parseInt(options.getOrDefault("batch", "4"));
        Path work = Files.createDirectories(Path.of(options.getOrDefault("work", "benchmarks/target/imaging-benchmark")));
        // As the service runs: offline, one intra-op thread, natives unpacked on this disk.
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("DJL_CACHE_DIR", work.resolve("djl-cache").toAbsolutePath().toString());
        setIfAbsent("ENGINE_CACHE_DIR", work.resolve("djl-cache").toAbsolutePath().toString());
        setIfAbsent("jna.tmpdir", work.resolve("jna").toAbsolutePath().toString());
        setIfAbsent("ai.djl.pytorch.num_threads", "1");
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
        setIfAbsent("ai.djl.onnx.disable_alternative", "true");

        StringBuilder report = new StringBuilder();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        line(report, out, "# Image embedding benchmark");
        line(report, out, "");
        line(report, out, "- date: " + LocalDate.now() + "; JVM: " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version") + "; cores: " + Runtime.getRuntime().availableProcessors()
                + "; CPU: " + cpuModel() + "; max heap: " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        line(report, out, "- DJL 0.36.0: PyTorch " + Engine.getEngine("PyTorch").getVersion() + ", ONNX Runtime "
                + Engine.getEngine("OnnxRuntime").getVersion() + "; one intra-op and one inter-op thread");
        line(report, out, "- command: `java -Xmx4g -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
                + " dev.kindred.benchmarks.imaging.ImageEmbeddingBenchmark " + String.join(" ", args) + "`");
        line(report, out, String.format(Locale.ROOT, "- load average at start: %.2f; %d rounds of %d images per"
                + " engine and batch size, engines interleaved", loadAtStart, rounds, images));
        line(report, out, "");

        long start = System.nanoTime();
        List<Path> files = ResNet50Files.write(work, 50);
        line(report, out, String.format(Locale.ROOT, "- wrote the seeded ResNet-50 as ONNX (%d MB) and TorchScript"
                + " (%d MB) in %.1f s", Files.size(files.get(0)) >> 20, Files.size(files.get(1)) >> 20, seconds(start)));

        byte[] xray = png(chestXray(2048));
        Map<String, ImageEmbedder> embedders = new LinkedHashMap<>();
        for (Path file : files) {
            start = System.nanoTime();
            ImageEmbedder embedder = ImageEmbedder.load(EmbedderSettings.builder(file).inputSize(SIZE, SIZE).build());
            embedders.put(embedder.settings().engine() + " (" + file.getFileName() + ")", embedder);
            line(report, out, String.format(Locale.ROOT, "- loaded %s on %s in %.1f s", file.getFileName(),
                    embedder.settings().engine(), seconds(start)));
        }
        ImageEmbedder onnx = embedders.values().iterator().next();
        List<float[]> inputs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            inputs.add(onnx.prepare(xray)); // warm-up
        }
        start = System.nanoTime();
        for (int i = 0; i < 16; i++) {
            onnx.prepare(xray);
        }
        line(report, out, String.format(Locale.ROOT, "- decode + antialiased resize + normalize of a 2048x2048"
                + " 8-bit PNG X-ray to 3x224x224 (after warm-up): %.1f ms per image", seconds(start) * 1000 / 16));

        Map<String, Runner> runners = new LinkedHashMap<>();
        Map<String, float[]> firstEmbedding = new LinkedHashMap<>();
        for (Map.Entry<String, ImageEmbedder> entry : embedders.entrySet()) {
            ImageEmbedder.Worker worker = entry.getValue().newWorker();
            runners.put(entry.getKey(), worker::embed);
            firstEmbedding.put(entry.getKey(), worker.embed(List.of(inputs.get(0)))[0]);
        }
        float[][] embeddings = firstEmbedding.values().toArray(new float[0][]);
        line(report, out, String.format(Locale.ROOT, "- same network on both engines: largest difference between"
                + " the two unit-length %d-d embeddings of one image %.2e", embeddings[0].length,
                maxAbsDifference(embeddings[0], embeddings[1])));

        Engine pytorch = Engine.getEngine("PyTorch");
        pytorch.setRandomSeed(50);
        NDManager manager = pytorch.newBaseManager();
        Block resnet = ResNetV1.builder().setImageShape(new Shape(3, SIZE, SIZE)).setNumLayers(50).setOutSize(1000).build();
        resnet.initialize(manager, DataType.FLOAT32, new Shape(1, 3, SIZE, SIZE));
        runners.put("PyTorch eager (DJL ResNetV1 block, 50 layers)", batchImages -> {
            try (NDManager pass = manager.newSubManager()) {
                FloatBuffer data = FloatBuffer.allocate(batchImages.size() * 3 * SIZE * SIZE);
                batchImages.forEach(data::put);
                data.flip();
                NDList input = new NDList(pass.create(data, new Shape(batchImages.size(), 3, SIZE, SIZE)));
                resnet.forward(new ParameterStore(pass, false), input, false).singletonOrThrow().toFloatArray();
            }
        });

        // Warm-up: first passes allocate, pick kernels and (TorchScript) compile.
        for (Runner runner : runners.values()) {
            for (int i = 0; i < 3; i++) {
                runner.embed(inputs.subList(0, 1));
                runner.embed(inputs.subList(0, batch));
            }
        }
        int[] batchSizes = {1, batch};
        Map<String, List<Double>> millisPerImage = new LinkedHashMap<>();
        Map<String, List<Double>> cpuMillisPerImage = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            for (Map.Entry<String, Runner> runner : runners.entrySet()) {
                for (int size : batchSizes) {
                    String key = runner.getKey() + "|" + size;
                    long cpuBefore = processCpuNanos();
                    long before = System.nanoTime();
                    for (int done = 0; done < images; done += size) {
                        runner.getValue().embed(inputs.subList(0, size));
                    }
                    long wall = System.nanoTime() - before;
                    millisPerImage.computeIfAbsent(key, k -> new ArrayList<>()).add(wall / 1e6 / images);
                    cpuMillisPerImage.computeIfAbsent(key, k -> new ArrayList<>())
                            .add((processCpuNanos() - cpuBefore) / 1e6 / images);
                }
            }
            out.printf(Locale.ROOT, "round %d done (load %.2f)%n", round,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }

        line(report, out, "");
        // On a machine shared with other builds a run gets only part of a core: CPU time per image (the whole
        // process, one intra-op thread) is less affected by that than wall time.
        line(report, out, "| network and engine | batch | wall ms per image, best round | median round |"
                + " embeddings/s, best round | CPU ms per image, median round |");
        line(report, out, "|---|---|---|---|---|---|");
        for (Map.Entry<String, List<Double>> entry : millisPerImage.entrySet()) {
            String[] key = entry.getKey().split("\\|");
            List<Double> sorted = new ArrayList<>(entry.getValue());
            sorted.sort(null);
            List<Double> cpu = new ArrayList<>(cpuMillisPerImage.get(entry.getKey()));
            cpu.sort(null);
            line(report, out, String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f | %.1f |", key[0], key[1],
                    sorted.get(0), sorted.get(sorted.size() / 2), 1000 / sorted.get(0), cpu.get(cpu.size() / 2)));
        }
        line(report, out, "");
        line(report, out, String.format(Locale.ROOT, "- load average at end: %.2f; total %.0f s",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), seconds(start)));
        if (options.containsKey("out")) {
            Files.writeString(Path.of(options.get("out")), report.toString(), StandardCharsets.UTF_8);
            out.println("wrote " + options.get("out"));
        }
        manager.close();
        embedders.values().forEach(ImageEmbedder::close);
    }

    private static BufferedImage chestXray(int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(40, 40, 40), 0, size, new Color(150, 150, 150)));
        g.fillRect(0, 0, size, size);
        g.setColor(new Color(25, 25, 25));
        g.fill(new Ellipse2D.Double(size * 0.15, size * 0.2, size * 0.3, size * 0.55));
        g.fill(new Ellipse2D.Double(size * 0.55, size * 0.2, size * 0.3, size * 0.55));
        g.dispose();
        return image;
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    private static double maxAbsDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void line(StringBuilder report, PrintStream out, String text) {
        report.append(text).append('\n');
        out.println(text);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + Arrays.toString(args));
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }
}
