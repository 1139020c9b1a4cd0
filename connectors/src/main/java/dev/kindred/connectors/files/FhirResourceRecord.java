package dev.kindred.connectors.files;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * One FHIR resource read from a file, ready to be sent to Kafka: its own JSON (never the Bundle around
 * it) plus the few facts a replay needs to order and route it, read with Jackson rather than HAPI.
 *
 * <p>A record with {@code resourceType == null} is input that could not be read as a FHIR resource (not
 * JSON, truncated, no {@code resourceType}); {@code json} then holds the raw bytes as found, so a replay
 * still sends it and the stream's dead-letter topic reports it instead of it vanishing here.
 *
 * <p>As with any record holding an array, {@code equals} compares {@code json} by identity; compare
 * contents with {@link java.util.Arrays#equals(byte[], byte[])}.
 *
 * @param resourceType the resource's {@code resourceType}, or null for unreadable input
 * @param id           the resource's logical id, or null
 * @param json         the resource's JSON in UTF-8 (content-equivalent to the input), or the raw bytes
 * @param eventTime    when the event happened (see {@link FhirFileReader} for the table), or null
 * @param patientRef   the raw patient reference ({@code subject}/{@code patient}), {@code Patient/<id>} for
 *                     a Patient, or null
 * @param origin       where it came from, e.g. {@code /data/obs.ndjson:12} or {@code /data/b.json#entry[3]},
 *                     for error messages; never holds resource content
 */
public record FhirResourceRecord(String resourceType, String id, byte[] json, Instant eventTime, String patientRef,
                                 String origin) {

    public FhirResourceRecord {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(origin, "origin");
    }

    /** True when this is input that could not be read as a FHIR resource. */
    public boolean unparseable() {
        return resourceType == null;
    }

    /** The JSON (or raw bytes) as a UTF-8 string; for tests and debugging, not for logs (it is patient data). */
    public String jsonString() {
        return new String(json, StandardCharsets.UTF_8);
    }

    /** Shows type, id, time and origin, never the content. */
    @Override
    public String toString() {
        return "FhirResourceRecord[" + resourceType + "/" + id + " at " + eventTime + " from " + origin
                + ", " + json.length + " bytes]";
    }
}
