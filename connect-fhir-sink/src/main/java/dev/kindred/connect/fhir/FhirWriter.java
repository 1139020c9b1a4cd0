package dev.kindred.connect.fhir;

import ca.uhn.fhir.context.FhirContext;
import dev.kindred.connect.fhir.FhirSinkConfig.IdStrategy;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

/**
 * Writes resources to a FHIR server with one idempotent request each and says what became of it.
 *
 * <p>java.net.http rather than HAPI's generic client: the sink needs the raw status and the Retry-After
 * header of every answer to classify it, which HAPI's client turns into exceptions, and it keeps Apache
 * HttpClient out of the plugin. HAPI still does what it is good at: the model and its JSON encoding.
 */
final class FhirWriter {

    /** What became of a write. */
    enum Disposition {
        /** 2xx: stored (created, updated or unchanged). */
        WRITTEN,
        /** 408, 429, 5xx or no answer at all: try again later. */
        RETRY,
        /** Any other status: the server will not take this resource; dead-letter it. */
        REJECTED
    }

    /**
     * @param requestLine method and URL below the base, e.g. {@code PUT DetectedIssue/abc}
     * @param status HTTP status, or 0 when there was no answer
     * @param retryAfter the server's Retry-After, if it sent one
     * @param problem for a failure: what the server said (OperationOutcome issue codes and locations) or
     *     why there was no answer; never resource content
     */
    record Result(Disposition disposition, String requestLine, int status, Optional<Duration> retryAfter,
            String problem) {
    }

    private static final String FHIR_JSON = "application/fhir+json";

    private final FhirContext fhir;
    private final HttpClient http;
    private final String baseUrl;
    private final IdStrategy idStrategy;
    private final String authHeaderName;
    private final String authHeaderValue;
    private final Duration requestTimeout;

    FhirWriter(FhirContext fhir, FhirSinkConfig config) {
        this.fhir = fhir;
        this.baseUrl = config.fhirBaseUrl();
        this.idStrategy = config.idStrategy();
        this.authHeaderName = config.authHeaderName();
        this.authHeaderValue = config.authHeaderValue();
        this.requestTimeout = config.requestTimeout();
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The HTTP status classes of the standard: 429 and 5xx (and 408) retriable, other 4xx not. */
    static Disposition classify(int status) {
        if (status >= 200 && status < 300) {
            return Disposition.WRITTEN;
        }
        if (status == 408 || status == 429 || status >= 500 && status < 600) {
            return Disposition.RETRY;
        }
        return Disposition.REJECTED;
    }

    /**
     * Writes {@code resource} (its id already derived from the alert id) as {@code PUT [base]/{type}/{id}},
     * or, with the identifier strategy, as {@code PUT [base]/{type}?identifier=system|value} without an id.
     */
    Result write(Resource resource, Identifier identifier) throws InterruptedException {
        String type = resource.fhirType();
        String target;
        Resource body = resource;
        if (idStrategy == IdStrategy.IDENTIFIER) {
            target = type + "?identifier=" + URLEncoder.encode(identifier.getSystem() + "|" + identifier.getValue(),
                StandardCharsets.UTF_8);
            body = resource.copy();
            body.setIdElement(null);
        } else {
            target = type + "/" + resource.getIdElement().getIdPart();
        }
        String requestLine = "PUT " + target;
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/" + target))
            .timeout(requestTimeout)
            .header("Content-Type", FHIR_JSON + "; charset=UTF-8")
            .header("Accept", FHIR_JSON)
            .header("Prefer", "return=minimal")
            .PUT(HttpRequest.BodyPublishers.ofString(fhir.newJsonParser().encodeResourceToString(body),
                StandardCharsets.UTF_8));
        if (authHeaderValue != null) {
            request.header(authHeaderName, authHeaderValue);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(Disposition.RETRY, requestLine, 0, Optional.empty(),
                "no answer from the FHIR server (" + e.getClass().getSimpleName() + ")");
        }
        int status = response.statusCode();
        Disposition disposition = classify(status);
        String problem = disposition == Disposition.WRITTEN ? "" : describe(response);
        return new Result(disposition, requestLine, status, retryAfter(response), problem);
    }

    /** Retry-After as delay-seconds or an HTTP date; absent or unreadable gives empty. */
    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(FhirWriter::parseRetryAfter);
    }

    static Optional<Duration> parseRetryAfter(String value) {
        String trimmed = value.trim();
        try {
            long seconds = Long.parseLong(trimmed);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(Instant.now(), at);
                return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /** The OperationOutcome's issue severities, codes and locations: enough to act on, no content. */
    private String describe(HttpResponse<String> response) {
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        if (!contentType.contains("json") || response.body() == null || response.body().isBlank()) {
            return "";
        }
        try {
            OperationOutcome outcome = fhir.newJsonParser().parseResource(OperationOutcome.class, response.body());
            return outcome.getIssue().stream().map(issue -> {
                String where = issue.getExpression().isEmpty() ? ""
                    : " at " + issue.getExpression().stream().map(e -> e.getValue()).collect(Collectors.joining(", "));
                return (issue.hasSeverity() ? issue.getSeverity().toCode() : "?") + "/"
                    + (issue.hasCode() ? issue.getCode().toCode() : "?") + where;
            }).collect(Collectors.collectingAndThen(Collectors.toList(), FhirWriter::joinIssues));
        } catch (RuntimeException notAnOutcome) {
            return "";
        }
    }

    private static String joinIssues(List<String> issues) {
        return issues.isEmpty() ? "" : "OperationOutcome issues: " + String.join("; ", issues);
    }
}
