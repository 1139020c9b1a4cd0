package dev.kindred.connectors.synthea;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mitre.synthea.engine.Module;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The extra-module option of SyntheaFeed without running Synthea: finding, extracting and fingerprinting modules. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SyntheaFeedModulesTest {

    private static final String PACKAGE_DIR = "dev/kindred/connectors/synthea/modules/";

    @Test
    void responseModulesAreTheResourceDirectoryWithItsDocumentation() throws IOException {
        Path dir = SyntheaFeed.responseModules();
        assertThat(dir.resolve("MECHANISMS.md")).isRegularFile();
        assertThat(jsonFiles(dir)).containsExactlyInAnyOrder("antihyperglycemic_response.json",
                "antihyperlipidemic_response.json", "antihypertensive_response.json", "hypertension.json");
        assertThat(SyntheaFeed.responseModules()).isEqualTo(dir);
    }

    @Test
    void responseModulesParseAsSyntheaModules() throws Exception {
        Path dir = SyntheaFeed.responseModules();
        for (String name : jsonFiles(dir)) {
            JsonObject json = JsonParser.parseString(Files.readString(dir.resolve(name))).getAsJsonObject();
            Module module = new Module(json, false);   // builds every state: an unknown state type throws
            assertThat(module.getStateNames()).as(name).contains("Initial").hasSizeGreaterThan(10);
        }
    }

    @Test
    void theHypertensionOverrideKeepsSyntheasDiagnosisAndDropsItsMedicationPathway() throws IOException {
        // Synthea replaces a module by the file's path ("hypertension"); the name keys the patient's history.
        JsonObject json = JsonParser.parseString(Files.readString(SyntheaFeed.responseModules().resolve("hypertension.json")))
                .getAsJsonObject();
        assertThat(json.get("name").getAsString()).isEqualTo("Hypertension");
        assertThat(json.getAsJsonObject("states").keySet()).contains("Diagnose_Hypertension")
                .doesNotContain("Prescribe_Medication", "Hypertension_Followup_Encounter");
    }

    @Test
    void fingerprintCoversModuleFilesOnly(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.json"), "{\"name\": \"A\"}");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/b.json"), "{\"name\": \"B\"}");
        Files.writeString(dir.resolve("README.md"), "notes");
        String first = SyntheaFeed.fingerprint(dir);
        assertThat(first).hasSize(64).isEqualTo(SyntheaFeed.fingerprint(dir));

        Files.writeString(dir.resolve("README.md"), "other notes");
        assertThat(SyntheaFeed.fingerprint(dir)).as("documentation is not read by Synthea").isEqualTo(first);

        Files.writeString(dir.resolve("sub/b.json"), "{\"name\": \"B2\"}");
        String changed = SyntheaFeed.fingerprint(dir);
        assertThat(changed).isNotEqualTo(first);

        Files.move(dir.resolve("sub/b.json"), dir.resolve("b.json"));
        assertThat(SyntheaFeed.fingerprint(dir)).as("a submodule moved to the top level is another module")
                .isNotEqualTo(changed);
    }

    @Test
    void aDirectoryWithoutModulesIsRefused(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("README.md"), "no modules here");
        assertThatThrownBy(() -> SyntheaFeed.fingerprint(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("No Synthea modules");
        assertThatThrownBy(() -> SyntheaFeed.fingerprint(dir.resolve("missing")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void modulesPackagedInAJarAreExtractedWithTheirLayout(@TempDir Path tmp) throws IOException {
        Map<String, String> entries = new TreeMap<>(Map.of(
                PACKAGE_DIR + "MECHANISMS.md", "# mechanisms",
                PACKAGE_DIR + "top.json", "{\"name\": \"Top\"}",
                PACKAGE_DIR + "sub/nested.json", "{\"name\": \"Nested\"}",
                "dev/kindred/connectors/synthea/Other.txt", "not a module"));
        Path jar = tmp.resolve("modules.jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (String dir : List.of("dev/", "dev/kindred/", "dev/kindred/connectors/", "dev/kindred/connectors/synthea/",
                    PACKAGE_DIR, PACKAGE_DIR + "sub/")) {
                out.putNextEntry(new JarEntry(dir));
                out.closeEntry();
            }
            for (Map.Entry<String, String> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        URL doc = new URL("jar:" + jar.toUri() + "!/" + PACKAGE_DIR + "MECHANISMS.md");

        Path extracted = SyntheaFeed.moduleDirectory(doc);

        assertThat(extracted).isDirectory().isNotEqualTo(jar.getParent());
        assertThat(extracted.resolve("top.json")).hasContent("{\"name\": \"Top\"}");
        assertThat(extracted.resolve("sub/nested.json")).hasContent("{\"name\": \"Nested\"}");
        assertThat(extracted.resolve("MECHANISMS.md")).hasContent("# mechanisms");
        assertThat(extracted.resolveSibling("Other.txt")).doesNotExist();
        try (Stream<Path> all = Files.walk(extracted)) {
            assertThat(all.filter(Files::isRegularFile).count()).isEqualTo(3);
        }
        // Opening the same jar again (its file system is closed after each extraction) works too.
        assertThat(SyntheaFeed.moduleDirectory(doc).resolve("sub/nested.json")).hasContent("{\"name\": \"Nested\"}");
    }

    private static List<String> jsonFiles(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        }
    }
}
