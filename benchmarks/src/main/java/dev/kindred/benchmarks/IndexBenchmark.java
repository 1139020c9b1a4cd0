package dev.kindred.benchmarks;

import dev.kindred.benchmarks.Datasets.Dataset;
import dev.kindred.benchmarks.Engines.Engine;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.IndexStats;
import dev.kindred.index.Quantization;
import dev.kindred.index.kernels.VectorMath;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The index benchmark. For each dataset it builds Kindred's index with float vectors, int8 codes and 1-bit codes,
 * Lucene 9.12.3's HNSW in this JVM (with its SIMD vectorization when run on JDK 25 with the incubator module),
 * and, in processes of their own over the same vectors written to files, FAISS's C++ {@code IndexHNSWFlat}
 * ({@code --faiss}) and Lucene 10 ({@code --lucene10}); stock hnswlib-core with {@code --hnswlib}. All with
 * M=16, efConstruction=200, one thread. It reports, in one run: build time, memory, single-thread queries/s
 * against recall@10 over an ef sweep, unfiltered and with a filter that keeps 5% of the items, exact search,
 * upserts of changed vectors and restart from a snapshot ({@link UpsertBenchmark}). The sweeps run in rounds
 * (best of three) with the engines interleaved, the peer processes once per round, so that load from elsewhere on
 * a shared machine hits them alike: compare ratios within a run.
 *
 * <p>A harness of its own rather than JMH: an index is built once and then measured at many settings, and recall
 * must be computed on the very searches that are timed. The distance kernels, which fit JMH, are in
 * {@link DistanceKernelBenchmark}. Commands: see the README ("Performance / HNSW index").
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx8g -cp benchmarks/target/benchmarks.jar \
 *     dev.kindred.benchmarks.IndexBenchmark [--quick | --smoke] [--only clinical|image] [--out FILE] \
 *     [--faiss benchmarks/target/faiss_hnsw] [--lucene10 benchmarks/target/lucene10/lucene-core-10.6.0.jar \
 *      --java25 /usr/lib/jvm/temurin-25-jdk-amd64/bin/java] [--hnswlib]
 * </pre>
 */
public final class IndexBenchmark {
    static final int K = 10;
    private static final int[] EF_SWEEP = {10, 16, 24, 32, 40, 48, 64, 80, 96, 128, 160, 200, 256, 320, 400, 512};
    private static final int[] FILTERED_EF_SWEEP = {16, 32, 64, 128, 256};
    private static final double[] TARGETS = {0.95, 0.98, 0.99};

    private final PrintStream out;
    private final Options options;

