package dev.kindred.benchmarks.endtoend;

import static dev.kindred.fhir.testing.FhirJson.bloodPressure;
import static dev.kindred.fhir.testing.FhirJson.condition;
import static dev.kindred.fhir.testing.FhirJson.medicationRequest;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static dev.kindred.fhir.testing.FhirJson.patient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's reduced form, end to end: a small generated population, amplified, loaded into an in-process
 * broker, the packaged app run as a separate process, and a report that adds up. Asserts sanity, not speed.
 * About a minute and a half on a quiet 2-core machine (two app starts, a broker, 288 events); the time-out
 * leaves room for a machine shared with other builds, where a JVM start alone has taken a minute.
 */
class EndToEndBenchmarkIT {
    private static final int SOURCE_PATIENTS = 12;
    private static final int PATIENTS = 24;

    @TempDir
    Path tmp;

    /** Per patient: a Patient, glucose every 40 days going in and out of range, a blood pressure, a diagnosis, a drug. */
    private Path population() throws IOException {
        List<String> lines = new ArrayList<>();
        Instant start = Instant.parse("2022-01-05T09:00:00Z");
        for (int p = 0; p < SOURCE_PATIENTS; p++) {
            String id = "p" + p;
            String ref = "Patient/" + id;
            lines.add(patient(id, p % 2 == 0 ? "female" : "male", (1950 + 2 * p) + "-06-01"));
            for (int i = 0; i < 8; i++) {
                String when = start.plus(Duration.ofDays(40L * i + p)).toString();
                lines.add(observation(id + "-g" + i, ref, "2339-0", i % 2 == 0 ? 92 + p : 180 + 5 * p, "mg/dL", when));
            }
            lines.add(bloodPressure(id + "-bp", ref, 150 + p, 95, start.plus(Duration.ofDays(3 + p)).toString()));
            lines.add(condition(id + "-c", ref, "44054006", "active", start.plus(Duration.ofDays(10 + p)).toString()));
            lines.add(medicationRequest(id + "-m", ref, "860975", "active", start.plus(Duration.ofDays(12 + p)).toString()));
        }
        Path file = tmp.resolve("population.ndjson");
        Files.write(file, lines.stream().map(l -> l.replace("\n", "")).toList());
        return file;
    }

    @Test
    @Timeout(600)
    void measuresThePackagedAppOnASmallPopulation() throws IOException {
        Path appJar = Path.of(System.getProperty("kindred.app.jar", "../app/target/kindred.jar"));
        assumeThat(appJar).as("the packaged app (mvn package of app/)").exists();
        Path report = tmp.resolve("report.json");

        int status = EndToEndBenchmark.run("--input", population().toString(), "--amplify", Integer.toString(PATIENTS),
                "--app-jar", appJar.toString(), "--app-heap", "512m", "--latency-rate", "100", "--latency-events", "40",
                "--restart-patients", "0", "--timeout-minutes", "5", "--work-dir", tmp.resolve("work").toString(),
                "--out", report.toString());

        assertThat(status).isZero();
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        JsonNode population = json.get("population");
        assertThat(population.get("patients").asInt()).isEqualTo(PATIENTS);
        assertThat(population.get("events").asLong()).isEqualTo(PATIENTS * 12L);
        long preload = population.get("preload_events").asLong();
        assertThat(preload + population.get("latency_events").get(0).asLong()).isEqualTo(PATIENTS * 12L);

        JsonNode run = json.get("builds").get(0);
        JsonNode throughput = run.get("throughput");
        assertThat(throughput.get("events").asLong()).as("every loaded record counted").isEqualTo(preload);
        assertThat(throughput.get("events_per_s").asDouble()).isPositive();
        assertThat(throughput.get("alerts").asLong()).isPositive();
        assertThat(throughput.get("dead_letters").asLong()).isZero();
        assertThat(run.get("app_config").get("processing.guarantee").asText()).isEqualTo("exactly_once_v2");

        JsonNode latency = run.get("latency").get(0);
        assertThat(latency.get("events").asLong()).isEqualTo(40);
        assertThat(latency.get("matched").asLong()).as("alerts traced to the records that caused them").isPositive();
        assertThat(latency.get("p50_ms").asDouble()).isNotNegative()
                .isLessThanOrEqualTo(latency.get("p95_ms").asDouble());
        assertThat(latency.get("p95_ms").asDouble()).isLessThanOrEqualTo(latency.get("p99_ms").asDouble());
        assertThat(latency.get("p99_ms").asDouble()).isLessThanOrEqualTo(latency.get("max_ms").asDouble());

        JsonNode footprint = run.get("footprint");
        assertThat(footprint.get("patients").asLong()).isEqualTo(PATIENTS);
        assertThat(footprint.get("state_dir_bytes").asLong()).isPositive();

        JsonNode stages = json.get("stages");
        assertThat(stages.get("events").asLong()).isEqualTo(PATIENTS * 12L);
        assertThat(stages.get("stages")).hasSize(5);
        double shares = 0;
        for (JsonNode s : stages.get("stages")) {
            shares += s.get("share").asDouble();
        }
        assertThat(shares).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.01));
        assertThat(json.get("machine").get("nproc").asInt()).isPositive();
        assertThat(json.get("command").asText()).contains("--amplify");
    }
}
