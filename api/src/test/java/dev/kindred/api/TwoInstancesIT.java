package dev.kindred.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Kindred instances (own state directories, own application.server) sharing one application id on one
 * broker: each holds half the patient-state partitions, both hold the whole index. A request to either returns
 * the same similar patients for the same patient; the instance that does not hold the patient forwards the state
 * read to the one that does.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TwoInstancesIT {
    static final String TOKEN = "steward-token-0123456789ab";
    static final String INTERNAL = "internal-shared-secret-0123456789";

    @TempDir
    static Path tmp;

    static TestStack stack;
    static ApiServer a;
    static ApiServer b;

    @BeforeAll
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    static void start() throws Exception {
        stack = TestStack.start(tmp);
        a = stack.startInstance("a", settings(TestStack.freePort()), ApiServer.Options.SECURE).api();
        b = stack.startInstance("b", settings(TestStack.freePort()), ApiServer.Options.SECURE).api();
        await().atMost(Duration.ofMinutes(3)).until(() ->
                stack.instances.stream().allMatch(i -> i.service().streams().state().name().equals("RUNNING")));
        stack.replay(TestStack.synthea());
        stack.awaitProcessed(Duration.ofMinutes(8));
        await().atMost(Duration.ofMinutes(2)).until(() -> a.alertView().caughtUp() && b.alertView().caughtUp()
                && sameIndexSize());
    }

    static Map<String, Object> settings(int port) {
        Map<String, Object> s = new HashMap<>();
        s.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "127.0.0.1:" + port);
        s.put(ApiConfig.PORT_CONFIG, port);
        s.put(ApiConfig.TOKENS_CONFIG, "steward:" + TOKEN);
        s.put(ApiConfig.IDENTIFIED_ROLES_CONFIG, "steward");
        s.put(ApiConfig.INTERNAL_TOKEN_CONFIG, INTERNAL);
        return s;
    }

    static boolean sameIndexSize() throws Exception {
        int sa = Http.get(a.url() + "/health", Map.of()).json().path("index").path("spaces").path("clinical").path("size").asInt();
        int sb = Http.get(b.url() + "/health", Map.of()).json().path("index").path("spaces").path("clinical").path("size").asInt();
        return sa > 0 && sa == sb;
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static JsonNode get(ApiServer server, String path) throws Exception {
        Http.Response r = Http.get(server.url() + path, Map.of("Authorization", "Bearer " + TOKEN));
        assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void eitherInstanceReturnsTheSameSimilarPatients() throws Exception {
        TreeSet<String> patients = new TreeSet<>();
        get(a, "/api/alerts?limit=1000").path("alerts").forEach(x -> patients.add(x.path("patientKey").asText()));
        assertThat(patients).hasSizeGreaterThanOrEqualTo(3);
        int forwardedByA = 0;
        int forwardedByB = 0;
        for (String p : patients) {
            // Each instance searches its own copy of the global index, which may apply the last coalesced vector
            // publication a moment after the other: wait for the copies to agree, then they must stay equal.
            JsonNode[] answers = new JsonNode[2];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                answers[0] = get(a, "/api/patients/" + p + "/similar");
                answers[1] = get(b, "/api/patients/" + p + "/similar");
                return keysAndSimilarities(answers[0]).equals(keysAndSimilarities(answers[1]));
            });
            JsonNode viaA = answers[0];
            JsonNode viaB = answers[1];
            assertThat(keysAndSimilarities(viaB)).as("patient %s", p).isEqualTo(keysAndSimilarities(viaA))
                    .isNotEmpty();
            forwardedByA += viaA.path("servedBy").asText().equals("local") ? 0 : 1;
            forwardedByB += viaB.path("servedBy").asText().equals("local") ? 0 : 1;
            assertThat(get(a, "/api/patients/" + p).path("version").asLong())
                    .isEqualTo(get(b, "/api/patients/" + p).path("version").asLong());
        }
        assertThat(forwardedByA).as("requests A forwarded to B").isPositive();
        assertThat(forwardedByB).as("requests B forwarded to A").isPositive();
    }

    static List<String> keysAndSimilarities(JsonNode similar) {
        List<String> out = new ArrayList<>();
        similar.path("similarPatients").forEach(s -> out.add(s.path("patientKey").asText() + "@"
                + s.path("similarity").asText()));
        return out;
    }

    @Test
    void theInternalEndpointNeedsTheSharedToken() throws Exception {
        String any = get(a, "/api/alerts?limit=1").path("alerts").get(0).path("patientKey").asText();
        assertThat(Http.get(a.url() + "/internal/patients/" + any + "/state",
                Map.of("Authorization", "Bearer " + TOKEN)).status()).isEqualTo(401);
        int viaA = Http.get(a.url() + "/internal/patients/" + any + "/state",
                Map.of("Authorization", "Bearer " + INTERNAL)).status();
        int viaB = Http.get(b.url() + "/internal/patients/" + any + "/state",
                Map.of("Authorization", "Bearer " + INTERNAL)).status();
        assertThat(List.of(viaA, viaB)).as("exactly one instance holds the patient").containsExactlyInAnyOrder(200, 404);
    }
}
