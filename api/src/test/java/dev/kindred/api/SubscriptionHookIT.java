package dev.kindred.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.connectors.synthea.SyntheaFeed;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The subscription receiver served by the API over real HTTP: a Synthea patient arrives as HAPI's classic
 * rest-hook PUT and its observations as one R4 Backport full-resource notification, and Kindred builds the
 * patient's state from them; the receiver's state shows at /api/subscriptions and in /metrics.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class SubscriptionHookIT {
    static final String TOKEN = "clinician-token-0123456789";
    static final String SECRET = "Bearer hook-secret-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static TestStack stack;
    static ApiServer api;

    @BeforeAll
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    static void start() throws Exception {
        stack = TestStack.start(tmp);
        Map<String, Object> settings = new HashMap<>();
        settings.put(ApiConfig.TOKENS_CONFIG, "clinician:" + TOKEN);
        settings.put(ApiConfig.SUBSCRIPTION_ENABLED_CONFIG, true);
        settings.put(ApiConfig.SUBSCRIPTION_SECRET_HEADER_CONFIG, "Authorization: " + SECRET);
        api = stack.startInstance("a", settings, ApiServer.Options.SECURE).api();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static Http.Response send(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.url() + path)).timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/fhir+json").method(method, HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = Http.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Http.Response(r.statusCode(), r.body(), r.headers());
    }

    /** A backport event-notification with full resources, events numbered from 1, as a server sends them. */
    static String notification(String subscription, List<JsonNode> resources) {
        ObjectNode bundle = JSON.createObjectNode().put("resourceType", "Bundle").put("type", "history");
        ArrayNode entries = bundle.putArray("entry");
        ObjectNode status = entries.addObject().putObject("resource").put("resourceType", "Parameters");
        ArrayNode parameters = status.putArray("parameter");
        parameters.addObject().put("name", "subscription").putObject("valueReference").put("reference", subscription);
        parameters.addObject().put("name", "status").put("valueCode", "active");
        parameters.addObject().put("name", "type").put("valueCode", "event-notification");
        parameters.addObject().put("name", "events-since-subscription-start").put("valueString", "" + resources.size());
        for (int i = 0; i < resources.size(); i++) {
            JsonNode r = resources.get(i);
            String url = "https://ehr.example/fhir/" + r.path("resourceType").asText() + "/" + r.path("id").asText();
            ArrayNode parts = parameters.addObject().put("name", "notification-event").putArray("part");
            parts.addObject().put("name", "event-number").put("valueString", "" + (i + 1));
            parts.addObject().put("name", "focus").putObject("valueReference").put("reference", url);
            ObjectNode entry = entries.addObject().put("fullUrl", url);
            entry.set("resource", r);
        }
        return bundle.toString();
    }

    @Test
    void aPatientFedThroughTheHookGetsItsState() throws Exception {
        Path fhirDir = SyntheaFeed.generate(1, TestStack.SEED, Path.of("target", "synthea-cache-hook"));
        JsonNode patient = null;
        List<JsonNode> observations = new ArrayList<>();
        try (Stream<Path> files = Files.list(fhirDir)) {
            Path file = files.filter(f -> f.toString().endsWith(".json")).sorted().findFirst().orElseThrow();
            for (JsonNode entry : JSON.readTree(file.toFile()).path("entry")) {
                JsonNode r = entry.path("resource");
                switch (r.path("resourceType").asText()) {
                    case "Patient" -> patient = r;
                    case "Observation" -> observations.add(r);
                    default -> { }
                }
            }
        }
        assertThat(patient).isNotNull();
        String id = patient.path("id").asText();
        String subscription = "https://ehr.example/fhir/Subscription/kindred-" + id;
        String body = notification(subscription, observations);

        Http.Response refused = send("POST", "/subscription-hook", body, "Bearer wrong");
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(send("POST", "/subscription-hook", "{not json", SECRET).status()).isEqualTo(400);

        assertThat(send("PUT", "/subscription-hook/Patient/" + id, patient.toString(), SECRET).status()).isEqualTo(200);
        assertThat(send("POST", "/subscription-hook", body, SECRET).status()).isEqualTo(200);
        assertThat(send("POST", "/subscription-hook", body, SECRET).status()).isEqualTo(200);

        Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
            .until(() -> Http.get(api.url() + "/api/patients/" + id, auth).status() == 200);

        JsonNode states = Http.get(api.url() + "/api/subscriptions", auth).json();
        JsonNode state = null;
        for (JsonNode s : states) {
            if (subscription.equals(s.path("subscription").asText())) {
                state = s;
            }
        }
        assertThat(state).isNotNull();
        assertThat(state.path("lastEventNumber").asLong()).isEqualTo(observations.size());
        assertThat(state.path("duplicatesDropped").asLong()).isEqualTo(observations.size());
        assertThat(state.path("openGaps")).isEmpty();
        assertThat(Http.get(api.url() + "/metrics", auth).body())
            .contains("kindred_subscription_last_event_number{subscription=\"" + subscription + "\"} "
                + observations.size());
    }
}
