package dev.kindred.connectors.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The calls the receiver makes to the FHIR server that sends notifications: read an id-only focus and ask
 * {@code $events} for events it missed. Every request carries the configured header (e.g. a bearer token).
 */
final class FhirServerClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json;
    private final String base;
    private final String headerName;
    private final String headerValue;

    FhirServerClient(ObjectMapper json, String base, String authHeader) {
        this.json = json;
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        String[] header = SubscriptionReceiver.splitHeader(authHeader);
        this.headerName = header == null ? null : header[0];
        this.headerValue = header == null ? null : header[1];
    }

    /** Reads the resource a reference names ({@code Type/id}, absolute or relative; versions ignored). */
    JsonNode read(String reference) {
        return get(base + "/" + typeAndId(reference));
    }

    /** {@code GET [base]/Subscription/{id}/$events} for numbers {@code from..to} with full resources. */
    JsonNode events(String subscription, long from, long to) {
        String id = typeAndId(subscription).substring("Subscription/".length());
        return get(base + "/Subscription/" + id + "/$events?eventsSinceNumber=" + from + "&eventsUntilNumber=" + to
            + "&content=full-resource");
    }

    private JsonNode get(String url) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
            .header("Accept", "application/fhir+json").GET();
        if (headerName != null) {
            request.header(headerName, headerValue);
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() / 100 != 2) {
                throw new NotificationException(502, "the FHIR server answered " + response.statusCode() + " to GET "
                    + URI.create(url).getPath());
            }
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new NotificationException(502, "the FHIR server could not be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotificationException(503, "interrupted while asking the FHIR server", e);
        }
    }

    /** {@code Type/id} of a reference: {@code https://x/fhir/Encounter/1/_history/2} gives {@code Encounter/1}. */
    static String typeAndId(String reference) {
        String path = reference.replaceAll("/_history/[^/]*$", "");
        String[] parts = path.split("/");
        if (parts.length < 2 || parts[parts.length - 2].isEmpty() || !Character.isUpperCase(parts[parts.length - 2].charAt(0))) {
            throw new NotificationException(400, "the reference is not of the form Type/id");
        }
        return parts[parts.length - 2] + "/" + parts[parts.length - 1];
    }
}
