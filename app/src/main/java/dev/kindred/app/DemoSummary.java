package dev.kindred.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's final numbers.
 *
 * @param events FHIR records sent by this run
 * @param patients distinct patients among them
 * @param vectors patients held by the index (all patients ever seen on this data directory)
 * @param alerts alerts published during this run
 * @param deadLetters dead letters published during this run
 * @param elapsedSeconds processing time: from the app's first input commit seen (the first record consumed,
 *     within a commit interval) to its last input and repartition offsets committed (the last output committed)
 * @param eventsPerSecond events over that time; 0 when nothing was processed
 */
record DemoSummary(long events, long patients, long vectors, long alerts, long deadLetters, double elapsedSeconds,
        double eventsPerSecond) {

    /** The summary of a run whose processing took from {@code firstNanos} to {@code lastNanos} (nanoTime; -1: unknown). */
    static DemoSummary of(long events, long patients, long vectors, long alerts, long deadLetters, long firstNanos,
            long lastNanos) {
        double elapsed = firstNanos < 0 || lastNanos < firstNanos ? 0 : (lastNanos - firstNanos) / 1e9;
        return new DemoSummary(events, patients, vectors, alerts, deadLetters, Math.round(elapsed * 100) / 100.0,
                elapsed > 0 ? Math.round(events / elapsed * 10) / 10.0 : 0);
    }

    String line() {
        return String.format(Locale.ROOT, "summary: events=%d patients=%d vectors=%d alerts=%d dead_letters=%d"
                + " elapsed_s=%.1f events_per_s=%.0f", events, patients, vectors, alerts, deadLetters, elapsedSeconds,
                eventsPerSecond);
    }

    void writeJson(Path file) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("events", events);
        json.put("patients", patients);
        json.put("vectors", vectors);
        json.put("alerts", alerts);
        json.put("dead_letters", deadLetters);
        json.put("elapsed_s", elapsedSeconds);
        json.put("events_per_s", eventsPerSecond);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
    }
}
