package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the packaged command the way the README does ({@code kindred demo ... --exit-after-replay}) in a
 * child JVM, and checks the summary it prints and writes.
 */
@org.junit.jupiter.api.Timeout(value = 30, unit = TimeUnit.MINUTES)
class DemoCommandIT {
    private static final Pattern SUMMARY = Pattern.compile(
            "summary: events=(\\d+) patients=(\\d+) vectors=(\\d+) alerts=(\\d+) dead_letters=(\\d+)"
                    + " elapsed_s=(\\d+\\.\\d) events_per_s=(\\d+)");

    @TempDir
    Path tmp;

    @Test
    void demoReplaysSyntheaAndPrintsTheSummary() throws Exception {
        Path jar = Path.of("target", "kindred.jar").toAbsolutePath();
        assertThat(jar).as("packaged by mvn package before the integration tests").exists();
        Path summaryJson = tmp.resolve("summary.json");
        Path stdout = tmp.resolve("stdout.txt");
        Path stderr = tmp.resolve("stderr.txt");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "--add-modules", "jdk.incubator.vector", "-jar", jar.toString(), "demo", "--patients", "10",
                "--seed", "42", "--exit-after-replay",
                "--data-dir", tmp.resolve("data").toString(), "--summary-json", summaryJson.toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        boolean finished = process.waitFor(15, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly();
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertThat(finished).as("demo finished; stderr:%n%s", tail(err)).isTrue();
        assertThat(process.exitValue()).as("exit code; stderr:%n%s", tail(err)).isZero();

        assertThat(out).as("the JVM's incubator-module note goes to stderr").doesNotContain("incubator");
        assertThat(out).contains("Kafka bootstrap servers: 127.0.0.1:").contains("Schema registry:         http://127.0.0.1:")
                .contains("HTTP (dashboard, API, CDS Hooks): http://127.0.0.1:").contains("no authentication: demo only");
        Matcher m = SUMMARY.matcher(out);
        assertThat(m.find()).as("summary line in stdout:%n%s", out).isTrue();
        long events = Long.parseLong(m.group(1));
        long patients = Long.parseLong(m.group(2));
        long vectors = Long.parseLong(m.group(3));
        long alerts = Long.parseLong(m.group(4));
        long deadLetters = Long.parseLong(m.group(5));
        double elapsed = Double.parseDouble(m.group(6));
        long rate = Long.parseLong(m.group(7));
        assertThat(patients).isGreaterThanOrEqualTo(10);
        assertThat(events).isGreaterThan(patients);
        assertThat(vectors).as("every patient with observations has a vector").isEqualTo(patients);
        assertThat(alerts).isPositive();
        assertThat(deadLetters).isZero();
        assertThat(elapsed).as("processing time").isPositive();
        assertThat(rate).isPositive();

        JsonNode json = new ObjectMapper().readTree(summaryJson.toFile());
        assertThat(json.get("events").asLong()).isEqualTo(events);
        assertThat(json.get("patients").asLong()).isEqualTo(patients);
        assertThat(json.get("vectors").asLong()).isEqualTo(vectors);
        assertThat(json.get("alerts").asLong()).isEqualTo(alerts);
        assertThat(json.get("dead_letters").asLong()).isEqualTo(deadLetters);
        assertThat(json.get("elapsed_s").asDouble()).isCloseTo(elapsed, org.assertj.core.data.Offset.offset(0.06));
        assertThat(json.get("events_per_s").asDouble()).isCloseTo(rate, org.assertj.core.data.Offset.offset(1.0));

        assertThat(out.lines().toList()).as("stdout holds only the addresses and the summary").hasSize(4);
    }

    @Test
    void demoViaSubscriptionEndsWithTheSamePatientsAndVectorsAsTheDirectReplay() throws Exception {
        long[] direct = summary(runDemo("direct"));
        String out = runDemo("hook", "--via-subscription");
        long[] viaHook = summary(out);
        // events, patients, vectors: the same input reaches the same topics through HTTP notifications.
        assertThat(viaHook[0]).as("events").isEqualTo(direct[0]);
        assertThat(viaHook[1]).as("patients").isEqualTo(direct[1]).isGreaterThanOrEqualTo(3);
        assertThat(viaHook[2]).as("vectors").isEqualTo(direct[2]);
        assertThat(viaHook[3]).as("alerts").isPositive();
        assertThat(viaHook[4]).as("dead letters").isZero();
    }

    /** Runs {@code demo} on 3 Synthea patients in a child JVM and returns its stdout; fails if it does not exit 0. */
    private String runDemo(String name, String... extra) throws Exception {
        Path jar = Path.of("target", "kindred.jar").toAbsolutePath();
        assertThat(jar).as("packaged by mvn package before the integration tests").exists();
        Path stdout = tmp.resolve(name + "-stdout.txt");
        Path stderr = tmp.resolve(name + "-stderr.txt");
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g", "--add-modules",
                "jdk.incubator.vector", "-jar", jar.toString(), "demo", "--patients", "3", "--seed", "7",
                "--exit-after-replay", "--data-dir", tmp.resolve(name).toString()));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        boolean finished = process.waitFor(10, TimeUnit.MINUTES);
        if (!finished) {
            process.destroyForcibly();
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertThat(finished).as("demo %s finished; stderr:%n%s", name, tail(err)).isTrue();
        assertThat(process.exitValue()).as("exit code of demo %s; stderr:%n%s", name, tail(err)).isZero();
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** events, patients, vectors, alerts, dead letters from the summary line. */
    private static long[] summary(String out) {
        Matcher m = SUMMARY.matcher(out);
        assertThat(m.find()).as("summary line in stdout:%n%s", out).isTrue();
        long[] values = new long[5];
        for (int i = 0; i < values.length; i++) {
            values[i] = Long.parseLong(m.group(i + 1));
        }
        return values;
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
