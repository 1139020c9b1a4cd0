package dev.kindred.app;

import static dev.kindred.fhir.testing.FhirJson.bloodPressure;
import static dev.kindred.fhir.testing.FhirJson.bundle;
import static dev.kindred.fhir.testing.FhirJson.condition;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static dev.kindred.fhir.testing.FhirJson.patient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class VectorsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Run(int exit, List<JsonNode> patients, String stderr, VectorsCommand command) {
        JsonNode patient(String key) {
            return patients.stream().filter(p -> p.path("patient").asText().equals(key)).findFirst().orElseThrow();
        }

        JsonNode feature(String key, String feature) {
            for (JsonNode f : patient(key).path("features")) {
                if (f.path("feature").asText().equals(feature)) {
                    return f;
                }
            }
            throw new AssertionError("no feature " + feature + " for " + key);
        }
    }

    static Run run(String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        VectorsCommand command = new VectorsCommand();
        command.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        command.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(command).execute(args);
        List<JsonNode> patients = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                patients.add(JSON.readTree(line));
            }
        }
        return new Run(exit, patients, err.toString(StandardCharsets.UTF_8), command);
    }

    @Test
    void mapsEveryInputFormIntoOneJsonObjectPerPatient() throws IOException {
        // A Synthea-shaped transaction Bundle ...
        Files.writeString(dir.resolve("p1.json"), bundle("transaction",
                "urn:uuid:p1", patient("p1", "female", "1960-01-01"),
                "urn:uuid:g1", observation("g1", "urn:uuid:p1", "2339-0", 6.3, "mmol/L", "2020-05-01T10:00:00Z"),
                "urn:uuid:bp1", bloodPressure("bp1", "urn:uuid:p1", 142, 91, "2020-05-01T10:00:00Z"),
                "urn:uuid:c1", condition("c1", "urn:uuid:p1", "44054006", "active", "2019-01-01")));
        // ... a gzipped Bulk Data NDJSON file: a newer weight, then an older one that arrives late, then garbage.
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(dir.resolve("Observation.ndjson.gz")))) {
            gz.write((observation("w2", "Patient/p2", "29463-7", 80, "kg", "2021-06-01T00:00:00Z").replace("\n", "")
                    + "\n" + observation("w1", "Patient/p2", "29463-7", 200, "[lb_av]", "2020-01-01T00:00:00Z")
                    .replace("\n", "") + "\n{not json\n").getBytes(StandardCharsets.UTF_8));
        }
        Run run = run("--input", dir.toString());

        assertThat(run.exit()).isZero();
        assertThat(run.patients()).extracting(p -> p.path("patient").asText()).containsExactly("p1", "p2");
        JsonNode glucose = run.feature("p1", "glucose");
        assertThat(glucose.path("loinc").asText()).isEqualTo("2339-0");
        assertThat(glucose.path("value").asDouble()).isCloseTo(6.3 * 18.016, within(1e-9));
        assertThat(glucose.path("unit").asText()).isEqualTo("mg/dL");
        assertThat(glucose.path("effectiveTime").asText()).isEqualTo("2020-05-01T10:00:00Z");
        assertThat(glucose.path("source").asText()).isEqualTo("Observation/g1");
        assertThat(glucose.path("normalized").isNumber()).isTrue();
        assertThat(run.feature("p1", "systolic_bp").path("value").asDouble()).isEqualTo(142.0);
        assertThat(run.patient("p1").path("vectors").path("clinical").isArray()).isTrue();
        assertThat(run.patient("p1").path("facts").path("DIAGNOSIS").asLong()).isEqualTo(1);
        assertThat(run.patient("p1").path("facts").path("DEMOGRAPHICS").asLong()).isEqualTo(1);

        // The older weight (200 lb) arrived after the newer one (80 kg) and did not replace it.
        assertThat(run.feature("p2", "body_weight").path("value").asDouble()).isEqualTo(80.0);
        assertThat(run.feature("p2", "body_weight").path("effectiveTime").asText()).isEqualTo("2021-06-01T00:00:00Z");

        assertThat(run.command().summary().rejectionsByReason()).containsExactly(java.util.Map.entry("malformed-json", 1L));
        assertThat(run.stderr()).contains("rejections: 1").contains("malformed-json").contains("2 patients");
        // stderr carries counts and reasons, never values.
        assertThat(run.stderr()).doesNotContain("113.5").doesNotContain("not json");
    }

    @Test
    void aMissingInputIsAUsageError() throws IOException {
        Run run = run("--input", dir.resolve("nope").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.stderr()).contains("does not exist");
    }
}