    /** What to run. */
    record Options(boolean quick, boolean smoke, String only, Path out, Path faiss, Path lucene10, Path java25,
            Path lucene10Source, boolean hnswlib) {

        static Options parse(String[] args) {
            boolean quick = false;
            boolean smoke = false;
            boolean hnswlib = false;
            String only = null;
            Path file = null;
            Path faiss = null;
            Path lucene10 = null;
            Path java25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
            Path source = Path.of("benchmarks/lucene10/Lucene10Hnsw.java");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--smoke" -> smoke = true;
                    case "--hnswlib" -> hnswlib = true;
                    case "--only" -> only = args[++i];
                    case "--out" -> file = Path.of(args[++i]);
                    case "--faiss" -> faiss = Path.of(args[++i]);
                    case "--lucene10" -> lucene10 = Path.of(args[++i]);
                    case "--java25" -> java25 = Path.of(args[++i]);
                    case "--lucene10-source" -> source = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --quick,"
                            + " --smoke, --only clinical|image, --out FILE, --faiss BINARY, --lucene10 JAR, --java25"
                            + " JAVA, --lucene10-source FILE, --hnswlib)");
                }
            }
            return new Options(quick, smoke, only, file, faiss, lucene10, java25, source, hnswlib);
        }

        int rounds() {
            return smoke ? 1 : 3;
        }

        long minMeasureNanos() {
            return smoke ? 20_000_000L : 400_000_000L;
        }
    }

    IndexBenchmark(PrintStream out, Options options) {
        this.out = out;
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
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
        new IndexBenchmark(tee, options).runAll();
        if (options.out() != null) {
            Files.writeString(options.out(), report.toString(), StandardCharsets.UTF_8);
        }
    }

    void runAll() throws Exception {
        header();
        boolean small = options.quick() || options.smoke();
        if (options.only() == null || options.only().equals("clinical")) {
            int n = options.smoke() ? 3_000 : options.quick() ? 20_000 : 100_000;
            int queries = options.smoke() ? 50 : options.quick() ? 200 : 1000;
            run(Datasets.clinical(n, queries));
        }
        if (options.only() == null || options.only().equals("image")) {
            int n = options.smoke() ? 1_500 : small ? 4_000 : 20_000;
            int queries = options.smoke() ? 30 : small ? 100 : 500;
            run(options.smoke() ? Datasets.image(n, queries, 256) : Datasets.image(n, queries));
        }
    }

    private void header() {
        out.printf("# Index benchmark%n%n");
        out.printf("- date: %s; JVM: %s %s; cores: %d; max heap: %d MiB%n", LocalDate.now(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        out.printf("- JVM flags: %s%n", ManagementFactory.getRuntimeMXBean().getInputArguments());
        out.printf("- Kindred distance kernels: %s; load average at start: %.2f%n",
                VectorMath.simdEnabled() ? "Vector API (SIMD)" : "scalar", load());
        out.printf("- all indexes: M=%d, efConstruction=%d, k=%d, single-thread build and search; filtered searches"
                + " keep %d%% of the items (a hash of the id)%n%n", Engines.M, Engines.EF_CONSTRUCTION, K,
                Engines.FILTER_PERCENT);
    }

    /** One point of a sweep: ef, recall@k, queries per second. */
    record Point(int ef, double recall, double qps) {
    }

    /** An engine's results: build time, and the best (fastest) point per ef of each sweep. */
    static final class Results {
        final String name;
        double buildSeconds;
        IndexStats stats;
        final Map<Integer, Point> sweep = new LinkedHashMap<>();
        final Map<Integer, Point> filtered = new LinkedHashMap<>();

        Results(String name) {
            this.name = name;
        }

        void merge(Map<Integer, Point> into, Point p) {
            into.merge(p.ef(), p, (a, b) -> a.qps() >= b.qps() ? a : b);
        }

        /** The fastest point reaching {@code target}, or null. */
        Point fastest(Map<Integer, Point> points, double target) {
            Point best = null;
            for (Point p : points.values()) {
                if (p.recall() >= target && (best == null || p.qps() > best.qps())) {
                    best = p;
                }
            }
            return best;
        }
    }

    private void run(Dataset data) throws Exception {
        int n = data.base().length;
        int queryCount = data.queries().length;
        out.printf("## %s, %d queries%n%n", data.name(), queryCount);
        int[][] truth = Datasets.groundTruth(data.base(), data.queries(), data.metric(), K);
        int[][] filteredTruth = Datasets.groundTruth(data.base(), data.queries(), data.metric(), K,
                Engines.FILTER_PERCENT);
        Path tmp = Files.createTempDirectory("kindred-bench");

        Engines.Kindred kindred = new Engines.Kindred(data.metric(), Quantization.NONE, n, tmp);
        List<Engine> engines = new ArrayList<>(List.of(kindred,
                new Engines.Kindred(data.metric(), Quantization.int8(), n, tmp),
                new Engines.Kindred(data.metric(), Quantization.binary(), n, tmp),
                new Engines.Lucene(data.metric(), tmp.resolve("lucene"))));
        if (options.hnswlib()) {
            engines.add(new Engines.Hnswlib(data.metric(), n, 2 * UpsertBenchmark.upserts(options)));
        }
        Map<Engine, Results> results = new LinkedHashMap<>();
        for (Engine e : engines) {
            Results r = new Results(e.name());
            System.gc();
            long t0 = System.nanoTime();
            e.build(data.base());
            r.buildSeconds = (System.nanoTime() - t0) / 1e9;
            if (e instanceof Engines.Kindred k) {
                r.stats = k.index().stats();
            }
            results.put(e, r);
            out.printf("built %s in %.1f s (load %.2f)%n", e.name(), r.buildSeconds, load());
        }
        Map<PeerProcess, Results> peers = buildPeers(data, truth, filteredTruth, tmp);
        Engine exact = new Engines.Exact(kindred);

        for (Engine e : engines) { // warm-up: every engine over the queries at a middle ef
            long until = System.nanoTime() + (options.smoke() ? 100_000_000L : 2_000_000_000L);
            while (System.nanoTime() < until) {
                for (float[] q : data.queries()) {
                    e.search(q, K, 64);
                    e.searchFiltered(q, K, 64, Engines.FILTER_PERCENT);
                }
            }
        }
        int[] efs = options.smoke() ? new int[] {16, 64, 128} : EF_SWEEP;
        int[] filteredEfs = options.smoke() ? new int[] {64} : FILTERED_EF_SWEEP;
        for (int round = 0; round < options.rounds(); round++) {
            for (int ef : efs) {
                for (Engine e : engines) {
                    Results r = results.get(e);
                    r.merge(r.sweep, measure(e, data.queries(), truth, ef, -1));
                }
            }
            for (int ef : filteredEfs) {
                for (Engine e : engines) {
                    Point p = measure(e, data.queries(), filteredTruth, ef, Engines.FILTER_PERCENT);
                    if (p != null) {
                        results.get(e).merge(results.get(e).filtered, p);
                    }
                }
            }
            for (Map.Entry<PeerProcess, Results> peer : peers.entrySet()) {
                Results r = peer.getValue();
                peer.getKey().sweep(tmp.resolve("queries.fvecs"), tmp.resolve("truth.ivecs"), efs, -1)
                        .forEach((ef, p) -> r.merge(r.sweep, new Point(ef, p[0], p[1])));
                peer.getKey().sweep(tmp.resolve("queries.fvecs"), tmp.resolve("truth-filtered.ivecs"), filteredEfs,
                        Engines.FILTER_PERCENT).forEach((ef, p) -> r.merge(r.filtered, new Point(ef, p[0], p[1])));
            }
            out.printf("search round %d done (load %.2f)%n", round + 1, load());
        }
        Point exactPoint = measure(exact, data.queries(), truth, K, -1);
        Point exactFiltered = measure(exact, data.queries(), filteredTruth, K, Engines.FILTER_PERCENT);
        out.println();

        Map<String, Results> all = new LinkedHashMap<>();
        results.values().forEach(r -> all.put(r.name, r));
        peers.values().forEach(r -> all.put(r.name, r));
        new Report(out, all, results.get(kindred), exactPoint, exactFiltered).print(efs, filteredEfs);
        new UpsertBenchmark(out, options, data).run(engines.stream()
                .filter(e -> e == kindred || !(e instanceof Engines.Kindred)).toList(), results, tmp);
        for (Engine e : engines) {
            e.close();
        }
        deleteTree(tmp);
    }

    private Map<PeerProcess, Results> buildPeers(Dataset data, int[][] truth, int[][] filteredTruth, Path tmp)
            throws IOException {
        List<PeerProcess> peers = new ArrayList<>();
        if (options.faiss() != null) {
            peers.add(PeerProcess.faiss(options.faiss(), tmp));
        }
        if (options.lucene10() != null) {
            peers.add(PeerProcess.lucene10(options.java25(), options.lucene10(), options.lucene10Source(), tmp));
        }
        Map<PeerProcess, Results> built = new LinkedHashMap<>();
        if (peers.isEmpty()) {
            return built;
        }
        boolean cosine = data.metric() == DistanceMetric.COSINE;
        if (data.metric() == DistanceMetric.INNER_PRODUCT) {
            throw new IllegalArgumentException("the peers are run for Euclidean and cosine datasets only");
        }
        VectorFiles.writeFvecs(tmp.resolve("base.fvecs"), data.base(), cosine);
        VectorFiles.writeFvecs(tmp.resolve("queries.fvecs"), data.queries(), cosine);
        VectorFiles.writeIvecs(tmp.resolve("truth.ivecs"), truth);
        VectorFiles.writeIvecs(tmp.resolve("truth-filtered.ivecs"), filteredTruth);
        for (PeerProcess peer : peers) {
            Results r = new Results(peer.name());
            r.buildSeconds = peer.build(tmp.resolve("base.fvecs"), cosine, Engines.M, Engines.EF_CONSTRUCTION);
            built.put(peer, r);
            out.printf("built %s in %.1f s (its own process; load %.2f)%n", peer.name(), r.buildSeconds, load());
        }
        return built;
    }

    /** Recall and queries/s at one ef; null when the engine has no such search. */
    Point measure(Engine e, float[][] queries, int[][] truth, int ef, int percent) throws IOException {
        long hits = 0;
        long start = System.nanoTime();
        for (int q = 0; q < queries.length; q++) {
            int[] found = percent < 0 ? e.search(queries[q], K, ef) : e.searchFiltered(queries[q], K, ef, percent);
            if (found == null) {
                return null;
            }
            hits += overlap(found, truth[q]);
        }
        long elapsed = System.nanoTime() - start;
        long done = queries.length;
        while (elapsed < options.minMeasureNanos()) {
            for (float[] query : queries) {
                if (percent < 0) {
                    e.search(query, K, ef);
                } else {
                    e.searchFiltered(query, K, ef, percent);
                }
            }
            done += queries.length;
            elapsed = System.nanoTime() - start;
        }
        return new Point(ef, hits / (double) (queries.length * K), done / (elapsed / 1e9));
    }

    static int overlap(int[] found, int[] truth) {
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

    static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static String targets() {
        StringBuilder s = new StringBuilder();
        for (double t : TARGETS) {
            s.append(String.format(Locale.ROOT, " recall@10 >= %.2f: ef, recall, queries/s |", t));
        }
        return s.toString();
    }

    static double[] targetList() {
        return TARGETS.clone();
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
