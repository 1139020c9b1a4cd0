package dev.kindred.benchmarks;

import dev.kindred.benchmarks.Datasets.Dataset;
import dev.kindred.benchmarks.Engines.Engine;
import dev.kindred.index.IndexStats;
import dev.kindred.index.kernels.VectorMath;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
import java.util.Random;

/**
 * The index benchmark: builds each dataset in Kindred's index, stock hnswlib-core and Lucene's HNSW (same M and
 * efConstruction, one thread), and reports in one run build time, upsert latency for changed vectors,
 * single-thread search throughput against recall@10 (an ef sweep, best of three rounds, the engines
 * interleaved so that noise from a shared machine hits them alike), exact search, and restart from a
 * snapshot against a rebuild.
 *
 * <p>A harness of its own rather than JMH: an index is built once and then measured at many settings, and
 * recall must be computed on the very searches that are timed. The distance kernels, which fit JMH, are in
 * {@link DistanceKernelBenchmark}.
 *
 * <pre>
 * mvn -B -Pbenchmarks -pl benchmarks -am package -DskipTests
 * java --add-modules jdk.incubator.vector -Xmx6g -cp benchmarks/target/benchmarks.jar \
 *     dev.kindred.benchmarks.IndexBenchmark [--quick] [--only clinical|image] [--out FILE]
 * </pre>
 */
public final class IndexBenchmark {
    private static final int K = 10;
    private static final int[] EF_SWEEP = {10, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 200, 256, 320, 400, 512};
    private static final int ROUNDS = 3;
    private static final long MIN_MEASURE_NANOS = 400_000_000L;
    private static final double[] TARGETS = {0.95, 0.99};
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final PrintStream out;
    private final boolean quick;

