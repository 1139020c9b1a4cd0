package dev.kindred.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A peer index that runs in a process of its own, over the vector files ({@link VectorFiles}): FAISS's C++
 * {@code IndexHNSWFlat} ({@code benchmarks/faiss/faiss_hnsw.cpp}) or Lucene 10 on JDK 25
 * ({@code benchmarks/lucene10/Lucene10Hnsw.java}). It builds once into a directory and is then started once per
 * round to sweep ef, so its rounds interleave with the in-process engines'. Its output lines are
 * {@code build_seconds=S} and {@code ef=E recall=R qps=Q}.
 */
final class PeerProcess {
    private static final Pattern BUILD = Pattern.compile("build_seconds=([0-9.]+)");
    private static final Pattern POINT = Pattern.compile("ef=(\\d+) recall=([0-9.]+) qps=([0-9.]+)");

    /** How to start the peer: the command before its own arguments. */
    private final String name;
    private final List<String> command;
    private final Path dir;

    private PeerProcess(String name, List<String> command, Path dir) {
        this.name = name;
        this.command = command;
        this.dir = dir;
    }

    /** FAISS's IndexHNSWFlat, through the compiled harness at {@code binary}. */
    static PeerProcess faiss(Path binary, Path dir) {
        return new PeerProcess("FAISS 1.7.3 IndexHNSWFlat", List.of(binary.toString()), dir);
    }

    /** Lucene 10's HNSW, with its core jar, the harness source and a JDK 21+ {@code java}. */
    static PeerProcess lucene10(Path java, Path jar, Path source, Path dir) {
        return new PeerProcess(luceneName(jar), List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-Dorg.apache.lucene.vectorization.upperJavaFeatureVersion=25", "-Xmx6g", "-cp", jar.toString(),
                source.toString()), dir);
    }

    private static String luceneName(Path jar) {
        Matcher m = Pattern.compile("lucene-core-([0-9.]+)\\.jar").matcher(jar.getFileName().toString());
        return "Lucene " + (m.matches() ? m.group(1) : "10") + " HNSW";
    }

    String name() {
        return name;
    }

    /** Builds the peer's index from {@code base}; returns the build time it reports, in seconds. */
    double build(Path base, boolean innerProduct, int m, int efConstruction) throws IOException {
        List<String> out = run(List.of("build", index().toString(), base.toString(), innerProduct ? "ip" : "l2",
                Integer.toString(m), Integer.toString(efConstruction)), "build");
        for (String line : out) {
            Matcher matcher = BUILD.matcher(line);
            if (matcher.find()) {
                return Double.parseDouble(matcher.group(1));
            }
        }
        throw new IOException(name + " reported no build time: " + out);
    }

    /**
     * One sweep over {@code efs}: recall@k against {@code truth} and queries per second, single-threaded.
     *
     * @param percent filter selectivity, or -1 for none
     */
    Map<Integer, double[]> sweep(Path queries, Path truth, int[] efs, int percent) throws IOException {
        StringJoiner list = new StringJoiner(",");
        for (int ef : efs) {
            list.add(Integer.toString(ef));
        }
        List<String> args = new ArrayList<>(List.of("search", index().toString(), queries.toString(), truth.toString(),
                list.toString()));
        if (percent >= 0) {
            args.add(Integer.toString(percent));
        }
        Map<Integer, double[]> points = new LinkedHashMap<>();
        for (String line : run(args, "search")) {
            Matcher m = POINT.matcher(line);
            if (m.find()) {
                points.put(Integer.parseInt(m.group(1)), new double[] {Double.parseDouble(m.group(2)),
                    Double.parseDouble(m.group(3))});
            }
        }
        return points;
    }

    private Path index() {
        return dir.resolve(name.replaceAll("[^A-Za-z0-9]+", "-") + ".index");
    }

    private List<String> run(List<String> args, String what) throws IOException {
        List<String> full = new ArrayList<>(command);
        full.addAll(args);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        }
        try {
            if (!process.waitFor(2, TimeUnit.HOURS) || process.exitValue() != 0) {
                throw new IOException(name + " " + what + " failed: " + String.join("\n", lines));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return lines;
    }
}
