package dev.kindred.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import dev.kindred.fhir.catalog.FeatureCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official FHIR R4 examples and Subscriptions Backport notifications in ../shared/fhir-examples, each with
 * its trap (see that folder's README). Skipped with a message where the folder is not beside the project.
 */
class OfficialExamplesTest {
    private static final Path EXAMPLES = Path.of("../../shared/fhir-examples");
    private static final FhirMapper MAPPER = new FhirMapper(FeatureCatalog.builtIn());

    @BeforeAll
    static void examplesPresent() {
        Assumptions.assumeTrue(Files.isDirectory(EXAMPLES),
                "../shared/fhir-examples is not beside the project: official example tests skipped");
    }

    private static MappingResult map(String file) {
        try {
            return MAPPER.map(Files.readAllBytes(EXAMPLES.resolve(file)), Instant.parse("2030-01-01T00:00:00Z"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void imagingStudies() {
        assertThat(map("r4-ImagingStudy-example.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getKind()).isEqualTo(FactKind.IMAGING);
            assertThat(f.getPatientKey()).isEqualTo("dicom");
            assertThat(f.getCode()).isEqualTo("CT");
            assertThat(f.getImaging().getModalities()).containsExactly("CT");
            assertThat(f.getImaging().getBodySites()).containsExactly("http://snomed.info/sct|67734004");
            assertThat(f.getImaging().getSeries()).isEqualTo(1);
            assertThat(f.getImaging().getInstances()).isEqualTo(1);
            assertThat(f.getEffectiveTime()).isEqualTo(Instant.parse("2011-01-01T08:01:20Z"));
        });
        assertThat(map("r4-ImagingStudy-example-xr.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getCode()).isEqualTo("RPID2589");
            assertThat(f.getImaging().getModalities()).containsExactly("DX");
            assertThat(f.getImaging().getInstances()).isEqualTo(2);
        });
    }

    @Test
    void treatmentsDiagnosesAndPatients() {
        assertThat(map("r4-MedicationRequest-medrx0302.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getKind()).isEqualTo(FactKind.TREATMENT);
            assertThat(f.getCode()).isEqualTo("324252006"); // from the contained Medication #med0320
            assertThat(f.getReasons()).containsExactly("http://snomed.info/sct|11840006");
            assertThat(f.getEffectiveTime()).isEqualTo(Instant.parse("2015-01-15T00:00:00Z"));
        });
        assertThat(map("r4-MedicationAdministration-medadmin0301.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getSystem()).isEqualTo("http://hl7.org/fhir/sid/ndc");
            assertThat(f.getStatus()).isEqualTo("in-progress");
        });
        assertThat(map("r4-Procedure-f001.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getCode()).isEqualTo("34068001");
            assertThat(f.getEndTime()).isEqualTo(Instant.parse("2011-06-27T00:00:00Z"));
            assertThat(f.getOutcome()).as("a text-only outcome is not carried").isNull();
        });
        assertThat(map("r4-Condition-example.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getKind()).isEqualTo(FactKind.DIAGNOSIS);
            assertThat(f.getCode()).isEqualTo("39065001");
            assertThat(f.getStatus()).isEqualTo("active");
        });
        assertThat(map("r4-Patient-example.json").facts()).singleElement().satisfies(f -> {
            assertThat(f.getDemographics().getBirthDate()).isEqualTo(LocalDate.of(1974, 12, 25));
            assertThat(f.getDemographics().getGender()).isEqualTo("male");
            assertThat(f.getDemographics().getDeceased()).isFalse();
        });
    }

    @Test
    void observationTraps() {
        assertThat(map("r4-Observation-blood-pressure-cancel.json").facts()).hasSize(2)
                .allSatisfy(f -> assertThat(f.getRetracted()).isTrue());
        assertThat(map("r4-Observation-1minute-apgar-score.json").rejections()).as("contained #newborn").isEmpty();
        for (String ignored : new String[] {"r4-Observation-ekg.json", "r4-Observation-vitals-panel.json",
                "r4-Observation-f206.json", "r4-Observation-bloodgroup.json"}) {
            MappingResult r = map(ignored);
            assertThat(r.rejections()).as(ignored).isEmpty();
            assertThat(r.ignored()).as(ignored).isEqualTo(1);
        }
    }

    @Test
    void bundles() {
        MappingResult lipids = map("r4-Bundle-lipids.json");
        assertThat(lipids.facts()).extracting(ClinicalFact::getFeatureId).containsExactly("cholesterol_total",
                "triglycerides", "hdl_cholesterol", "ldl_cholesterol");
        assertThat(lipids.facts().get(0).getValue()).isCloseTo(6.3 * 38.67, within(1e-6));

        MappingResult references = map("r4-Bundle-bundle-references.json");
        assertThat(references.rejections()).isEmpty();
        assertThat(references.facts()).extracting(ClinicalFact::getKind, ClinicalFact::getPatientKey).containsExactly(
                tuple(FactKind.DEMOGRAPHICS, "23"), tuple(FactKind.DEMOGRAPHICS, "04121321-4af5-424c-a0e1-ed3aab1c349d"),
                tuple(FactKind.DEMOGRAPHICS, "45"), tuple(FactKind.DEMOGRAPHICS, "45"));

        MappingResult transaction = map("r4-Bundle-bundle-transaction.json");
        assertThat(transaction.rejections()).as("entries without a resource are skipped").isEmpty();
        assertThat(transaction.facts()).hasSize(5);
        assertThat(transaction.contextResources()).as("the $lookup Parameters").isEqualTo(1);
    }

    @Test
    void subscriptionNotifications() {
        for (String quiet : new String[] {"backport-r4-Bundle-r4-notification-handshake.json",
                "backport-r4-Bundle-r4-notification-heartbeat.json", "backport-r4-Bundle-r4-notification-empty.json",
                "backport-r4-Bundle-r4-notification-full-resource.json"}) {
            assertThat(map(quiet).rejections()).as(quiet).isEmpty();
            assertThat(map(quiet).facts()).as(quiet).isEmpty();
        }
        assertThat(map("backport-r4-Bundle-r4-notification-id-only.json").rejections()).singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectionReason.ID_ONLY_NOTIFICATION));
        assertThat(map("backport-r4-Bundle-r4-notification-multi-resource.json").facts()).singleElement()
                .satisfies(f -> assertThat(f.getPatientKey()).isEqualTo("1599eb66-431a-447c-a3de-6897fe9ae9a1"));
    }

    @Test
    void stu3IsRejectedAsAnotherFhirVersion() {
        assertThat(map("stu3-Observation-blood-pressure.json").rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.UNSUPPORTED_FHIR_VERSION);
            assertThat(r.resourceType()).isEqualTo("Observation");
        });
    }

    @Test
    void noOfficialR4ExampleIsMalformed() throws IOException {
        try (var files = Files.list(EXAMPLES)) {
            for (Path p : files.filter(f -> f.getFileName().toString().matches("(r4|backport-r4)-.*\\.json")).toList()) {
                assertThat(map(p.getFileName().toString()).rejections()).as(p.getFileName().toString())
                        .noneMatch(r -> r.reason() == RejectionReason.MALFORMED_JSON
                                || r.reason() == RejectionReason.UNSUPPORTED_FHIR_VERSION);
            }
        }
    }
}
