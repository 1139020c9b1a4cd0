package dev.kindred.api.cds;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.api.json.Json;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.MappingResult;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The FHIR data a CDS call brings or points to: the prefetch the client sent (every non-null value, whatever its
 * key), or, for the templates the client did not satisfy, what {@code fhirServer} returns with the
 * {@code fhirAuthorization} token. Resources become clinical facts through the same {@link FhirMapper} as the
 * stream. Facts about another patient than the one in context are dropped.
 */
public final class PatientData {
    /** The prefetch templates Kindred declares, by key (only the patient id token, so any client can fill them). */
    public static final Map<String, String> TEMPLATES;

    static {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("patient", "Patient/{{context.patientId}}");
        t.put("observations", "Observation?patient={{context.patientId}}");
        t.put("conditions", "Condition?patient={{context.patientId}}");
        t.put("medications", "MedicationRequest?patient={{context.patientId}}");
        TEMPLATES = java.util.Collections.unmodifiableMap(t);
    }

    static final int MAX_PAGES = 10;

    /** The data needed is missing: CDS Hooks answers 412. */
    public static final class Missing extends Exception {
        private static final long serialVersionUID = 1L;

        public Missing(String message) {
            super(message);
        }
    }

    private final FhirMapper mapper;
    private final HttpClient http;
    private final Duration timeout;

    public PatientData(FhirMapper mapper, Duration timeout) {
        this.mapper = mapper;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** What a call carried: facts about the patient, and where they came from. */
    public record Loaded(List<ClinicalFact> facts, List<String> prefetchKeysUsed, List<String> fetched) {
        public boolean any() {
            return !prefetchKeysUsed.isEmpty() || !fetched.isEmpty();
        }
    }

    /** Facts from the prefetch the client sent; keys with null values (no data) give none. */
    public Loaded fromPrefetch(String patientId, JsonNode prefetch) {
        List<ClinicalFact> facts = new ArrayList<>();
        List<String> used = new ArrayList<>();
        if (prefetch != null && prefetch.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = prefetch.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                used.add(e.getKey());
                if (e.getValue() != null && e.getValue().isObject()) {
                    facts.addAll(map(patientId, e.getValue()));
                }
            }
        }
        return new Loaded(facts, used, List.of());
    }

    /**
     * Fetches the declared templates the prefetch did not satisfy from the client's FHIR server, with its access
     * token. Only URLs under {@code fhirServer} are followed (paging included), so the token goes nowhere else.
     *
     * @throws Missing when the server cannot be read
     */
    public Loaded fetch(String patientId, String fhirServer, JsonNode fhirAuthorization, List<String> satisfied)
            throws Missing {
        String base = fhirServer.replaceAll("/+$", "");
        String token = fhirAuthorization != null && fhirAuthorization.hasNonNull("access_token")
                ? fhirAuthorization.get("access_token").asText() : null;
        List<ClinicalFact> facts = new ArrayList<>();
        List<String> fetched = new ArrayList<>();
        for (Map.Entry<String, String> t : TEMPLATES.entrySet()) {
            if (satisfied.contains(t.getKey())) {
                continue;
            }
            String url = base + "/" + t.getValue().replace("{{context.patientId}}",
                    URLEncoder.encode(patientId, StandardCharsets.UTF_8));
            for (int page = 0; url != null && page < MAX_PAGES; page++) {
                JsonNode body = get(url, token);
                if (body == null) {
                    break;
                }
                facts.addAll(map(patientId, body));
                url = next(body, base);
            }
            fetched.add(t.getKey());
        }
        return new Loaded(facts, List.of(), fetched);
    }

    private JsonNode get(String url, String token) throws Missing {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Accept", "application/fhir+json").GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 404 || response.statusCode() == 410) {
                return null;
            }
            if (response.statusCode() / 100 != 2) {
                throw new Missing("the FHIR server answered " + response.statusCode());
            }
            return Json.read(response.body());
        } catch (IOException | IllegalArgumentException e) {
            throw new Missing("the FHIR server could not be read (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Missing("interrupted");
        }
    }

    private static String next(JsonNode bundle, String base) {
        for (JsonNode link : bundle.path("link")) {
            if ("next".equals(link.path("relation").asText()) && link.hasNonNull("url")) {
                String url = link.get("url").asText();
                return url.startsWith(base + "/") || url.startsWith(base + "?") ? url : null;
            }
        }
        return null;
    }

    /** Facts about {@code patientId} in one resource or Bundle. */
    List<ClinicalFact> map(String patientId, JsonNode resource) {
        MappingResult result = mapper.map(Json.bytes(resource), Instant.now());
        List<ClinicalFact> out = new ArrayList<>();
        for (ClinicalFact f : result.facts()) {
            if (patientId.equals(f.getPatientKey())) {
                out.add(f);
            }
        }
        return out;
    }
}
