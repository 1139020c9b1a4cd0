package dev.kindred.fhir;

import static dev.kindred.fhir.testing.FhirJson.bundle;
import static dev.kindred.fhir.testing.FhirJson.bytes;
import static dev.kindred.fhir.testing.FhirJson.observation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.fhir.testing.FhirJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every Bundle type, subscription notifications, and fetching id-only notifications from a real HTTP server. */
class BundlesAndNotificationsTest {
    private static final Instant ARRIVAL = Instant.parse("2030-01-01T00:00:00Z");
    private final FhirMapper mapper = new FhirMapper(FhirJson.testCatalog());

    private HttpServer server;
    private final Map<String, String> served = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/fhir/", exchange -> {
            String path = exchange.getRequestURI().getPath().substring("/fhir/".length());
            requests.add(path + " Accept=" + exchange.getRequestHeaders().getFirst("Accept"));
            if (path.equals("Observation/slow")) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String body = served.get(path);
            byte[] bytes = (body == null ? "{\"resourceType\":\"OperationOutcome\"}" : body).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/fhir+json");
            exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        release.countDown();
        server.stop(0);
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/fhir";
    }

    private MappingResult map(String json) {
        return mapper.map(bytes(json), ARRIVAL);
    }

    // ---------------------------------------------------------------- Bundle types

    @ParameterizedTest
    @ValueSource(strings = {"collection", "transaction", "batch", "searchset", "history", "transaction-response",
            "batch-response", "document", "message"})
    void everyBundleTypeIsUnwrapped(String type) {
        MappingResult result = map(bundle(type,
                "urn:uuid:o1", observation("o1", "Patient/p1", "8867-4", 70, "/min", "2020-01-01"),
                "http://server/fhir/Observation/o2", observation("o2", "Patient/p2", "8867-4", 71, "/min", "2020-01-01")));
        assertThat(result.rejections()).isEmpty();
        assertThat(result.facts()).extracting(ClinicalFact::getPatientKey).containsExactly("p1", "p2");
    }

    @Test
    void nestedBundlesAndEntriesWithoutResourceAreHandled() {
        String inner = bundle("searchset", null, observation("o3", "Patient/p3", "8867-4", 72, "/min", "2020-01-01"));
        String outer = bundle("collection", null, inner, null,
                observation("o4", "Patient/p4", "8867-4", 73, "/min", "2020-01-01"))
                .replace("\"entry\":[", "\"entry\":[{\"request\":{\"method\":\"DELETE\",\"url\":\"Patient/234\"}},");
        MappingResult result = map(outer);
        assertThat(result.rejections()).isEmpty();
        assertThat(result.facts()).extracting(ClinicalFact::getPatientKey).containsExactly("p3", "p4");
    }

    // ---------------------------------------------------------------- subscription notifications

    private static String status(String type, String... focus) {
        StringBuilder events = new StringBuilder();
        for (int i = 0; i < focus.length; i++) {
            events.append(",{\"name\":\"notification-event\",\"part\":[{\"name\":\"event-number\",\"valueString\":\"")
                    .append(i + 1).append("\"},{\"name\":\"focus\",\"valueReference\":{\"reference\":\"")
                    .append(focus[i]).append("\"}}]}");
        }
        return "{\"resourceType\":\"Parameters\",\"id\":\"st\",\"parameter\":["
                + "{\"name\":\"subscription\",\"valueReference\":{\"reference\":\"https://ehr/fhir/Subscription/s1\"}},"
                + "{\"name\":\"status\",\"valueCode\":\"active\"},{\"name\":\"type\",\"valueCode\":\"" + type + "\"}"
                + events + "]}";
    }

    @Test
    void fullResourceNotificationYieldsItsResourcesButNotTheStatus() {
        String obs = observation("n1", "Patient/p1", "8867-4", 70, "/min", "2020-01-01");
        MappingResult result = map(bundle("history", "urn:uuid:st",
                status("event-notification", "https://ehr/fhir/Observation/n1"), "https://ehr/fhir/Observation/n1", obs));
        assertThat(result.rejections()).isEmpty();
        assertThat(result.facts()).singleElement().satisfies(f -> assertThat(f.getSourceResourceId()).isEqualTo("n1"));
        assertThat(requests).isEmpty();
    }

    @Test
    void handshakeAndHeartbeatYieldNothingAndAreNotErrors() {
        for (String type : List.of("handshake", "heartbeat")) {
            MappingResult result = map(bundle("history", "urn:uuid:st", status(type)));
            assertThat(result.facts()).as(type).isEmpty();
            assertThat(result.rejections()).as(type).isEmpty();
        }
    }

    @Test
    void idOnlyNotificationWithoutAServerIsRejected() {
        String idOnly = bundle("history", "urn:uuid:st", status("event-notification", "https://ehr/fhir/Observation/x1"));
        assertThat(map(idOnly).rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.ID_ONLY_NOTIFICATION);
            assertThat(r.resourceType()).isEqualTo("Bundle");
            assertThat(r.getMessage()).contains("Observation/x1");
        });
        // The other id-only form: entries with a fullUrl and no resource.
        String entries = "{\"resourceType\":\"Bundle\",\"type\":\"history\",\"entry\":[{\"fullUrl\":\"urn:uuid:st\","
                + "\"resource\":" + status("event-notification") + "},{\"fullUrl\":\"https://ehr/fhir/Condition/c1\","
                + "\"request\":{\"method\":\"PUT\",\"url\":\"Condition/c1\"}}]}";
        assertThat(map(entries).rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.ID_ONLY_NOTIFICATION);
            assertThat(r.getMessage()).contains("Condition/c1");
        });
    }

    @Test
    void idOnlyNotificationIsFetchedFromTheConfiguredServer() {
        served.put("Observation/x1", observation("x1", "Patient/p9", "8867-4", 88, "/min", "2021-05-05T00:00:00Z"));
        served.put("Patient/p9", FhirJson.patient("p9", "female", "1980-01-01"));
        FhirMapper fetching = new FhirMapper(FhirJson.testCatalog(), new HttpResourceFetcher(base(), Duration.ofSeconds(5)));
        String idOnly = bundle("history", "urn:uuid:st", status("event-notification",
                "https://ehr.example/fhir/Observation/x1", "Patient/p9", "Encounter/e1", "Observation/gone"));
        MappingResult result = fetching.map(bytes(idOnly), ARRIVAL);

        assertThat(result.facts()).extracting(ClinicalFact::getSourceResourceType, ClinicalFact::getPatientKey)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Observation", "p9"),
                        org.assertj.core.groups.Tuple.tuple("Patient", "p9"));
        assertThat(result.facts().get(0).getValue()).isEqualTo(88.0);
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.FETCH_FAILED);
            assertThat(r.resourceType()).isEqualTo("Observation");
            assertThat(r.resourceId()).isEqualTo("gone");
            assertThat(r.getMessage()).contains("HTTP 404").contains("Observation/gone");
        });
        // Only the configured server is asked, by Type/id, as FHIR JSON; the Encounter is not fetched.
        assertThat(requests).containsExactly("Observation/x1 Accept=application/fhir+json",
                "Patient/p9 Accept=application/fhir+json", "Observation/gone Accept=application/fhir+json");
        assertThat(result.contextResources()).isEqualTo(1);
    }

    @Test
    void fetchFailuresAreClearRejections() {
        HttpResourceFetcher impatient = new HttpResourceFetcher(base() + "/", Duration.ofMillis(300));
        assertThatThrownBy(() -> impatient.fetch("Observation/slow")).isInstanceOfSatisfying(Rejection.class, r -> {
            assertThat(r.reason()).isEqualTo(RejectionReason.FETCH_FAILED);
            assertThat(r.getMessage()).contains("timed out").contains("Observation/slow");
        });
        // The other answers come at once; a short time-out would fail them on a loaded machine.
        HttpResourceFetcher fetcher = new HttpResourceFetcher(base() + "/", Duration.ofSeconds(30));
        served.put("Observation/wrongtype", FhirJson.patient("p1", null, null));
        assertThatThrownBy(() -> fetcher.fetch("Observation/wrongtype")).isInstanceOfSatisfying(Rejection.class,
                r -> assertThat(r.getMessage()).contains("answered Observation/wrongtype with a Patient"));
        served.put("Observation/garbage", "<html>login</html>");
        assertThatThrownBy(() -> fetcher.fetch("Observation/garbage")).isInstanceOfSatisfying(Rejection.class,
                r -> assertThat(r.reason()).isEqualTo(RejectionReason.FETCH_FAILED));
        assertThatThrownBy(() -> fetcher.fetch("Observation/../../admin")).isInstanceOfSatisfying(Rejection.class,
                r -> assertThat(r.getMessage()).contains("not a Type/id reference"));
        HttpResourceFetcher nobody = new HttpResourceFetcher("http://127.0.0.1:1/fhir", Duration.ofSeconds(2));
        assertThatThrownBy(() -> nobody.fetch("Observation/x")).isInstanceOfSatisfying(Rejection.class,
                r -> assertThat(r.reason()).isEqualTo(RejectionReason.FETCH_FAILED));
        assertThat(requests).noneMatch(r -> r.contains("admin"));
    }

    @Test
    void medicationReferenceIsFetchedWhenAServerIsConfigured() {
        served.put("Medication/77", """
                {"resourceType":"Medication","id":"77",
                 "code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}]}}""");
        FhirMapper fetching = new FhirMapper(FhirJson.testCatalog(), new HttpResourceFetcher(base()));
        String request = FhirJson.medicationRequest("m1", "Patient/p1", "1", "active", "2020-01-01")
                .replaceAll("\"medicationCodeableConcept\":\\{.*?\\]\\}", "\"medicationReference\":{\"reference\":\"Medication/77\"}");
        assertThat(fetching.map(bytes(request), ARRIVAL).facts()).singleElement()
                .satisfies(f -> assertThat(f.getCode()).isEqualTo("860975"));
    }
}
