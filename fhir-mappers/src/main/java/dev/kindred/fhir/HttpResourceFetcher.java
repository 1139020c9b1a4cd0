package dev.kindred.fhir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Resource;

/**
 * Reads resources from a FHIR R4 server's REST API ({@code GET [base]/[type]/[id]}, {@code Accept:
 * application/fhir+json}) over {@link java.net.http}. Only the {@code Type/id} of a reference is used and it is
 * always fetched from the configured base, whatever server an absolute reference names: an input can never
 * make Kindred call an address of its choosing. Thread-safe.
 *
 * <p>Every failure (connection refused, timeout, an HTTP status other than 200, a body that is not a FHIR R4
 * resource of the requested type) is a {@link Rejection} with reason fetch-failed naming the reference and the
 * status, never the body.
 */
public final class HttpResourceFetcher implements ResourceFetcher {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final String base;
    private final HttpClient client;
    private final Duration timeout;

    /**
     * @param baseUrl the server's base, e.g. {@code https://fhir.hospital.example/r4} (a trailing slash is
     *     ignored)
     * @param timeout connect timeout and the time allowed for each request
     */
    public HttpResourceFetcher(String baseUrl, Duration timeout) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        String trimmed = baseUrl.trim();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        URI uri = URI.create(trimmed);
        if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("FHIR server base URL must be http or https: " + baseUrl);
        }
        this.base = trimmed;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    public HttpResourceFetcher(String baseUrl) {
        this(baseUrl, DEFAULT_TIMEOUT);
    }

    public String baseUrl() {
        return base;
    }

    @Override
    public Resource fetch(String reference) {
        IdType id = reference == null ? new IdType() : new IdType(reference);
        if (!id.hasResourceType() || !id.hasIdPart() || !id.getResourceType().matches("[A-Z][A-Za-z]{1,63}")
                || !id.getIdPart().matches("(?=.*[A-Za-z0-9])[A-Za-z0-9\\-.]{1,64}")) {
            throw new Rejection(RejectionReason.FETCH_FAILED, "cannot fetch " + String.valueOf(reference)
                    + ": not a Type/id reference");
        }
        String type = id.getResourceType();
        String path = type + "/" + id.getIdPart();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/" + path))
                .timeout(timeout)
                .header("Accept", "application/fhir+json")
                .GET()
                .build();
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new Rejection(RejectionReason.FETCH_FAILED, "timed out after " + timeout.toMillis() + " ms fetching "
                    + path + " from " + base, type, id.getIdPart());
        } catch (IOException e) {
            throw new Rejection(RejectionReason.FETCH_FAILED, "cannot fetch " + path + " from " + base + ": "
                    + e.getClass().getSimpleName(), type, id.getIdPart());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Rejection(RejectionReason.FETCH_FAILED, "interrupted fetching " + path, type, id.getIdPart());
        }
        if (response.statusCode() != 200) {
            throw new Rejection(RejectionReason.FETCH_FAILED, "HTTP " + response.statusCode() + " fetching " + path
                    + " from " + base, type, id.getIdPart());
        }
        Resource resource;
        try {
            resource = FhirParsing.parse(response.body());
        } catch (Rejection r) {
            throw new Rejection(RejectionReason.FETCH_FAILED, "the server's answer for " + path + " is not FHIR R4 JSON",
                    type, id.getIdPart());
        }
        if (!type.equals(resource.fhirType())) {
            throw new Rejection(RejectionReason.FETCH_FAILED, "the server answered " + path + " with a "
                    + resource.fhirType(), type, id.getIdPart());
        }
        return resource;
    }
}