    private IndexBenchmark(PrintStream out, boolean quick) {
        this.out = out;
        this.quick = quick;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        String only = null;
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only" -> only = args[++i];
                case "--out" -> file = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --quick, --only clinical|image, --out FILE)");
            }
        }
        StringBuilder report = new StringBuilder();
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                System.out.write(b);
                report.append((char) b);
            }

            @Override
            public void flush() {
                System.out.flush();
            }
        }, true, StandardCharsets.UTF_8);
        IndexBenchmark bench = new IndexBenchmark(tee, quick);
        bench.header();
        if (only == null || only.equals("clinical")) {
            bench.run(Datasets.clinical(quick ? 20_000 : 100_000, quick ? 200 : 1000), quick ? 200 : 1000);
        }
        if (only == null || only.equals("image")) {
            bench.run(Datasets.image(quick ? 4_000 : 20_000, quick ? 100 : 500), quick ? 100 : 500);
        }
        if (file != null) {
            Files.writeString(file, report.toString(), StandardCharsets.UTF_8);
        }
    }

    private void header() {
        out.printf("# Index benchmark%n%n");
        out.printf("- date: %s; JVM: %s %s; cores: %d; max heap: %d MiB%n", LocalDate.now(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        out.printf("- JVM flags: %s%n", ManagementFactory.getRuntimeMXBean().getInputArguments());
        out.printf("- Kindred distance kernels: %s; load average at start: %.2f%n",
                VectorMath.simdEnabled() ? "Vector API (SIMD)" : "scalar",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.printf("- all indexes: M=%d, efConstruction=%d, k=%d, single-thread build and search%n%n", Engines.M,
                Engines.EF_CONSTRUCTION, K);
    }

    private record Point(int ef, double recall, double qps) {
    }

    private void run(Dataset data, int queryCount) throws Exception {
        int n = data.base().length;
        int upserts = quick ? 200 : 1000;
        out.printf("## %s, %d queries%n%n", data.name(), queryCount);
        int[][] truth = Datasets.groundTruth(data.base(), data.queries(), data.metric(), K);
        Path tmp = Files.createTempDirectory("kindred-bench");

        Engines.Kindred kindred = new Engines.Kindred(data.metric(), n);
        Engines.Hnswlib hnswlib = new Engines.Hnswlib(data.metric(), n, 2 * upserts);
        Engines.Lucene lucene = new Engines.Lucene(data.metric(), tmp.resolve("lucene"));
        List<Engine> engines = List.of(kindred, hnswlib, lucene);
        Map<Engine, Double> buildSeconds = new LinkedHashMap<>();
        for (Engine e : engines) {
            System.gc();
            long t0 = System.nanoTime();
            e.build(data.base());
            buildSeconds.put(e, (System.nanoTime() - t0) / 1e9);
            out.printf("built %s in %.1f s (load %.2f)%n", e.name(), buildSeconds.get(e), load());
        }
        Engine exact = new Engines.Exact(kindred);

        // warm-up: every engine over the queries at a middle ef
        for (Engine e : engines) {
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until) {
                for (float[] q : data.queries()) {
                    e.search(q, K, 64);
                }
            }
        }

        Map<Engine, Map<Integer, Point>> sweep = new LinkedHashMap<>();
        engines.forEach(e -> sweep.put(e, new LinkedHashMap<>()));
        for (int round = 0; round < ROUNDS; round++) {
            for (int ef : EF_SWEEP) {
                for (Engine e : engines) {
                    Point p = measure(e, data.queries(), truth, ef);
                    sweep.get(e).merge(ef, p, (a, b) -> a.qps() >= b.qps() ? a : b);
                }
            }
            out.printf("search round %d done (load %.2f)%n", round + 1, load());
        }
        Point exactPoint = measure(exact, data.queries(), truth, K);
        out.println();

        // restart before upserts, so every engine saves the same freshly built index
        Map<Engine, long[]> restart = new LinkedHashMap<>();
        for (Engine e : engines) {
            restart.put(e, e.restart(tmp));
        }

        // upserts of changed vectors: the same keys and new vectors for every engine
        // (after a warm-up of as many upserts of other keys, so the update paths are compiled)
        Random random = new Random(7);
        int[] all = random.ints(0, n).distinct().limit(2L * upserts).toArray();
        int[] warmIds = Arrays.copyOfRange(all, upserts, 2 * upserts);
        int[] ids = Arrays.copyOf(all, upserts);
        float[][] warmMoved = data.generator().next(upserts);
        float[][] moved = data.generator().next(upserts);
        // The engines take turns in chunks of 50, so that load from elsewhere on a shared machine hits them alike;
        // wall time and the thread's CPU time are both recorded.
        Map<Engine, double[]> upsertMicros = new LinkedHashMap<>();
        Map<Engine, Long> upsertCpuNanos = new LinkedHashMap<>();
        Map<Engine, Long> publishNanos = new LinkedHashMap<>();
        for (Engine e : engines) {
            for (int i = 0; i < upserts; i++) {
                e.upsert(warmIds[i], warmMoved[i]);
            }
            e.publishUpserts();
            upsertMicros.put(e, new double[upserts]);
            upsertCpuNanos.put(e, 0L);
        }
        for (int chunk = 0; chunk < upserts; chunk += 50) {
            for (Engine e : engines) {
                double[] micros = upsertMicros.get(e);
                long cpu0 = THREADS.getCurrentThreadCpuTime();
                for (int i = chunk; i < Math.min(upserts, chunk + 50); i++) {
                    long t0 = System.nanoTime();
                    e.upsert(ids[i], moved[i]);
                    micros[i] = (System.nanoTime() - t0) / 1000.0;
                }
                upsertCpuNanos.merge(e, THREADS.getCurrentThreadCpuTime() - cpu0, Long::sum);
            }
        }
        for (Engine e : engines) {
            publishNanos.put(e, e.publishUpserts());
        }
        float[][] updated = data.base().clone();
        for (int i = 0; i < upserts; i++) {
            updated[warmIds[i]] = warmMoved[i];
            updated[ids[i]] = moved[i];
        }
        int[][] truthAfter = Datasets.groundTruth(updated, data.queries(), data.metric(), K);

        // ---------------------------------------------------------------------------------------- report
        Map<Engine, Point[]> atTarget = new LinkedHashMap<>();
        for (Engine e : engines) {
            Point[] best = new Point[TARGETS.length];
            for (int t = 0; t < TARGETS.length; t++) {
                for (Point p : sweep.get(e).values()) {
                    if (p.recall() >= TARGETS[t] && (best[t] == null || p.qps() > best[t].qps())) {
                        best[t] = p;
                    }
                }
            }
            atTarget.put(e, best);
        }
        out.printf("### Search (single thread; fastest ef reaching the recall; best of %d rounds)%n%n", ROUNDS);
        out.printf("| engine | recall@10 >= 0.95: ef, recall, queries/s | recall@10 >= 0.99: ef, recall, queries/s |%n");
        out.printf("|---|---|---|%n");
        for (Engine e : engines) {
            Point[] b = atTarget.get(e);
            out.printf("| %s | %s | %s |%n", e.name(), cell(b[0]), cell(b[1]));
        }
        out.printf("| %s | exact, %.3f, %,.0f | exact, %.3f, %,.0f |%n%n", exact.name(), exactPoint.recall(),
                exactPoint.qps(), exactPoint.recall(), exactPoint.qps());
        Point[] ours = atTarget.get(kindred);
        for (Engine e : List.of(hnswlib, lucene)) {
            Point[] theirs = atTarget.get(e);
            out.printf("- Kindred / %s queries/s: %s at >= 0.95, %s at >= 0.99%n", e.name(), ratio(ours[0], theirs[0]),
                    ratio(ours[1], theirs[1]));
        }
        out.printf("- Kindred / exact scan queries/s at >= 0.99: %s%n%n", ratio(ours[1], exactPoint));

        out.printf("### Build, upsert, restart%n%n");
        out.printf("| engine | build s | upsert changed vector, us: mean / p50 / p99 wall, mean CPU | restart: save / load ms, MB |%n");
        out.printf("|---|---|---|---|%n");
        for (Engine e : engines) {
            double[] u = upsertMicros.get(e).clone();
            Arrays.sort(u);
            long[] r = restart.get(e);
            String publish = publishNanos.get(e) > 0
                    ? String.format(Locale.ROOT, " (+ %.0f ms reopen for all %d)", publishNanos.get(e) / 1e6, upserts) : "";
            out.printf(Locale.ROOT, "| %s | %.1f | %.0f / %.0f / %.0f, %.0f%s | %s |%n", e.name(), buildSeconds.get(e),
                    Arrays.stream(u).average().orElse(0), u[u.length / 2], u[(int) (u.length * 0.99)],
                    upsertCpuNanos.get(e) / 1000.0 / upserts, publish,
                    r == null ? "n/a" : String.format(Locale.ROOT, "%.0f / %.0f, %.1f", r[0] / 1e6, r[1] / 1e6,
                            r[2] / 1e6));
        }
        double[] oursUpsert = upsertMicros.get(kindred).clone();
        double[] stockUpsert = upsertMicros.get(hnswlib).clone();
        Arrays.sort(oursUpsert);
        Arrays.sort(stockUpsert);
        out.printf(Locale.ROOT, "%n- Kindred / hnswlib upsert latency: mean %.2f, p50 %.2f, mean CPU %.2f%n",
                Arrays.stream(oursUpsert).average().orElse(0) / Arrays.stream(stockUpsert).average().orElse(1),
                oursUpsert[upserts / 2] / stockUpsert[upserts / 2],
                upsertCpuNanos.get(kindred) / (double) upsertCpuNanos.get(hnswlib));
        long[] ourRestart = restart.get(kindred);
        out.printf(Locale.ROOT, "- Kindred restart from snapshot: %.2f s load vs %.1f s rebuild (%.0fx faster)%n",
                ourRestart[1] / 1e9, buildSeconds.get(kindred), buildSeconds.get(kindred) / (ourRestart[1] / 1e9));
        IndexStats stats = kindred.index().stats();
        out.printf(Locale.ROOT, "- Kindred index after upserts: %d items, %d slots, %.1f MB estimated%n", stats.size(),
                stats.slots(), stats.estimatedBytes() / 1e6);

        out.printf("%n### Recall after %d upserts of changed vectors (graph quality after in-place updates)%n%n",
                2 * upserts);
        out.printf("| engine | ef | recall@10 before | recall@10 after |%n|---|---|---|---|%n");
        for (Engine e : List.of(kindred, hnswlib)) {
            Point[] b = atTarget.get(e);
            int ef = b[1] != null ? b[1].ef() : EF_SWEEP[EF_SWEEP.length - 1];
            Point before = sweep.get(e).get(ef);
            Point after = measure(e, data.queries(), truthAfter, ef);
            out.printf(Locale.ROOT, "| %s | %d | %.4f | %.4f |%n", e.name(), ef, before.recall(), after.recall());
        }

        out.printf("%n<details><summary>ef sweep (recall@10, queries/s)</summary>%n%n| ef |");
        engines.forEach(e -> out.printf(" %s |", e.name()));
        out.printf("%n|---|");
        engines.forEach(e -> out.print("---|"));
        out.println();
        for (int ef : EF_SWEEP) {
            out.printf("| %d |", ef);
            for (Engine e : engines) {
                Point p = sweep.get(e).get(ef);
                out.printf(Locale.ROOT, " %.4f, %,.0f |", p.recall(), p.qps());
            }
            out.println();
        }
        out.printf("%n</details>%n%n");
        for (Engine e : engines) {
            e.close();
        }
        deleteTree(tmp);
    }

    private static String cell(Point p) {
        return p == null ? "not reached" : String.format(Locale.ROOT, "%d, %.3f, %,.0f", p.ef(), p.recall(), p.qps());
    }

    private static String ratio(Point ours, Point theirs) {
        return ours == null || theirs == null ? "n/a" : String.format(Locale.ROOT, "%.2fx", ours.qps() / theirs.qps());
    }

    private Point measure(Engine e, float[][] queries, int[][] truth, int ef) throws IOException {
        long hits = 0;
        long start = System.nanoTime();
        for (int q = 0; q < queries.length; q++) {
            int[] found = e.search(queries[q], K, ef);
            hits += overlap(found, truth[q]);
        }
        long elapsed = System.nanoTime() - start;
        long done = queries.length;
        while (elapsed < MIN_MEASURE_NANOS) {
            for (float[] query : queries) {
                e.search(query, K, ef);
            }
            done += queries.length;
            elapsed = System.nanoTime() - start;
        }
        return new Point(ef, hits / (double) (queries.length * K), done / (elapsed / 1e9));
    }

    private static int overlap(int[] found, int[] truth) {
        int n = 0;
        for (int f : found) {
            for (int t : truth) {
                if (f == t) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> paths = new ArrayList<>();
        try (var walk = Files.walk(dir)) {
            walk.forEach(paths::add);
        }
        for (int i = paths.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(paths.get(i));
        }
    }
}
