package dev.kindred.benchmarks.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The resources a parse-and-map benchmark reads, each as its own JSON bytes (what one Kafka record value holds).
 * Either taken from FHIR files (e.g. a Synthea population: Bundles are unwrapped, only the resource types Kindred
 * maps are kept, in file order) or generated: a seeded, Synthea-shaped mix of vitals and labs (some in
 * non-canonical units), blood-pressure panels, smoking status, conditions, medication requests, procedures,
 * imaging studies and patients.
 */
final class FhirCorpus {
    static final Set<String> MAPPED = Set.of("Observation", "Patient", "Condition", "MedicationRequest",
            "MedicationAdministration", "Procedure", "ImagingStudy");
    private static final ObjectMapper JSON = new ObjectMapper();

    private FhirCorpus() {
    }

    /** Up to {@code limit} resources of mapped types from the .json/.ndjson files under {@code dir}. */
    static List<byte[]> fromFiles(Path dir, int limit) {
        List<byte[]> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".ndjson")) {
                    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                        if (!line.isBlank()) {
                            add(JSON.readTree(line), out, limit);
                        }
                    }
                } else if (name.endsWith(".json")) {
                    add(JSON.readTree(file.toFile()), out, limit);
                }
                if (out.size() >= limit) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the benchmark corpus under " + dir, e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no FHIR resources of a mapped type under " + dir);
        }
        return out;
    }

    private static void add(JsonNode node, List<byte[]> out, int limit) throws IOException {
        if (out.size() >= limit) {
            return;
        }
        String type = node.path("resourceType").asText();
        if ("Bundle".equals(type)) {
            for (JsonNode entry : node.path("entry")) {
                if (entry.has("resource")) {
                    add(entry.get("resource"), out, limit);
                }
            }
        } else if (MAPPED.contains(type)) {
            out.add(JSON.writeValueAsBytes(node));
        }
    }

    /** {@code n} generated resources, the same for the same seed. */
    static List<byte[]> generated(int n, long seed) {
        Random random = new Random(seed);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String patient = "urn:uuid:" + new java.util.UUID(seed, i % 97).toString();
            String id = new java.util.UUID(seed + 1, i).toString();
            String time = String.format(Locale.ROOT, "20%02d-%02d-%02dT%02d:%02d:27+00:00", 10 + random.nextInt(15),
                    1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24), random.nextInt(60));
            int kind = random.nextInt(100);
            String json;
            if (kind < 40) {
                String[][] vitals = {{"8302-2", "Body Height", "cm", "170"}, {"29463-7", "Body Weight", "kg", "80"},
                        {"39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "27"}, {"8867-4", "Heart rate", "/min", "72"},
                        {"9279-1", "Respiratory rate", "/min", "16"}, {"8310-5", "Body temperature", "[degF]", "98.6"},
                        {"2339-0", "Glucose [Mass/volume] in Blood", "mmol/L", "5.6"},
                        {"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", "190"},
                        {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "5.8"},
                        {"2571-8", "Triglycerides", "mg/dL", "150"}};
                String[] v = vitals[random.nextInt(vitals.length)];
                double value = Double.parseDouble(v[3]) * (0.8 + 0.4 * random.nextDouble());
                json = observation(id, patient, time, v[0], v[1], "\"valueQuantity\":{\"value\":"
                        + String.format(Locale.ROOT, "%.2f", value) + ",\"unit\":\"" + v[2]
                        + "\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"" + v[2] + "\"}");
            } else if (kind < 55) {
                json = observation(id, patient, time, "85354-9", "Blood pressure panel with all children optional",
                        "\"component\":[" + component("8462-4", "Diastolic Blood Pressure", 60 + random.nextInt(40))
                                + "," + component("8480-6", "Systolic Blood Pressure", 100 + random.nextInt(60)) + "]");
            } else if (kind < 62) {
                json = observation(id, patient, time, "72166-2", "Tobacco smoking status", "\"valueCodeableConcept\":"
                        + "{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"266919005\",\"display\":"
                        + "\"Never smoked tobacco (finding)\"}],\"text\":\"Never smoked tobacco (finding)\"}");
            } else if (kind < 75) {
                json = "{\"resourceType\":\"Procedure\",\"id\":\"" + id + "\",\"meta\":{\"profile\":[\"http://hl7.org/"
                        + "fhir/us/core/StructureDefinition/us-core-procedure\"]},\"status\":\"completed\",\"code\":"
                        + "{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"430193006\",\"display\":"
                        + "\"Medication Reconciliation (procedure)\"}],\"text\":\"Medication Reconciliation (procedure)\"},"
                        + "\"subject\":{\"reference\":\"" + patient + "\"},\"encounter\":{\"reference\":\"urn:uuid:"
                        + id + "\"},\"performedPeriod\":{\"start\":\"" + time + "\",\"end\":\"" + time + "\"}}";
            } else if (kind < 85) {
                json = "{\"resourceType\":\"Condition\",\"id\":\"" + id + "\",\"meta\":{\"profile\":[\"http://hl7.org/"
                        + "fhir/us/core/StructureDefinition/us-core-condition-encounter-diagnosis\"]},\"clinicalStatus\":"
                        + "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":"
                        + "\"active\"}]},\"verificationStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/"
                        + "CodeSystem/condition-ver-status\",\"code\":\"confirmed\"}]},\"category\":[{\"coding\":[{"
                        + "\"system\":\"http://terminology.hl7.org/CodeSystem/condition-category\",\"code\":"
                        + "\"encounter-diagnosis\",\"display\":\"Encounter Diagnosis\"}]}],\"code\":{\"coding\":[{"
                        + "\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\",\"display\":\"Diabetes mellitus "
                        + "type 2 (disorder)\"}],\"text\":\"Diabetes mellitus type 2 (disorder)\"},\"subject\":{"
                        + "\"reference\":\"" + patient + "\"},\"onsetDateTime\":\"" + time + "\",\"recordedDate\":\""
                        + time + "\"}";
            } else if (kind < 95) {
                json = "{\"resourceType\":\"MedicationRequest\",\"id\":\"" + id + "\",\"status\":\"active\",\"intent\":"
                        + "\"order\",\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/"
                        + "research/umls/rxnorm\",\"code\":\"860975\",\"display\":\"24 HR Metformin hydrochloride 500 MG "
                        + "Extended Release Oral Tablet\"}]},\"subject\":{\"reference\":\"" + patient + "\"},"
                        + "\"authoredOn\":\"" + time + "\",\"reasonReference\":[{\"reference\":\"urn:uuid:" + id + "\"}]}";
            } else if (kind < 98) {
                json = "{\"resourceType\":\"ImagingStudy\",\"id\":\"" + id + "\",\"status\":\"available\",\"subject\":{"
                        + "\"reference\":\"" + patient + "\"},\"started\":\"" + time + "\",\"numberOfSeries\":1,"
                        + "\"numberOfInstances\":1,\"procedureCode\":[{\"coding\":[{\"system\":\"http://snomed.info/sct\","
                        + "\"code\":\"241046008\",\"display\":\"Dental X-ray bitewing (procedure)\"}]}],\"series\":[{"
                        + "\"uid\":\"1.2.840.99999999.1.97745083.1491560439912\",\"number\":1,\"modality\":{\"system\":"
                        + "\"http://dicom.nema.org/resources/ontology/DCM\",\"code\":\"DX\"},\"numberOfInstances\":1,"
                        + "\"bodySite\":{\"system\":\"http://snomed.info/sct\",\"code\":\"700016008\"},\"instance\":[{"
                        + "\"uid\":\"1.2.840.99999999.1.1.83739803.1491560439912\",\"sopClass\":{\"system\":"
                        + "\"urn:ietf:rfc:3986\",\"code\":\"urn:oid:1.2.840.10008.5.1.4.1.1.1.3\"},\"number\":1}]}]}";
            } else {
                json = "{\"resourceType\":\"Patient\",\"id\":\"" + patient.substring(9) + "\",\"gender\":\""
                        + (random.nextBoolean() ? "male" : "female") + "\",\"birthDate\":\"19" + (30 + random.nextInt(69))
                        + "-04-03\",\"name\":[{\"use\":\"official\",\"family\":\"Example\",\"given\":[\"Pat\"]}]}";
            }
            out.add(json.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static String observation(String id, String patient, String time, String loinc, String display,
            String value) {
        return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"meta\":{\"profile\":[\"http://hl7.org/fhir/"
                + "StructureDefinition/vitalsigns\"]},\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":"
                + "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"vital-signs\",\"display\":"
                + "\"Vital signs\"}]}],\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"" + loinc
                + "\",\"display\":\"" + display + "\"}],\"text\":\"" + display + "\"},\"subject\":{\"reference\":\""
                + patient + "\"},\"encounter\":{\"reference\":\"urn:uuid:" + id + "\"},\"effectiveDateTime\":\"" + time
                + "\",\"issued\":\"" + time.replace("+00:00", ".000+00:00") + "\"," + value + "}";
    }

    private static String component(String loinc, String display, int value) {
        return "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"" + loinc + "\",\"display\":\""
                + display + "\"}],\"text\":\"" + display + "\"},\"valueQuantity\":{\"value\":" + value + ",\"unit\":"
                + "\"mm[Hg]\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}}";
    }
}
