package dev.kindred.connectors.files;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Locates the shared official FHIR examples (beside the project in CI); tests skip when they are absent. */
public final class FhirExamples {

    private FhirExamples() {
    }

    /** {@code ../shared/fhir-examples} relative to the project root, or the {@code kindred.fhir.examples} property. */
    public static Path dirOrSkip() {
        String override = System.getProperty("kindred.fhir.examples");
        Path moduleDir = Path.of("").toAbsolutePath();
        Path dir = override != null ? Path.of(override)
                : moduleDir.getParent().resolveSibling("shared").resolve("fhir-examples");
        assumeTrue(Files.isDirectory(dir),
                "Skipped: the shared FHIR examples are not at " + dir + " (CI has them at ../shared/fhir-examples)");
        return dir;
    }
}
