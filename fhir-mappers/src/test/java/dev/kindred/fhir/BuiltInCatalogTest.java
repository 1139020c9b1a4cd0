package dev.kindred.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.UnitConversion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class BuiltInCatalogTest {
    private static final FeatureCatalog CATALOG = FeatureCatalog.builtIn();
    private static final Path EXAMPLES = Path.of("../../shared/fhir-examples");

    @Test
    void loadsWithUniqueIdsAndUsableConversions() {
        assertThat(CATALOG.version()).isNotBlank();
        assertThat(CATALOG.features()).hasSizeGreaterThan(50);
        Set<String> ids = new HashSet<>();
        for (Feature f : CATALOG.features()) {
            assertThat(ids.add(f.id())).as("duplicate id %s", f.id()).isTrue();
            assertThat(f.unit()).as(f.id()).isNotBlank();
            assertThat(f.weight()).as(f.id()).isBetween(0.0, 10.0);
            for (UnitConversion c : f.conversions()) {
                assertThat(c.factor()).as(f.id() + " " + c.unit()).isFinite().isNotZero();
            }
        }
    }

    @Test
    void coversTheVitalsAndLabsSyntheaEmitsForEveryone() {
        for (String loinc : new String[] {"8480-6", "8462-4", "29463-7", "8302-2", "39156-5", "8867-4", "9279-1",
                "2339-0", "4548-4", "2093-3", "18262-6", "2571-8", "33914-3"}) {
            assertThat(CATALOG.featureForLoinc(loinc)).as(loinc).isNotNull();
        }
        assertThat(CATALOG.findingForLoinc("72166-2")).as("smoking status").isNotNull();
    }

    @Test
    void declaresTheImagingSpaceAndTheEmbeddingDimension() {
        assertThat(CATALOG.imaging().space()).isEqualTo("imaging");
        assertThat(CATALOG.imaging().modalities()).contains("CT", "MR", "DX", "US");
        assertThat(CATALOG.imaging().embeddingDimension()).isEqualTo(2048);
    }

    @Test
    void mapsTheOfficialExampleObservations() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(EXAMPLES), "../shared/fhir-examples is not beside the project");
        FhirMapper mapper = new FhirMapper(CATALOG);
        Instant now = Instant.now();

        MappingResult f001 = mapper.map(Files.readAllBytes(EXAMPLES.resolve("r4-Observation-f001.json")), now);
        assertThat(f001.facts()).singleElement().satisfies(f -> {
            assertThat(f.getUnit()).isEqualTo("mg/dL");
            assertThat(f.getValue()).isCloseTo(6.3 * 18.016, within(0.1));
            assertThat(f.getInterpretation()).isEqualTo("H");
        });

        MappingResult weight = mapper.map(Files.readAllBytes(EXAMPLES.resolve("r4-Observation-example.json")), now);
        assertThat(weight.facts()).singleElement().satisfies(f -> {
            assertThat(f.getUnit()).isEqualTo("kg");
            assertThat(f.getValue()).isCloseTo(185 * 0.45359237, within(1e-6));
        });

        MappingResult bp = mapper.map(Files.readAllBytes(EXAMPLES.resolve("r4-Observation-blood-pressure.json")), now);
        assertThat(bp.facts()).extracting(ClinicalFact::getCode).containsExactlyInAnyOrder("8480-6", "8462-4");

        MappingResult f202 = mapper.map(Files.readAllBytes(EXAMPLES.resolve("r4-Observation-f202.json")), now);
        assertThat(f202.facts()).isNotEmpty().allSatisfy(f -> assertThat(f.getRetracted()).isTrue());

        MappingResult herd = mapper.map(Files.readAllBytes(EXAMPLES.resolve("r4-Observation-herd1.json")), now);
        assertThat(herd.rejections()).singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectionReason.UNSUPPORTED_SUBJECT));
    }
}
