package dev.kindred.benchmarks.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.connectors.files.FhirResourceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AmplifierTest {
    private static final String PATIENT = "1fefb9dd-ab58-8072-c21a-2a322f47eb16";
    private static final String ENCOUNTER = "e-1";
    private static final Amplifier AMPLIFIER = new Amplifier(Set.of(PATIENT, ENCOUNTER, "obs-1"), 42);

    private static FhirResourceRecord observation(String subject) {
        String json = """
                {"resourceType":"Observation","id":"obs-1","status":"final",
                 "subject":{"reference":"%s"},"encounter":{"reference":"Encounter/e-1/_history/e-1"},
                 "performer":[{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999"}],
                 "identifier":[{"system":"urn:x","value":"A-17"}],
                 "effectiveDateTime":"2020-03-01T08:15:30.250+02:00","issued":"2020-03-01T08:15:30Z",
                 "valueQuantity":{"value":185.00,"unit":"mg/dL"}}""".formatted(subject);
        return new FhirResourceRecord("Observation", "obs-1", json.getBytes(StandardCharsets.UTF_8),
                Instant.parse("2020-03-01T06:15:30.250Z"), subject, "test");
    }

    private static JsonNode json(FhirResourceRecord r) throws IOException {
        return Amplifier.JSON.readTree(r.json());
    }

    @Test
    void theOriginalIsCopyZero() {
        FhirResourceRecord r = observation("Patient/" + PATIENT);
        assertThat(AMPLIFIER.copy(r, 0)).isSameAs(r);
    }

    @Test
    void aCopyHasNewIdsReferencesToThemAndEarlierDates() throws IOException {
        FhirResourceRecord copy = AMPLIFIER.copy(observation("Patient/" + PATIENT), 3);
        JsonNode json = json(copy);
        String patient = Amplifier.copyId(PATIENT, 3);
        int days = AMPLIFIER.shiftDays(3);

        assertThat(patient).isNotEqualTo(PATIENT).matches("[0-9a-f-]{36}");
        assertThat(copy.id()).isEqualTo("c3-obs-1").isEqualTo(json.get("id").asText());
        assertThat(json.at("/subject/reference").asText()).isEqualTo("Patient/" + patient);
        assertThat(copy.patientRef()).isEqualTo("Patient/" + patient);
        assertThat(json.at("/encounter/reference").asText()).as("the version id stays").isEqualTo("Encounter/c3-e-1/_history/e-1");
        assertThat(json.at("/performer/0/reference").asText()).startsWith("Practitioner?identifier=");
        assertThat(json.at("/identifier/0/value").asText()).isEqualTo("A-17-c3");
        assertThat(days).isBetween(1, 365);
        assertThat(copy.eventTime()).isEqualTo(Instant.parse("2020-03-01T06:15:30.250Z").minus(Duration.ofDays(days)));
        assertThat(json.get("effectiveDateTime").asText()).endsWith("T08:15:30.250+02:00");
        assertThat(json.at("/valueQuantity/value").decimalValue().toPlainString()).isEqualTo("185.00");
        assertThat(AMPLIFIER.copy(observation("Patient/" + PATIENT), 3).json()).as("deterministic").isEqualTo(copy.json());
    }

    @Test
    void everyFormOfAPatientReferenceMapsToTheSameCopy() {
        String patient = Amplifier.copyId(PATIENT, 2);
        assertThat(AMPLIFIER.rewriteReference("urn:uuid:" + PATIENT, 2)).isEqualTo("urn:uuid:" + patient);
        assertThat(AMPLIFIER.rewriteReference("https://ehr.example.org/fhir/Patient/" + PATIENT, 2))
                .isEqualTo("https://ehr.example.org/fhir/Patient/" + patient);
        assertThat(AMPLIFIER.rewriteReference("Patient/" + PATIENT + "/_history/2", 2))
                .isEqualTo("Patient/" + patient + "/_history/2");
        assertThat(AMPLIFIER.rewriteReference("#p1", 2)).isEqualTo("#p1");
        assertThat(AMPLIFIER.rewriteReference("Patient/someone-else", 2)).isEqualTo("Patient/someone-else");
        assertThat(Amplifier.copyId(PATIENT, 2)).isNotEqualTo(Amplifier.copyId(PATIENT, 3));
    }

    @Test
    void datesMoveByWholeDaysAndOtherTextStays() {
        assertThat(Amplifier.shiftDate("2020-03-01", 1)).isEqualTo("2020-02-29");
        assertThat(Amplifier.shiftDate("2020-03-01T00:30:00Z", 2)).isEqualTo("2020-02-28T00:30:00Z");
        assertThat(Amplifier.shiftDate("2020-03", 2)).as("a partial date stays").isEqualTo("2020-03");
        assertThat(Amplifier.shiftDate("final", 2)).isEqualTo("final");
    }
}
