package dev.kindred.fhir;

import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.condition;
import static dev.kindred.fhir.testing.FhirJson.imagingStudy;
import static dev.kindred.fhir.testing.FhirJson.medicationRequest;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static dev.kindred.fhir.testing.FhirJson.procedure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.fhir.testing.FhirJson;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A corpus of bad inputs, each rejected with the right reason code, no fact, and a message without its values. */
class BadInputsTest {
    private static final FhirMapper MAPPER = new FhirMapper(FhirJson.testCatalog());
    private static final String SECRET = "Zyxwv-secret";

    static Stream<Arguments> corpus() {
        String obs = observation("o1", "Patient/p1", "8867-4", 70, "/min", "2020-01-01");
        return Stream.of(
                Arguments.of("empty record", "", RejectionReason.MALFORMED_JSON),
                Arguments.of("not JSON", "<xml>" + SECRET + "</xml>", RejectionReason.MALFORMED_JSON),
                Arguments.of("truncated JSON", obs.substring(0, obs.length() / 2), RejectionReason.MALFORMED_JSON),
                Arguments.of("a JSON array", "[1,2,3]", RejectionReason.MALFORMED_JSON),
                Arguments.of("no resourceType", "{\"id\":\"x\"}", RejectionReason.MALFORMED_JSON),
                Arguments.of("unknown resourceType", "{\"resourceType\":\"" + "Zyxwv\"}", RejectionReason.MALFORMED_JSON),
                Arguments.of("decimal as text", obs.replace("\"value\":70.0", "\"value\":\"" + SECRET + "\""),
                        RejectionReason.MALFORMED_JSON),
                Arguments.of("bad status code", obs.replace("\"final\"", "\"" + SECRET + "\""), RejectionReason.MALFORMED_JSON),
                Arguments.of("object where R4 has an array", obs.replace("\"code\":{\"coding\":[",
                        "\"interpretation\":{\"text\":\"" + SECRET + "\"},\"code\":{\"coding\":["), RejectionReason.MALFORMED_JSON),
                Arguments.of("STU3 shape and code systems", obs.replace("\"code\":{\"coding\":[",
                        "\"interpretation\":{\"coding\":[{\"system\":\"http://hl7.org/fhir/v2/0078\",\"code\":\"N\"}]},"
                                + "\"code\":{\"coding\":["), RejectionReason.UNSUPPORTED_FHIR_VERSION),
                Arguments.of("unsupported type", "{\"resourceType\":\"Claim\",\"id\":\"c1\"}", RejectionReason.UNSUPPORTED_RESOURCE),
                Arguments.of("no subject", obs.replace("\"subject\":{\"reference\":\"Patient/p1\"},", ""),
                        RejectionReason.MISSING_SUBJECT),
                Arguments.of("subject is a Group", obs.replace("Patient/p1", "Group/g1"), RejectionReason.UNSUPPORTED_SUBJECT),
                Arguments.of("subject typed Device", obs.replace("\"reference\":\"Patient/p1\"",
                        "\"reference\":\"d1\",\"type\":\"Device\""), RejectionReason.UNSUPPORTED_SUBJECT),
                Arguments.of("subject is not a reference", obs.replace("Patient/p1", "just-a-" + SECRET),
                        RejectionReason.UNRESOLVABLE_SUBJECT),
                Arguments.of("contained patient without identifier", obs.replace("Patient/p1", "#p").replace(
                        "\"status\"", "\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"p\"}],\"status\""),
                        RejectionReason.UNRESOLVABLE_SUBJECT),
                Arguments.of("unconvertible unit", observation("o2", "Patient/p1", "2339-0", 5, "g/L", "2020-01-01"),
                        RejectionReason.UNCONVERTIBLE_UNIT),
                Arguments.of("quantity without a number", obs.replace("\"value\":70.0,", ""), RejectionReason.BAD_VALUE),
                Arguments.of("string where a quantity is expected", obs.replaceAll("\"valueQuantity\":\\{[^}]*\\}",
                        "\"valueString\":\"" + SECRET + "\""), RejectionReason.BAD_VALUE),
                Arguments.of("unreadable date", obs.replace("2020-01-01", "2020-13-45"), RejectionReason.MALFORMED_JSON),
                Arguments.of("condition without code", condition("c1", "Patient/p1", "1", "active", "2020-01-01")
                        .replaceAll("\"code\":\\{\"coding\":\\[\\{\"system\":\"http://snomed.info/sct\",\"code\":\"1\"}]}",
                                "\"code\":{\"text\":\"" + SECRET + "\"}"), RejectionReason.MISSING_CODE),
                Arguments.of("procedure without code", procedure("p1", "Patient/p1", "1", "completed", "2020-01-01")
                        .replaceAll("\"code\":\\{.*?\\]\\},", ""), RejectionReason.MISSING_CODE),
                Arguments.of("imaging study without modality or code", imagingStudy("i1", "Patient/p1", "CT", "2020-01-01")
                        .replaceAll("(?s),\\s*\"series\":\\[.*\\]", ""), RejectionReason.MISSING_CODE),
                Arguments.of("medication as text only", medicationRequest("m1", "Patient/p1", "1", "active", "2020-01-01")
                        .replaceAll("\"medicationCodeableConcept\":\\{.*?\\]\\}", "\"medicationCodeableConcept\":{\"text\":\""
                                + SECRET + "\"}"), RejectionReason.UNKNOWN_MEDICATION),
                Arguments.of("medication reference nowhere", medicationRequest("m2", "Patient/p1", "1", "active", "2020-01-01")
                        .replaceAll("\"medicationCodeableConcept\":\\{.*?\\]\\}",
                                "\"medicationReference\":{\"reference\":\"#nothere\"}"), RejectionReason.UNKNOWN_MEDICATION),
                Arguments.of("image embedding of the wrong size", imagingStudy("i2", "Patient/p1", "CT", "2020-01-01")
                        .replace("\"status\":\"available\",", "\"status\":\"available\",\"extension\":[{\"url\":\""
                                + ImageEmbedding.URL + "\",\"valueBase64Binary\":\"" + ImageEmbedding.encode(new float[7])
                                + "\"}],"), RejectionReason.BAD_VALUE),
                Arguments.of("id-only notification", "{\"resourceType\":\"Bundle\",\"id\":\"n1\",\"type\":\"history\","
                        + "\"entry\":[{\"resource\":{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"subscription\","
                        + "\"valueReference\":{\"reference\":\"Subscription/s\"}},{\"name\":\"type\",\"valueCode\":"
                        + "\"event-notification\"},{\"name\":\"notification-event\",\"part\":[{\"name\":\"focus\","
                        + "\"valueReference\":{\"reference\":\"Observation/o9\"}}]}]}}]}", RejectionReason.ID_ONLY_NOTIFICATION));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void isRejectedWithTheRightReason(String name, String json, RejectionReason expected) {
        MappingResult result = MAPPER.map(bytes(json), Instant.parse("2030-01-01T00:00:00Z"));
        assertThat(result.facts()).as(name).isEmpty();
        assertThat(result.rejections()).as(name).singleElement().satisfies(r -> {
            assertThat(r.reason()).as(name + ": " + r.getMessage()).isEqualTo(expected);
            assertThat(r.getMessage()).as(name).isNotBlank().doesNotContain(SECRET);
        });
    }
}
