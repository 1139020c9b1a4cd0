package dev.kindred.connectors.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.fhir.FhirTimes;
import dev.kindred.fhir.Rejection;
import java.time.Instant;

/** What a replay orders and groups raw FHIR JSON by, read without parsing it as FHIR: event time and patient. */
public final class ResourceFields {
    private static final String[] GENERIC_TIME_FIELDS = {"effectiveDateTime", "effectivePeriod.start",
            "occurrenceDateTime", "performedDateTime", "period.start", "billablePeriod.start", "authoredOn",
            "recordedDate", "issued", "created", "date"};

    /** The event time of a resource per the table in {@link FhirFileReader}'s javadoc, or null. */
    public static Instant eventTime(String resourceType, JsonNode resource) {
        if ("Patient".equals(resourceType)) {
            return null;
        }
        String[] fields = switch (resourceType) {
            case "Observation", "DiagnosticReport" ->
                    new String[]{"effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"};
            case "ImagingStudy" -> new String[]{"started"};
            case "Procedure" -> new String[]{"performedDateTime", "performedPeriod.start"};
            case "MedicationRequest" -> new String[]{"authoredOn"};
            case "MedicationAdministration" -> new String[]{"effectiveDateTime", "effectivePeriod.start"};
            case "Condition" -> new String[]{"onsetDateTime", "recordedDate"};
            case "Encounter" -> new String[]{"period.start"};
            case "Immunization" -> new String[]{"occurrenceDateTime"};
            default -> GENERIC_TIME_FIELDS;
        };
        for (String field : fields) {
            Instant t = parseFhirDateTime(text(at(resource, field)));
            if (t != null) {
                return t;
            }
        }
        return parseFhirDateTime(text(resource.path("meta").path("lastUpdated")));
    }

    /** The raw patient reference of a resource (see {@link FhirFileReader}), or null. */
    public static String patientRef(String resourceType, JsonNode resource) {
        if ("Patient".equals(resourceType)) {
            String id = text(resource.get("id"));
            return id == null ? null : "Patient/" + id;
        }
        String ref = text(resource.path("subject").get("reference"));
        return ref != null ? ref : text(resource.path("patient").get("reference"));
    }

    /**
     * Parses a FHIR date, dateTime or instant: {@code YYYY}, {@code YYYY-MM}, {@code YYYY-MM-DD} (first
     * instant, UTC) or a full dateTime with or without offset (UTC if none), as the mappers read it. Null for null or
     * unreadable: a replay orders by it and must not fail on one bad date.
     */
    static Instant parseFhirDateTime(String value) {
        try {
            return FhirTimes.parse(value);
        } catch (Rejection unreadable) {
            return null;
        }
    }

    private static JsonNode at(JsonNode node, String dottedPath) {
        JsonNode current = node;
        for (String part : dottedPath.split("\\.")) {
            current = current.path(part);
        }
        return current;
    }

    static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }

    private ResourceFields() {
    }
}
