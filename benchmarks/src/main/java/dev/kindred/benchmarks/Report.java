package dev.kindred.benchmarks;

import dev.kindred.benchmarks.IndexBenchmark.Point;
import dev.kindred.benchmarks.IndexBenchmark.Results;
import dev.kindred.index.IndexStats;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** The search, memory and filtered-search tables of one dataset, with ratios against the peers of the run. */
final class Report {
    private static final int FILTER_EF = 64;

    private final PrintStream out;
    private final Map<String, Results> all;
    private final Results kindred;
    private final Point exact;
    private final Point exactFiltered;

    Report(PrintStream out, Map<String, Results> all, Results kindred, Point exact, Point exactFiltered) {
        this.out = out;
        this.all = all;
        this.kindred = kindred;
        this.exact = exact;
        this.exactFiltered = exactFiltered;
    }

    void print(int[] efs, int[] filteredEfs) {
        double[] targets = IndexBenchmark.targetList();
        out.printf("### Search (single thread; fastest ef reaching the recall; best of the rounds)%n%n");
        out.printf("| engine | build s |%s%n|---|---|", IndexBenchmark.targets());
        for (double ignored : targets) {
            out.print("---|");
        }
        out.println();
        for (Results r : all.values()) {
            out.printf(Locale.ROOT, "| %s | %.1f |", r.name, r.buildSeconds);
            for (double t : targets) {
                out.printf(" %s |", cell(r.fastest(r.sweep, t)));
            }
            out.println();
        }
        out.printf(Locale.ROOT, "| exact scan | — |%s%n%n", (" exact, " + String.format(Locale.ROOT, "%.3f, %,.0f",
                exact.recall(), exact.qps()) + " |").repeat(targets.length));

        out.printf("Queries/s ratios at the same recall target (> 1: the Kindred variant is faster):%n%n");
        out.printf("| Kindred variant / peer |");
        for (double t : targets) {
            out.printf(Locale.ROOT, " >= %.2f |", t);
        }
        out.printf("%n|---|");
        for (double ignored : targets) {
            out.print("---|");
        }
        out.println();
        for (Results ours : all.values()) {
            if (!ours.name.startsWith("Kindred")) {
                continue;
            }
            for (Results theirs : all.values()) {
                if (theirs.name.startsWith("Kindred")) {
                    continue;
                }
                out.printf("| %s / %s |", ours.name, theirs.name);
                for (double t : targets) {
                    out.printf(" %s |", ratio(ours.fastest(ours.sweep, t), theirs.fastest(theirs.sweep, t)));
                }
                out.println();
            }
        }
        out.println();
        memory();
        filtered(filteredEfs);
        sweeps(efs, filteredEfs);
    }

    private void memory() {
        out.printf("### Memory of Kindred's variants (heap, estimated; the mapped float file of a quantized index is"
                + " off the heap and read only to rescore)%n%n");
        out.printf("| variant | heap MB | of float's heap | vectors MB | codes MB | graph MB | keys MB | mapped floats"
                + " MB |%n|---|---|---|---|---|---|---|---|%n");
        long floatHeap = kindred.stats.memory().heapBytes();
        for (Results r : all.values()) {
            if (r.stats == null) {
                continue;
            }
            IndexStats.Memory m = r.stats.memory();
            out.printf(Locale.ROOT, "| %s | %.1f | %.3f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", r.name,
                    m.heapBytes() / 1e6, m.heapBytes() / (double) floatHeap, m.vectorBytes() / 1e6, m.codeBytes() / 1e6,
                    m.graphBytes() / 1e6, m.keyBytes() / 1e6, m.mappedVectorBytes() / 1e6);
        }
        out.println();
    }

    private void filtered(int[] filteredEfs) {
        out.printf("### Filtered search: 5%% of the items pass (recall@10 against the exact top 10 among them)%n%n");
        out.printf("| engine | ef %d unfiltered: recall | ef %d filtered: recall, queries/s | recall difference |"
                + " filtered >= 0.95 | filtered >= 0.99 |%n|---|---|---|---|---|---|%n", FILTER_EF, FILTER_EF);
        for (Results r : all.values()) {
            Point plain = r.sweep.get(FILTER_EF);
            Point filtered = r.filtered.get(FILTER_EF);
            if (filtered == null) {
                continue;
            }
            out.printf(Locale.ROOT, "| %s | %s | %.4f, %,.0f | %s | %s | %s |%n", r.name,
                    plain == null ? "n/a" : String.format(Locale.ROOT, "%.4f", plain.recall()), filtered.recall(),
                    filtered.qps(), plain == null ? "n/a" : String.format(Locale.ROOT, "%+.4f",
                            filtered.recall() - plain.recall()), cell(r.fastest(r.filtered, 0.95)),
                    cell(r.fastest(r.filtered, 0.99)));
        }
        out.printf(Locale.ROOT, "| exact scan | 1.0000 | %.4f, %,.0f | — | — | — |%n%n", exactFiltered.recall(),
                exactFiltered.qps());
    }

    private void sweeps(int[] efs, int[] filteredEfs) {
        out.printf("<details><summary>ef sweeps (recall@10, queries/s)</summary>%n%n| ef |");
        all.values().forEach(r -> out.printf(" %s |", r.name));
        out.printf("%n|---|");
        all.values().forEach(r -> out.print("---|"));
        out.println();
        for (int ef : efs) {
            row(Integer.toString(ef), ef, false);
        }
        for (int ef : filteredEfs) {
            row(ef + " filtered", ef, true);
        }
        out.printf("%n</details>%n%n");
    }

    private void row(String label, int ef, boolean filtered) {
        out.printf("| %s |", label);
        for (Results r : all.values()) {
            Point p = (filtered ? r.filtered : r.sweep).get(ef);
            out.printf(Locale.ROOT, " %s |", p == null ? "—" : String.format(Locale.ROOT, "%.4f, %,.0f", p.recall(),
                    p.qps()));
        }
        out.println();
    }

    static String cell(Point p) {
        return p == null ? "not reached" : String.format(Locale.ROOT, "%d, %.3f, %,.0f", p.ef(), p.recall(), p.qps());
    }

    static String ratio(Point ours, Point theirs) {
        return ours == null || theirs == null ? "n/a" : String.format(Locale.ROOT, "%.2fx", ours.qps() / theirs.qps());
    }
}
