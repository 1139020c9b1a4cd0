package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.connectors.synthea.SyntheaFeed;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.UnitConversion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kindred vectors} over a Synthea population of 100 patients (seed 42; generated once into
 * target/synthea-cache, about 90 s, and reused by later runs): every patient with an Observation is listed, and
 * every feature value printed equals its source Observation's value in the source's own unit.
 */
class VectorsCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FeatureCatalog CATALOG = FeatureCatalog.builtIn();
    private static Path population;

    @TempDir
    Path dir;

    @BeforeAll
    static void generate() {
        Assumptions.assumeTrue(SyntheaFeed.available(), "Synthea is not on the classpath (production build)");
        population = SyntheaFeed.generate(100, 42, Path.of("target", "synthea-cache"));
    }

    /** Observations of the population by id, and the patients that have at least one. */
    private static Map<String, JsonNode> observations(Path fhirDir, Set<String> patientsWithObservations)
            throws IOException {
        Map<String, JsonNode> byId = new HashMap<>();
        try (Stream<Path> files = Files.list(fhirDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                for (JsonNode entry : JSON.readTree(file.toFile()).path("entry")) {
                    JsonNode r = entry.path("resource");
                    if ("Observation".equals(r.path("resourceType").asText())) {
                        byId.put(r.path("id").asText(), r);
                        String ref = r.path("subject").path("reference").asText();
                        patientsWithObservations.add(ref.substring(ref.lastIndexOf(':') + 1).toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return byId;
    }

    /** The source value of a feature in an Observation (its value or the component with the code) and its unit. */
    private static JsonNode quantity(JsonNode observation, String loinc) {
        for (JsonNode component : observation.path("component")) {
            for (JsonNode c : component.path("code").path("coding")) {
                if (loinc.equals(c.path("code").asText())) {
                    return component.path("valueQuantity");
                }
            }
        }
        return observation.path("valueQuantity");
    }

    /** The catalog value back in the source unit: (canonical - offset) / factor, or itself in the canonical unit. */
    private static double backToSourceUnit(Feature feature, double canonical, String unit) {
        if (unit.equals(feature.unit())) {
            return canonical;
        }
        for (UnitConversion c : feature.conversions()) {
            if (c.unit().equals(unit)) {
                return (canonical - c.offset()) / c.factor();
            }
        }
        throw new AssertionError("unit " + unit + " of " + feature.id() + " is not in the catalog");
    }

    @Test
    void listsEveryPatientWithObservationsAndConvertedValuesEqualTheSource() throws IOException {
        Set<String> patientsWithObservations = new HashSet<>();
        Map<String, JsonNode> sources = observations(population, patientsWithObservations);

        VectorsCommandTest.Run run = VectorsCommandTest.run("--input", population.toString());

        assertThat(run.exit()).isZero();
        Set<String> listed = new HashSet<>();
        run.patients().forEach(p -> listed.add(p.path("patient").asText()));
        assertThat(patientsWithObservations).hasSizeGreaterThanOrEqualTo(100);
        assertThat(listed).containsAll(patientsWithObservations);
        assertThat(run.command().summary().rejectionsByReason()).as("Synthea output maps without rejections").isEmpty();

        int checked = 0;
        int converted = 0;
        for (JsonNode patient : run.patients()) {
            assertThat(patient.path("vectors").path("clinical").size())
                    .isEqualTo(new dev.kindred.clinical.patient.PatientVectorizer(CATALOG).dimensions("clinical").size());
            for (JsonNode f : patient.path("features")) {
                Feature feature = CATALOG.feature(f.path("feature").asText());
                if (feature == null) {
                    continue; // a coded finding: a score, not a converted quantity
                }
                String id = f.path("source").asText().substring("Observation/".length());
                JsonNode source = sources.get(id);
                assertThat(source).as("source of %s", f).isNotNull();
                JsonNode q = quantity(source, f.path("loinc").asText());
                String unit = q.path("code").asText();
                double back = backToSourceUnit(feature, f.path("value").asDouble(), unit);
                assertThat(back).as("%s %s in %s", feature.id(), id, unit)
                        .isCloseTo(q.path("value").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-9));
                assertThat(f.path("unit").asText()).isEqualTo(feature.unit());
                checked++;
                converted += unit.equals(feature.unit()) ? 0 : 1;
            }
        }
        assertThat(checked).as("feature values checked against their source").isGreaterThan(1000);
        System.err.printf("VectorsCommandIT: %d patients listed, %d with observations, %d values checked (%d in a"
                + " non-canonical unit)%n", listed.size(), patientsWithObservations.size(), checked, converted);
    }

    /**
     * The same population with glucose, weight and temperature rewritten into other units (mmol/L, lb, °F) gives
     * the same canonical values: conversion works both ways at population scale.
     */
    @Test
    void rewritingUnitsDoesNotChangeTheVectors() throws IOException {
        Path rewritten = Files.createDirectories(dir.resolve("rewritten"));
        List<Path> files;
        try (Stream<Path> list = Files.list(population)) {
            files = list.filter(f -> f.toString().endsWith(".json")).sorted().limit(10).toList();
        }
        Path original = Files.createDirectories(dir.resolve("original"));
        int changed = 0;
        for (Path file : files) {
            Files.copy(file, original.resolve(file.getFileName()));
            JsonNode bundle = JSON.readTree(file.toFile());
            for (JsonNode entry : bundle.path("entry")) {
                JsonNode r = entry.path("resource");
                if (!"Observation".equals(r.path("resourceType").asText()) || !r.has("valueQuantity")) {
                    continue;
                }
                String code = r.path("code").path("coding").path(0).path("code").asText();
                ObjectNode q = (ObjectNode) r.path("valueQuantity");
                double v = q.path("value").asDouble();
                switch (code) {
                    case "2339-0", "2345-7" -> set(q, v / 18.016, "mmol/L");
                    case "29463-7" -> set(q, v / 0.45359237, "[lb_av]");
                    case "8310-5" -> set(q, v * 9 / 5 + 32, "[degF]");
                    default -> {
                        continue;
                    }
                }
                changed++;
            }
            JSON.writeValue(rewritten.resolve(file.getFileName()).toFile(), bundle);
        }
        assertThat(changed).isGreaterThan(20);

        VectorsCommandTest.Run before = VectorsCommandTest.run("--input", original.toString());
        VectorsCommandTest.Run after = VectorsCommandTest.run("--input", rewritten.toString());
        assertThat(after.command().summary().rejectionsByReason()).isEmpty();
        assertThat(after.patients()).hasSameSizeAs(before.patients());
        for (int i = 0; i < before.patients().size(); i++) {
            JsonNode a = before.patients().get(i);
            JsonNode b = after.patients().get(i);
            assertThat(b.path("patient")).isEqualTo(a.path("patient"));
            Map<String, Double> valuesBefore = new HashMap<>();
            a.path("features").forEach(f -> valuesBefore.put(f.path("feature").asText(), f.path("value").asDouble()));
            for (JsonNode f : b.path("features")) {
                assertThat(f.path("value").asDouble()).as("%s %s", b.path("patient"), f.path("feature"))
                        .isCloseTo(valuesBefore.get(f.path("feature").asText()),
                                org.assertj.core.data.Offset.offset(1e-9 * Math.max(1, Math.abs(f.path("value").asDouble()))));
            }
        }
    }

    private static void set(ObjectNode quantity, double value, String ucum) {
        quantity.put("value", value).put("unit", ucum).put("code", ucum).put("system", "http://unitsofmeasure.org");
    }
}
