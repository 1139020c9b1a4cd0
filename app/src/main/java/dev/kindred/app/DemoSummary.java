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
 */
record DemoSummary(long events, long patients, long vectors, long alerts, long deadLetters) {

    String line() {
        return String.format(Locale.ROOT, "summary: events=%d patients=%d vectors=%d alerts=%d dead_letters=%d",
                events, patients, vectors, alerts, deadLetters);
    }

    void writeJson(Path file) throws IOException {
        Map<String, Long> json = new LinkedHashMap<>();
        json.put("events", events);
        json.put("patients", patients);
        json.put("vectors", vectors);
        json.put("alerts", alerts);
        json.put("dead_letters", deadLetters);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
    }
}
