package dev.kindred.testing.fhir;

import java.util.List;
import java.util.Map;

/**
 * One request the test server received, for assertions: what was asked and what it answered.
 *
 * @param method HTTP method, upper case
 * @param path the path below the FHIR base, e.g. {@code /DetectedIssue/abc} (no query string)
 * @param query the raw query string, or null
 * @param headers request headers by lower-case name
 * @param body the request body as UTF-8 text ("" when there was none)
 * @param status the status the server answered with
 */
public record RecordedRequest(String method, String path, String query, Map<String, List<String>> headers,
        String body, int status) {

    /** The first value of a header (case-insensitive name), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** True for {@code PUT} and {@code POST}: requests that write. */
    public boolean isWrite() {
        return "PUT".equals(method) || "POST".equals(method);
    }

    @Override
    public String toString() {
        return method + " " + path + (query == null ? "" : "?" + query) + " -> " + status;
    }
}
