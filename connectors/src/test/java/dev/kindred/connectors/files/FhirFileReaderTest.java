package dev.kindred.connectors.files;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FhirFileReaderTest {

    @TempDir
    Path dir;

    private final FhirFileReader reader = new FhirFileReader();

    private static final String OBSERVATION = """
            {
              "resourceType": "Observation", "id": "bw1",
              "subject": {"reference": "urn:uuid:p-1"},
              "effectiveDateTime": "2021-03-04T10:15:30+01:00",
              "valueQuantity": {"value": 185.00, "unit": "[lb_av]"},
              "note": [{"text": "Zoë \\u00e9 ✓"}],
              "component": [{"valueQuantity": {"value": 1.0E-7}}, {"valueQuantity": {"value": 12345678901234567890.123456789}}]
            }""";

    @Test
    void readsASingleResourceWithExactContent() throws IOException {
        Path file = write("obs.json", OBSERVATION);

        List<FhirResourceRecord> records = reader.readAll(file);

        assertThat(records).hasSize(1);
        FhirResourceRecord r = records.get(0);
        assertThat(r.resourceType()).isEqualTo("Observation");
        assertThat(r.id()).isEqualTo("bw1");
        assertThat(r.patientRef()).isEqualTo("urn:uuid:p-1");
        assertThat(r.eventTime()).isEqualTo(Instant.parse("2021-03-04T09:15:30Z"));
        assertThat(r.origin()).isEqualTo(file.toString());
        // Same content as the input, decimals with their exact digits, unicode intact.
        assertThat(tree(r.json())).isEqualTo(tree(OBSERVATION.getBytes(StandardCharsets.UTF_8)));
        assertThat(r.jsonString()).contains("\"value\":185.00", "12345678901234567890.123456789", "Zoë é ✓")
                .doesNotContain("\n");
        assertThat(r.toString()).doesNotContain("185").contains("Observation/bw1");
        assertThat(reader.stats().resources()).isEqualTo(1);
    }

    @Test
    void unwrapsBundlesNestedBundlesAndSkipsEntriesWithoutResource() throws IOException {
        Path file = write("tx.json", """
                {"resourceType": "Bundle", "type": "transaction", "entry": [
                  {"fullUrl": "urn:uuid:p-1", "resource": {"resourceType": "Patient", "id": "p-1"}},
                  {"request": {"method": "DELETE", "url": "Observation/x"}},
                  {"resource": {"resourceType": "Bundle", "type": "collection", "entry": [
                     {"resource": {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p-1"},
                                   "recordedDate": "2019-02"}}]}},
                  {"resource": {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "urn:uuid:p-1"},
                                "period": {"start": "2020-01-01T08:00:00Z"}}}
                ]}""");

        List<FhirResourceRecord> records = reader.readAll(file);

        assertThat(records).extracting(FhirResourceRecord::resourceType).containsExactly("Patient", "Condition", "Encounter");
        assertThat(records).extracting(FhirResourceRecord::origin).containsExactly(
                file + "#entry[0]", file + "#entry[2]#entry[0]", file + "#entry[3]");
        assertThat(records.get(0).patientRef()).isEqualTo("Patient/p-1");
        assertThat(records.get(0).eventTime()).isNull();
        assertThat(records.get(1).eventTime()).isEqualTo(Instant.parse("2019-02-01T00:00:00Z"));
        assertThat(tree(records.get(1).json()).path("subject").path("reference").asText()).isEqualTo("Patient/p-1");
        assertThat(reader.stats().entriesWithoutResource()).isEqualTo(1);
        assertThat(reader.stats().resources()).isEqualTo(3);
    }

    @Test
    void bundleEntriesAreMadeToStandAloneLikeAServerWould() throws IOException {
        Path file = write("synthea.json", """
                {"resourceType": "Bundle", "type": "transaction", "entry": [
                  {"fullUrl": "urn:uuid:p-1", "resource": {"resourceType": "Patient", "id": "p-1"}},
                  {"fullUrl": "urn:uuid:med-1", "resource": {"resourceType": "Medication", "id": "med-1",
                     "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1535362"}]}}},
                  {"fullUrl": "urn:uuid:c-1", "resource": {"resourceType": "Condition", "id": "c-1",
                     "subject": {"reference": "urn:uuid:p-1"}}},
                  {"fullUrl": "urn:uuid:mr-1", "resource": {"resourceType": "MedicationRequest", "id": "mr-1",
                     "medicationReference": {"reference": "urn:uuid:med-1"}, "subject": {"reference": "urn:uuid:p-1"},
                     "reasonReference": [{"reference": "urn:uuid:c-1"}, {"reference": "urn:uuid:elsewhere"}],
                     "authoredOn": "2015-09-28T18:13:55+00:00"}}
                ]}""");

        List<FhirResourceRecord> records = reader.readAll(file);

        JsonNode request = tree(records.get(3).json());
        assertThat(request.path("subject").path("reference").asText()).isEqualTo("Patient/p-1");
        assertThat(request.path("medicationReference").path("reference").asText()).isEqualTo("#med-1");
        assertThat(request.path("contained").get(0).path("code").path("coding").get(0).path("code").asText())
                .isEqualTo("1535362");
        assertThat(request.path("reasonReference").get(0).path("reference").asText()).isEqualTo("Condition/c-1");
        assertThat(request.path("reasonReference").get(1).path("reference").asText()).isEqualTo("urn:uuid:elsewhere");
        assertThat(records.get(3).patientRef()).isEqualTo("Patient/p-1");
        assertThat(tree(records.get(2).json()).path("subject").path("reference").asText()).isEqualTo("Patient/p-1");
    }

    @Test
    void aSubscriptionNotificationYieldsItsResourcesButNotTheStatus() throws IOException {
        Path file = write("notification.json", """
                {"resourceType": "Bundle", "type": "history", "entry": [
                  {"resource": {"resourceType": "Parameters", "parameter": [
                     {"name": "subscription", "valueReference": {"reference": "Subscription/s1"}},
                     {"name": "type", "valueCode": "event-notification"}]}},
                  {"resource": {"resourceType": "Parameters", "id": "payload"}},
                  {"resource": {"resourceType": "Observation", "id": "o1", "issued": "2020-05-29T11:44:13.1882432-05:00"}}
                ]}""");

        List<FhirResourceRecord> records = reader.readAll(file);

        // Only the first entry is the status; a Parameters later on is a payload like any other.
        assertThat(records).extracting(FhirResourceRecord::id).containsExactly("payload", "o1");
        assertThat(records.get(1).eventTime()).isEqualTo(Instant.parse("2020-05-29T16:44:13.1882432Z"));
        assertThat(reader.stats().notificationStatuses()).isEqualTo(1);
    }

    @Test
    void ndjsonKeepsGoingPastABadLineAndPassesItOnRaw() throws IOException {
        String bad = "{\"resourceType\": \"Observation\", \"id\": \"trunc";
        Path file = write("Mixed.ndjson",
                "{\"resourceType\":\"Patient\",\"id\":\"p1\"}\r\n"
                        + "\n   \n"
                        + bad + "\n"
                        + "[1,2]\n"
                        + "{\"resourceType\":\"Procedure\",\"id\":\"pr1\",\"subject\":{\"reference\":\"Patient/p1\"},"
                        + "\"performedPeriod\":{\"start\":\"2018-07-01\"}}");

        List<FhirResourceRecord> records = reader.readAll(file);

        assertThat(records).extracting(FhirResourceRecord::resourceType).containsExactly("Patient", null, null, "Procedure");
        assertThat(records).extracting(FhirResourceRecord::origin)
                .containsExactly(file + ":1", file + ":4", file + ":5", file + ":6");
        assertThat(records.get(1).json()).isEqualTo(bad.getBytes(StandardCharsets.UTF_8));
        assertThat(records.get(1).unparseable()).isTrue();
        assertThat(records.get(2).jsonString()).isEqualTo("[1,2]");
        assertThat(records.get(3).eventTime()).isEqualTo(Instant.parse("2018-07-01T00:00:00Z"));
        assertThat(reader.stats().unparseable()).isEqualTo(2);
        assertThat(reader.stats().resources()).isEqualTo(2);
    }

    @Test
    void invalidJsonFilesBecomeUnparseableRecords() throws IOException {
        write("a-empty.json", "");
        write("b-dup.json", "{\"resourceType\":\"Patient\",\"id\":\"1\",\"id\":\"2\"}");
        write("c-trailing.json", "{\"resourceType\":\"Patient\",\"id\":\"1\"} {\"x\":1}");
        write("d-no-type.json", "{\"id\":\"1\"}");
        write("e-truncated.json", "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":");
        write("f-bad-bundle.json", "{\"resourceType\":\"Bundle\",\"entry\":{\"resource\":{}}}");
        write("g-bad-entry.json", "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":\"text\"}]}");

        List<FhirResourceRecord> records = reader.readAll(dir);

        assertThat(records).hasSize(7).allMatch(FhirResourceRecord::unparseable);
        assertThat(records.get(4).jsonString()).isEqualTo("{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":");
        assertThat(records.get(6).jsonString()).isEqualTo("\"text\"");
        assertThat(records.get(6).origin()).endsWith("g-bad-entry.json#entry[0]");
        assertThat(reader.stats().unparseable()).isEqualTo(7);
    }

    @Test
    void readsGzipByNameAndByMagicBytesAndReportsATruncatedGzip() throws IOException {
        Files.write(dir.resolve("1.ndjson.gz"), gzip("{\"resourceType\":\"Patient\",\"id\":\"g1\"}\n{\"resourceType\":\"Patient\",\"id\":\"g2\"}\n"));
        Files.write(dir.resolve("2-looks-plain.json"), gzip(OBSERVATION));
        byte[] whole = gzip("{\"resourceType\":\"Patient\",\"id\":\"g3\"}\n".repeat(200) + "{\"resourceType\":\"Patient\",\"id\":\"last\"}\n");
        Files.write(dir.resolve("3-truncated.ndjson.gz"), Arrays.copyOf(whole, whole.length - 12));
        byte[] json = gzip(OBSERVATION);
        Files.write(dir.resolve("4-truncated.json.gz"), Arrays.copyOf(json, json.length / 2));

        List<FhirResourceRecord> records = reader.readAll(dir);

        assertThat(records.subList(0, 3)).extracting(FhirResourceRecord::id).containsExactly("g1", "g2", "bw1");
        List<FhirResourceRecord> unparseable = records.stream().filter(FhirResourceRecord::unparseable).toList();
        assertThat(unparseable).hasSize(2);
        assertThat(unparseable.get(0).origin()).startsWith(dir.resolve("3-truncated.ndjson.gz") + ":");
        assertThat(unparseable.get(1).origin()).isEqualTo(dir.resolve("4-truncated.json.gz").toString());
        assertThat(records.stream().filter(r -> "g3".equals(r.id())).count()).isBetween(150L, 200L);
        assertThat(records).noneMatch(r -> "last".equals(r.id()));
    }

    @Test
    void walksDirectoriesRecursivelyInSortedOrderAndIgnoresOtherFiles() throws IOException {
        Files.createDirectories(dir.resolve("b/c"));
        write("b/c/z.ndjson", "{\"resourceType\":\"Patient\",\"id\":\"3\"}");
        write("b/a.json", "{\"resourceType\":\"Patient\",\"id\":\"2\"}");
        write("a.json", "{\"resourceType\":\"Patient\",\"id\":\"1\"}");
        write("README.md", "# not FHIR");
        write("done.marker", "");

        assertThat(reader.readAll(dir)).extracting(FhirResourceRecord::id).containsExactly("1", "2", "3");
        assertThat(reader.stats().files()).isEqualTo(3);
        assertThat(reader.stats().ignoredFiles()).isEqualTo(2);
        assertThatThrownBy(() -> reader.readAll(dir.resolve("missing")))
                .isInstanceOf(IOException.class).hasMessageContaining("missing");
    }

    @Test
    void streamsLazilyFileByFile() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            lines.append("{\"resourceType\":\"Observation\",\"id\":\"o").append(i).append("\"}\n");
        }
        Path file = write("big.ndjson", lines.toString());
        try (var stream = reader.stream(file)) {
            assertThat(stream.limit(3)).extracting(FhirResourceRecord::id).containsExactly("o0", "o1", "o2");
        }
        // Only what was pulled was parsed (plus nothing further: lines are read on demand).
        assertThat(reader.stats().resources()).isEqualTo(3);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Observation|{\"effectiveDateTime\":\"2020-01-02T03:04:05Z\",\"issued\":\"2021-01-01T00:00:00Z\"}|2020-01-02T03:04:05Z",
            "Observation|{\"effectivePeriod\":{\"start\":\"2020-01-02\"},\"issued\":\"2021-01-01T00:00:00Z\"}|2020-01-02T00:00:00Z",
            "Observation|{\"effectiveInstant\":\"2020-01-02T03:04:05.123+02:00\"}|2020-01-02T01:04:05.123Z",
            "Observation|{\"issued\":\"2021-01-01T00:00:00Z\"}|2021-01-01T00:00:00Z",
            "Observation|{\"effectiveDateTime\":\"not a date\",\"meta\":{\"lastUpdated\":\"2022-02-02T02:02:02Z\"}}|2022-02-02T02:02:02Z",
            "ImagingStudy|{\"started\":\"2017-01-01T11:01:20+03:00\"}|2017-01-01T08:01:20Z",
            "Procedure|{\"performedDateTime\":\"2013-04-05\"}|2013-04-05T00:00:00Z",
            "Procedure|{\"performedPeriod\":{\"start\":\"2013\"}}|2013-01-01T00:00:00Z",
            "MedicationRequest|{\"authoredOn\":\"2015-01-15\"}|2015-01-15T00:00:00Z",
            "MedicationAdministration|{\"effectivePeriod\":{\"start\":\"2015-01-15T14:30:00+01:00\"}}|2015-01-15T13:30:00Z",
            "Condition|{\"onsetDateTime\":\"2012-05-24\",\"recordedDate\":\"2013-01-01\"}|2012-05-24T00:00:00Z",
            "Condition|{\"recordedDate\":\"2013-01-01T10:00:00\"}|2013-01-01T10:00:00Z",
            "Encounter|{\"period\":{\"start\":\"2013-01-01T10:00:00Z\"}}|2013-01-01T10:00:00Z",
            "Patient|{\"meta\":{\"lastUpdated\":\"2022-02-02T02:02:02Z\"}}|",
            "Claim|{\"billablePeriod\":{\"start\":\"2019-09-09T09:09:09Z\"}}|2019-09-09T09:09:09Z",
            "Organization|{}|",
    })
    void eventTimeFollowsTheTable(String type, String body, String expected) throws IOException {
        JsonNode node = FhirFileReader.MAPPER.readTree(body);
        assertThat(ResourceFields.eventTime(type, node)).isEqualTo(expected == null ? null : Instant.parse(expected));
    }

    @Test
    void patientReferenceComesFromSubjectOrPatient() throws IOException {
        assertThat(ResourceFields.patientRef("MedicationRequest",
                FhirFileReader.MAPPER.readTree("{\"subject\":{\"reference\":\"Patient/1\"}}"))).isEqualTo("Patient/1");
        assertThat(ResourceFields.patientRef("Immunization",
                FhirFileReader.MAPPER.readTree("{\"patient\":{\"reference\":\"https://x/fhir/Patient/2\"}}")))
                .isEqualTo("https://x/fhir/Patient/2");
        assertThat(ResourceFields.patientRef("Observation",
                FhirFileReader.MAPPER.readTree("{\"subject\":{\"display\":\"no reference\"}}"))).isNull();
        assertThat(ResourceFields.patientRef("Patient", FhirFileReader.MAPPER.readTree("{\"id\":\"p9\"}"))).isEqualTo("Patient/p9");
    }

    @Test
    void readsTheOfficialExamplesWithTheirContentIntact() throws IOException {
        Path examples = FhirExamples.dirOrSkip();

        List<FhirResourceRecord> records = reader.readAll(examples);

        FhirFileReader.Stats stats = reader.stats();
        assertThat(stats.unparseable()).isZero();
        assertThat(stats.resources()).isEqualTo(52);
        assertThat(stats.entriesWithoutResource()).isEqualTo(4);
        assertThat(stats.notificationStatuses()).isEqualTo(6);
        assertThat(stats.ignoredFiles()).isEqualTo(2); // README.md, MANIFEST.tsv

        FhirResourceRecord f001 = find(records, "Observation", "f001");
        assertThat(f001.eventTime()).isEqualTo(Instant.parse("2013-04-02T09:30:10+01:00"));
        assertThat(f001.patientRef()).isEqualTo("Patient/f001");
        assertThat(find(records, "Observation", "f202").eventTime()).isEqualTo(Instant.parse("2013-04-04T13:27:00+01:00"));
        assertThat(find(records, "Observation", "1minute-apgar-score").patientRef()).isEqualTo("#newborn");
        assertThat(find(records, "Observation", "example").jsonString()).contains("\"value\":185");

        // Every record is the same JSON as the corresponding resource in its file.
        List<String> seen = new ArrayList<>();
        for (FhirResourceRecord r : records) {
            String file = r.origin().split("#")[0];
            JsonNode node = FhirFileReader.MAPPER.readTree(Files.readAllBytes(Path.of(file)));
            for (String part : r.origin().substring(file.length()).split("#")) {
                if (!part.isEmpty()) {
                    node = node.path("entry").path(Integer.parseInt(part.replaceAll("\\D", ""))).path("resource");
                }
            }
            assertThat(tree(r.json())).as(r.origin()).isEqualTo(node);
            seen.add(r.origin());
        }
        assertThat(seen).hasSize(52);
    }

    private static FhirResourceRecord find(List<FhirResourceRecord> records, String type, String id) {
        return records.stream().filter(r -> type.equals(r.resourceType()) && id.equals(r.id())).findFirst().orElseThrow();
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    private static JsonNode tree(byte[] json) throws IOException {
        return FhirFileReader.MAPPER.readTree(json);
    }

    private static byte[] gzip(String s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(s.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
