package dev.kindred.benchmarks;

import dev.kindred.benchmarks.Datasets.Dataset;
import dev.kindred.benchmarks.Engines.Engine;
import dev.kindred.benchmarks.IndexBenchmark.Point;
import dev.kindred.benchmarks.IndexBenchmark.Results;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Upserts of changed vectors (the same keys and new vectors for every engine, after as many warm-up upserts of
 * other keys), recall after them, and restart from a snapshot against a rebuild. The engines take turns in chunks
 * of 50, so that load from elsewhere on a shared machine hits them alike; wall and CPU time are both recorded.
 */
final class UpsertBenchmark {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final PrintStream out;
    private final IndexBenchmark.Options options;
    private final Dataset data;

    UpsertBenchmark(PrintStream out, IndexBenchmark.Options options, Dataset data) {
        this.out = out;
        this.options = options;
        this.data = data;
    }

    static int upserts(IndexBenchmark.Options options) {
        return options.smoke() ? 50 : options.quick() ? 200 : 1000;
    }

    /** Runs on {@code engines}; the first is Kindred's float index. */
    void run(List<Engine> engines, Map<Engine, Results> results, Path tmp) throws IOException {
        int n = data.base().length;
        int upserts = upserts(options);
        Engine kindred = engines.get(0);
        double buildSeconds = results.get(kindred).buildSeconds;
        Results kindredResults = results.get(kindred);
        // restart before upserts, so every engine saves the same freshly built index
        Map<Engine, long[]> restart = new LinkedHashMap<>();
        for (Engine e : engines) {
            restart.put(e, e.restart(tmp));
        }
        Random random = new Random(7);
        int[] all = random.ints(0, n).distinct().limit(2L * upserts).toArray();
        int[] warmIds = Arrays.copyOfRange(all, upserts, 2 * upserts);
        int[] ids = Arrays.copyOf(all, upserts);
        float[][] warmMoved = data.generator().next(upserts);
        float[][] moved = data.generator().next(upserts);
        Map<Engine, double[]> micros = new LinkedHashMap<>();
        Map<Engine, Long> cpuNanos = new LinkedHashMap<>();
        Map<Engine, Long> publishNanos = new LinkedHashMap<>();
        for (Engine e : engines) {
            for (int i = 0; i < upserts; i++) {
                e.upsert(warmIds[i], warmMoved[i]);
            }
            e.publishUpserts();
            micros.put(e, new double[upserts]);
            cpuNanos.put(e, 0L);
        }
        for (int chunk = 0; chunk < upserts; chunk += 50) {
            for (Engine e : engines) {
                double[] m = micros.get(e);
                long cpu0 = THREADS.getCurrentThreadCpuTime();
                for (int i = chunk; i < Math.min(upserts, chunk + 50); i++) {
                    long t0 = System.nanoTime();
                    e.upsert(ids[i], moved[i]);
                    m[i] = (System.nanoTime() - t0) / 1000.0;
                }
                cpuNanos.merge(e, THREADS.getCurrentThreadCpuTime() - cpu0, Long::sum);
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
        int[][] truthAfter = Datasets.groundTruth(updated, data.queries(), data.metric(), IndexBenchmark.K);

        out.printf("### Upsert of a changed vector, restart%n%n");
        out.printf("| engine | upsert changed vector, us: mean / p50 / p99 wall, mean CPU | restart: save / load ms, MB |%n");
        out.printf("|---|---|---|%n");
        for (Engine e : engines) {
            double[] u = micros.get(e).clone();
            Arrays.sort(u);
            long[] r = restart.get(e);
            String publish = publishNanos.get(e) > 0 ? String.format(Locale.ROOT, " (+ %.0f ms reopen for all %d)",
                    publishNanos.get(e) / 1e6, upserts) : "";
            out.printf(Locale.ROOT, "| %s | %.0f / %.0f / %.0f, %.0f%s | %s |%n", e.name(),
                    Arrays.stream(u).average().orElse(0), u[u.length / 2], u[(int) (u.length * 0.99)],
                    cpuNanos.get(e) / 1000.0 / upserts, publish, r == null ? "n/a"
                            : String.format(Locale.ROOT, "%.0f / %.0f, %.1f", r[0] / 1e6, r[1] / 1e6, r[2] / 1e6));
        }
        long[] ours = restart.get(kindred);
        out.printf(Locale.ROOT, "%n- Kindred restart from snapshot: %.2f s load vs %.1f s rebuild (%.0fx faster)%n",
                ours[1] / 1e9, buildSeconds, buildSeconds / (ours[1] / 1e9));
        out.printf("%n### Recall after %d upserts of changed vectors (graph quality after in-place updates)%n%n",
                2 * upserts);
        out.printf("| engine | ef | recall@10 before | recall@10 after |%n|---|---|---|---|%n");
        Point target = kindredResults.fastest(kindredResults.sweep, 0.99);
        int ef = target != null ? target.ef() : 128;
        IndexBenchmark bench = new IndexBenchmark(out, options);
        for (Engine e : engines) {
            if (e instanceof Engines.Lucene) {
                continue; // its upserts live in a second segment: not the same operation
            }
            Point before = results.get(e).sweep.get(ef);
            Point after = bench.measure(e, data.queries(), truthAfter, ef, -1);
            out.printf(Locale.ROOT, "| %s | %d | %.4f | %.4f |%n", e.name(), ef, before.recall(), after.recall());
        }
        out.println();
    }
}
