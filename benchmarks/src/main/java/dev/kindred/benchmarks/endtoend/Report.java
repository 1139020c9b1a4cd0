package dev.kindred.benchmarks.endtoend;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** What a run measured, as written to JSON (snake_case) and printed as a table. */
record Report(String benchmark, String startedAt, String command, Machine machine, PopulationInfo population,
        List<BuildRun> builds, Stages stages) {

    static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    record PopulationInfo(String description, int patients, long events, Map<String, Long> eventsByType,
            long preloadEvents, long preloadPatients, List<Long> latencyEvents) {
    }

    /** One build of the app, measured in its own broker. */
    record BuildRun(String label, String appJar, Map<String, String> appConfig, List<String> appJvmOptions,
            Throughput throughput, Footprint footprint, List<Latency> latency, Restart restart) {
    }

    /**
     * @param events       input records loaded before the app started (all counted)
     * @param seconds      from the first committed input observed to the last input and repartition offset committed
     * @param eventsPerS   (events - committed at the first observation) / seconds
     * @param startupS     from starting the app process to its first commit observed
     */
    record Throughput(long events, double seconds, double eventsPerS, double startupS, long alerts, long vectors,
            long deadLetters, String loadAverage, List<Sample> timeline) {
    }

    /** Input records committed {@code elapsedS} after the first commit was observed. */
    record Sample(double elapsedS, long committed) {
    }

    /**
     * Latency from an input record's append (its LogAppendTime) to its alert's being read by a read_committed
     * consumer, at one offered rate.
     */
    record Latency(String rate, double offeredPerS, double achievedPerS, long events, long alerts, long matched,
            double p50Ms, double p95Ms, double p99Ms, double maxMs, double drainS, String loadAverage) {
    }

    /**
     * @param patients        distinct patients loaded
     * @param idleHeapBytes   live heap of the app started on empty topics
     * @param liveHeapBytes   live heap (after a full GC) once the population is processed
     */
    record Footprint(long patients, long idleHeapBytes, long liveHeapBytes, long rssBytes, long peakRssBytes,
            long stateDirBytes, double heapBytesPerPatient, double rssBytesPerPatient, double stateDirBytesPerPatient) {
    }

    /**
     * @param patients          patients loaded when the app was restarted
     * @param topUpEvents       further records loaded to reach that many patients (0 when none were needed)
     * @param topUpEventsPerS   the rate the app processed them at, while running
     * @param waitForGroupS     waited for the stopped instance to leave the consumer group (not counted)
     * @param secondsToAnswer   from starting the new process to the probe's alert being readable
     * @param similarPatients   neighbours in the probe's alert: the search was answered from the restored index
     */
    record Restart(long patients, long topUpEvents, double topUpEventsPerS, Footprint footprint, double waitForGroupS,
            double secondsToAnswer, int similarPatients, String method) {
    }

    record Stages(String classes, long events, long facts, long alerts, List<Stage> stages, double totalMicrosPerEvent,
            double singleThreadEventsPerS) {
    }

    record Stage(String name, double microsPerEvent, double share) {
    }

    void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writeValue(file.toFile(), this);
    }

    /** The table: one column per build, ratios to the first build where there are several. */
    void print(PrintStream out) {
        out.println();
        out.println("Kindred end to end: " + population.description());
        out.printf(Locale.ROOT, "machine: %d cores (%s), %.1f GiB, %s%n", machine.nproc(), machine.cpuModel(),
                machine.memoryBytes() / (double) (1L << 30), machine.jdk());
        out.println("command: " + command);
        List<String> header = new ArrayList<>(List.of("", ""));
        builds.forEach(b -> header.add(b.label()));
        if (builds.size() > 1) {
            builds.subList(1, builds.size()).forEach(b -> header.add(b.label() + " / " + builds.get(0).label()));
        }
        List<List<String>> rows = new ArrayList<>();
        row(rows, "throughput", "events/s", b -> b.throughput() == null ? null : b.throughput().eventsPerS(), "%.0f", true);
        row(rows, "", "events", b -> b.throughput() == null ? null : (double) b.throughput().events(), "%.0f", false);
        row(rows, "", "seconds", b -> b.throughput() == null ? null : b.throughput().seconds(), "%.1f", false);
        row(rows, "", "alerts", b -> b.throughput() == null ? null : (double) b.throughput().alerts(), "%.0f", false);
        int rates = builds.stream().mapToInt(b -> b.latency().size()).max().orElse(0);
        for (int i = 0; i < rates; i++) {
            int n = i;
            Function<BuildRun, Report.Latency> at = b -> n < b.latency().size() ? b.latency().get(n) : null;
            String name = "latency @ " + builds.stream().map(at).filter(l -> l != null).findFirst()
                    .map(Report.Latency::rate).orElse("?");
            row(rows, name, "offered events/s", b -> at.apply(b) == null ? null : at.apply(b).offeredPerS(), "%.0f", false);
            row(rows, "", "p50 ms", b -> at.apply(b) == null ? null : at.apply(b).p50Ms(), "%.0f", true);
            row(rows, "", "p95 ms", b -> at.apply(b) == null ? null : at.apply(b).p95Ms(), "%.0f", true);
            row(rows, "", "p99 ms", b -> at.apply(b) == null ? null : at.apply(b).p99Ms(), "%.0f", true);
            row(rows, "", "alerts matched", b -> at.apply(b) == null ? null : (double) at.apply(b).matched(), "%.0f", false);
        }
        row(rows, "footprint", "patients", b -> b.footprint() == null ? null : (double) b.footprint().patients(), "%.0f", false);
        row(rows, "", "live heap MB", b -> b.footprint() == null ? null : b.footprint().liveHeapBytes() / 1e6, "%.0f", true);
        row(rows, "", "heap KB/patient", b -> b.footprint() == null ? null : b.footprint().heapBytesPerPatient() / 1e3, "%.1f", true);
        row(rows, "", "RSS MB", b -> b.footprint() == null ? null : b.footprint().rssBytes() / 1e6, "%.0f", true);
        row(rows, "", "state dir KB/patient", b -> b.footprint() == null ? null : b.footprint().stateDirBytesPerPatient() / 1e3, "%.1f", true);
        row(rows, "restart", "patients", b -> b.restart() == null ? null : (double) b.restart().patients(), "%.0f", false);
        row(rows, "", "s to first answered search", b -> b.restart() == null ? null : b.restart().secondsToAnswer(), "%.1f", true);
        row(rows, "", "heap KB/patient", b -> b.restart() == null || b.restart().footprint() == null ? null
                : b.restart().footprint().heapBytesPerPatient() / 1e3, "%.1f", true);
        row(rows, "", "state dir KB/patient", b -> b.restart() == null || b.restart().footprint() == null ? null
                : b.restart().footprint().stateDirBytesPerPatient() / 1e3, "%.1f", true);
        printTable(out, header, rows);

        if (stages != null) {
            out.println();
            out.printf(Locale.ROOT, "cost per stage, in-process, one thread (%s): %d events, %d facts, %d alerts%n",
                    stages.classes(), stages.events(), stages.facts(), stages.alerts());
            List<List<String>> stageRows = new ArrayList<>();
            for (Stage s : stages.stages()) {
                stageRows.add(List.of(s.name(), fmt("%.1f", s.microsPerEvent()), fmt("%.1f %%", 100 * s.share())));
            }
            stageRows.add(List.of("total", fmt("%.1f", stages.totalMicrosPerEvent()),
                    fmt("= %.0f events/s on one thread", stages.singleThreadEventsPerS())));
            printTable(out, List.of("stage", "us/event", "share"), stageRows);
        }
    }

    private void row(List<List<String>> rows, String group, String what, Function<BuildRun, Double> value,
            String format, boolean ratio) {
        List<String> cells = new ArrayList<>(List.of(group, what));
        List<Double> values = builds.stream().map(value).toList();
        if (values.stream().allMatch(v -> v == null)) {
            return;
        }
        values.forEach(v -> cells.add(v == null || v < 0 ? "—" : fmt(format, v)));
        for (int i = 1; i < values.size(); i++) {
            Double base = values.get(0);
            Double v = values.get(i);
            cells.add(ratio && base != null && v != null && base > 0 && v >= 0 ? fmt("%.2fx", v / base) : "");
        }
        rows.add(cells);
    }

    private static String fmt(String format, double v) {
        return String.format(Locale.ROOT, format, v);
    }

    private static void printTable(PrintStream out, List<String> header, List<List<String>> rows) {
        int[] widths = new int[header.size()];
        for (int i = 0; i < header.size(); i++) {
            widths[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < r.size(); i++) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        }
        printRow(out, header, widths);
        String[] rule = new String[widths.length];
        for (int i = 0; i < widths.length; i++) {
            rule[i] = "-".repeat(Math.max(3, widths[i]));
        }
        printRow(out, Arrays.asList(rule), widths);
        rows.forEach(r -> printRow(out, r, widths));
    }

    private static void printRow(PrintStream out, List<String> cells, int[] widths) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < widths.length; i++) {
            String c = i < cells.size() ? cells.get(i) : "";
            sb.append(' ').append(c).append(" ".repeat(Math.max(0, widths[i] - c.length()))).append(" |");
        }
        out.println(sb);
    }
}
