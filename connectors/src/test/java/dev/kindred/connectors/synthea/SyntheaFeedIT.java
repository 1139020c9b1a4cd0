package dev.kindred.connectors.synthea;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mitre.synthea.engine.Generator;
import org.mitre.synthea.export.Exporter;
import org.mitre.synthea.helpers.Config;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Synthea in-process: FHIR bundles, no patient names on stdout/stderr, reuse, determinism, repeated runs, and
 * Kindred's response modules (last: the determinism tests need Synthea's first run in this JVM).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyntheaFeedIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    @Test
    @Order(1)
    void generatesPatientBundlesWithoutPrintingPatientData() throws Exception {
        long t0 = System.nanoTime();
        Captured<Path> run = capture(() -> SyntheaFeed.generate(5, 42, work));
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path fhir = run.value;
        System.out.printf("Synthea: 5 patients (seed 42) in %.1f s (incl. first-run init)%n", seconds);

        List<Path> files = jsonFiles(fhir);
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        assertThat(fhir.resolveSibling(SyntheaFeed.MARKER)).exists();

        Set<String> names = new HashSet<>();
        for (Path file : files) {
            assertThat(file.getFileName().toString()).matches("[0-9a-f-]{36}\\.json");
            JsonNode bundle = JSON.readTree(file.toFile());
            assertThat(bundle.path("resourceType").asText()).isEqualTo("Bundle");
            assertThat(bundle.path("type").asText()).isEqualTo("transaction");
            List<JsonNode> patients = resources(bundle, "Patient");
            assertThat(patients).hasSize(1);
            String patientId = patients.get(0).path("id").asText();
            List<JsonNode> observations = resources(bundle, "Observation");
            assertThat(observations).isNotEmpty()
                    .allMatch(o -> o.path("subject").path("reference").asText().equals("urn:uuid:" + patientId));
            assertThat(resources(bundle, "Practitioner")).isEmpty();
            assertThat(resources(bundle, "Organization")).isEmpty();
            for (JsonNode name : patients.get(0).path("name")) {
                names.add(name.path("family").asText());
                name.path("given").forEach(g -> names.add(g.asText()));
            }
        }
        assertThat(names).hasSizeGreaterThanOrEqualTo(5);
        assertThat(run.output).contains("Records: total=");   // we did capture Synthea's output...
        assertThat(names).allSatisfy(n -> assertThat(run.output).doesNotContain(n)); // ...and no patient name is in it
        try (Stream<Path> top = Files.list(fhir.getParent())) {
            assertThat(top.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("fhir", SyntheaFeed.MARKER);
        }
    }

    @Test
    @Order(2)
    void reusesACompleteOutput() throws IOException {
        Path marker = work.resolve("synthea-p5-s42-r20250101").resolve(SyntheaFeed.MARKER);
        FileTime before = Files.getLastModifiedTime(marker);
        Path bundle;
        try (Stream<Path> files = Files.list(marker.resolveSibling("fhir"))) {
            bundle = files.sorted().findFirst().orElseThrow();
        }
        FileTime bundleBefore = Files.getLastModifiedTime(bundle);
        Path again = SyntheaFeed.generate(5, 42, work);
        // Reused, not generated again: nothing rewritten (checked by what changed, not by how long it took).
        assertThat(again).isEqualTo(marker.resolveSibling("fhir"));
        assertThat(Files.getLastModifiedTime(marker)).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(bundle)).isEqualTo(bundleBefore);
    }

    @Test
    @Order(3)
    void generatesAgainInTheSameJvmWithOtherSettingsAndStaysDeterministic() throws Exception {
        Path other = SyntheaFeed.generate(2, 7, work.resolve("other"));
        assertThat(patientIds(other)).hasSizeGreaterThanOrEqualTo(2).doesNotContainAnyElementsOf(patientIds(first()));

        long t0 = System.nanoTime();
        Path repeat = SyntheaFeed.generate(5, 42, work.resolve("repeat"));
        System.out.printf("Synthea: 5 patients (seed 42), warm JVM, in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(patientIds(repeat)).isEqualTo(patientIds(first()));
        // Same patients; Synthea's static state may still change details (seen: an AllergyIntolerance
        // reaction severity), so content is only reported here. A fresh JVM is byte-identical (next test).
        Map<String, Boolean> identical = compare(first(), repeat);
        System.out.println("Same JVM, same seed, after another run: files byte-identical " + identical);
        assertThat(identical).hasSize(jsonFiles(first()).size());
    }

    @Test
    @Order(4)
    void anotherJvmGivesTheSamePatients() throws Exception {
        Path dir = work.resolve("child");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), SyntheaFeed.class.getName(), "5", "42", dir.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        Path child = dir.resolve("synthea-p5-s42-r20250101").resolve("fhir");

        assertThat(patientIds(child)).isEqualTo(patientIds(first()));
        Map<String, Boolean> identical = compare(first(), child);
        System.out.println("Other JVM, same seed: files byte-identical " + identical);
        assertThat(identical).doesNotContainValue(false);
    }

    @Test
    @Order(5)
    void controlSyntheaDefaultLoggingWouldPrintPatientNames() throws Exception {
        // Proves the capture above can see names: with Synthea's default ("simple") they are printed.
        Path base = work.resolve("control");
        Captured<Void> run = capture(() -> {
            SyntheaFeed.settings(base).forEach(Config::set);
            Config.set("generate.log_patients.detail", "simple");
            Generator.GeneratorOptions options = new Generator.GeneratorOptions();
            options.population = 1;
            options.seed = 42;
            options.clinicianSeed = 42;
            new Generator(options, new Exporter.ExporterRuntimeOptions()).run();
            return null;
        });
        List<Path> files = jsonFiles(base.resolve("fhir"));
        JsonNode name = resources(JSON.readTree(files.get(0).toFile()), "Patient").get(0).path("name").get(0);
        assertThat(run.output).contains(name.path("family").asText());
    }

    /** The treatments of Kindred's response modules and the LOINC code their outcome rule measures. */
    private static final Map<String, String> RESPONSE_TREATMENTS = Map.of(
            "314076", "8480-6",     // lisinopril: systolic blood pressure
            "308136", "8480-6",     // amlodipine
            "617311", "18262-6",    // atorvastatin: LDL
            "859751", "18262-6",    // rosuvastatin
            "860975", "4548-4",     // metformin: HbA1c
            "897122", "4548-4");    // liraglutide

    @Test
    @Order(6)
    @Timeout(value = 45, unit = TimeUnit.MINUTES) // 40 patients take 1-3 min on a quiet machine; this one is shared
    void responseModulesGiveEachTreatmentCoursesWithABaselineAndAFollowUp() throws IOException {
        Map<String, Object> registryBefore = new HashMap<>(SyntheaFeed.moduleRegistry());
        Path modules = SyntheaFeed.responseModules();

        long t0 = System.nanoTime();
        Path fhir = SyntheaFeed.generate(40, 42, SyntheaFeed.DEFAULT_REFERENCE_TIME, work.resolve("response"), modules);
        System.out.printf("Synthea: 40 patients (seed 42) with the response modules in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        assertThat(fhir.getParent().getFileName().toString())
                .isEqualTo("synthea-p40-s42-r20250101-m" + SyntheaFeed.fingerprint(modules).substring(0, SyntheaFeed.FINGERPRINT_DIGITS));
        assertThat(SyntheaFeed.moduleRegistry()).as("Synthea's module registry is as it was before the run")
                .isEqualTo(registryBefore);

        Map<String, Integer> measuredCourses = new TreeMap<>();
        Set<String> conditions = new HashSet<>();
        Set<String> medications = new HashSet<>();
        for (Path file : jsonFiles(fhir)) {
            JsonNode bundle = JSON.readTree(file.toFile());
            resources(bundle, "Condition").forEach(c -> conditions.add(c.path("code").path("coding").path(0).path("code").asText()));
            Map<String, List<Instant>> orders = new HashMap<>();
            for (JsonNode request : resources(bundle, "MedicationRequest")) {
                String code = request.path("medicationCodeableConcept").path("coding").path(0).path("code").asText();
                medications.add(code);
                orders.computeIfAbsent(code, c -> new ArrayList<>()).add(OffsetDateTime.parse(request.path("authoredOn").asText()).toInstant());
            }
            Map<String, List<Instant>> measured = measurementTimes(bundle);
            for (Map.Entry<String, String> treatment : RESPONSE_TREATMENTS.entrySet()) {
                List<Instant> times = measured.getOrDefault(treatment.getValue(), List.of());
                for (Instant start : courseStarts(orders.getOrDefault(treatment.getKey(), List.of()))) {
                    boolean baseline = times.stream().anyMatch(t -> !t.isAfter(start) && !t.isBefore(start.minus(Duration.ofDays(365))));
                    boolean followUp = times.stream().anyMatch(t -> t.isAfter(start.plus(Duration.ofDays(14)))
                            && !t.isAfter(start.plus(Duration.ofDays(365))));
                    if (baseline && followUp) {
                        measuredCourses.merge(treatment.getKey(), 1, Integer::sum);
                    }
                }
            }
        }
        System.out.println("Courses with a baseline and a follow-up, by RxNorm code: " + measuredCourses);
        assertThat(measuredCourses).containsOnlyKeys(RESPONSE_TREATMENTS.keySet());
        assertThat(measuredCourses.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(2));
        assertThat(conditions).as("the statin module's diagnosis").contains("13644009");
        assertThat(medications).as("Synthea's own hypertension medication pathway (hydrochlorothiazide) is replaced")
                .doesNotContain("310798");
    }

    /** Effective times of each LOINC code, blood-pressure panel components included. */
    private static Map<String, List<Instant>> measurementTimes(JsonNode bundle) {
        Map<String, List<Instant>> times = new HashMap<>();
        for (JsonNode observation : resources(bundle, "Observation")) {
            Instant t = OffsetDateTime.parse(observation.path("effectiveDateTime").asText()).toInstant();
            List<JsonNode> parts = new ArrayList<>();
            parts.add(observation);
            observation.path("component").forEach(parts::add);
            for (JsonNode part : parts) {
                if (part.has("valueQuantity")) {
                    times.computeIfAbsent(part.path("code").path("coding").path(0).path("code").asText(),
                            c -> new ArrayList<>()).add(t);
                }
            }
        }
        return times;
    }

    /** Starts of courses as Kindred's outcome rules form them: orders of one code less than 400 days apart are one course. */
    private static List<Instant> courseStarts(List<Instant> orders) {
        List<Instant> sorted = orders.stream().sorted().toList();
        List<Instant> starts = new ArrayList<>();
        Instant last = null;
        for (Instant t : sorted) {
            if (last == null || t.isAfter(last.plus(Duration.ofDays(400)))) {
                starts.add(t);
            }
            last = t;
        }
        return starts;
    }

    private static Path first() {
        return work.resolve("synthea-p5-s42-r20250101").resolve("fhir");
    }

    private static Set<String> patientIds(Path fhir) throws IOException {
        Set<String> ids = new HashSet<>();
        for (Path file : jsonFiles(fhir)) {
            resources(JSON.readTree(file.toFile()), "Patient").forEach(p -> ids.add(p.path("id").asText()));
        }
        return ids;
    }

    private static Map<String, Boolean> compare(Path a, Path b) throws IOException {
        Map<String, Boolean> same = new TreeMap<>();
        for (Path file : jsonFiles(a)) {
            Path other = b.resolve(file.getFileName().toString());
            same.put(file.getFileName().toString().substring(0, 8),
                    Files.exists(other) && Files.mismatch(file, other) == -1);
        }
        return same;
    }

    private static List<Path> jsonFiles(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static List<JsonNode> resources(JsonNode bundle, String type) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode entry : bundle.path("entry")) {
            if (type.equals(entry.path("resource").path("resourceType").asText())) {
                out.add(entry.path("resource"));
            }
        }
        return out;
    }

    private record Captured<T>(T value, String output) {
    }

    /** Runs {@code action} with System.out and System.err captured (Synthea prints to them directly). */
    private static <T> Captured<T> capture(Callable<T> action) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            T value = action.call();
            capture.flush();
            return new Captured<>(value, buffer.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
