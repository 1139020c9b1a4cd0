package dev.kindred.testing.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.util.Jetty;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The test server over real HTTP, on the Jetty 12.1 line (the one Javalin brings). */
@Timeout(60)
class FhirTestServerTest {

    private static final String SYSTEM = "urn:test:alert";
    private static final IParser JSON = FhirContext.forR4Cached().newJsonParser();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    private static FhirTestServer server;

    @BeforeAll
    static void start() {
        server = new FhirTestServer().enforceReferentialIntegrity(true).start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void reset() {
        server.faults().clear();
        server.clearRequests();
        server.resources(DetectedIssue.class).clear();
        server.resources(Patient.class).clear();
        server.resources(Patient.class).put((Patient) new Patient().setId("p1"));
    }

    @Test
    void runsOnTheJettyLineOfTheClasspath() {
        assertThat(Jetty.VERSION).startsWith("12.1.");
        assertThat(server.baseUrl()).startsWith("http://127.0.0.1:").endsWith("/fhir");
    }

    @Test
    void updateAsCreateThenNoOpThenNewVersion() throws Exception {
        HttpResponse<String> created = send("PUT", "/DetectedIssue/a-1", issue("a-1", "first"));
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(send("PUT", "/DetectedIssue/a-1", issue("a-1", "first")).statusCode()).isEqualTo(200);
        assertThat(server.resources(DetectedIssue.class).versions("a-1")).hasSize(1);

        assertThat(send("PUT", "/DetectedIssue/a-1", issue("a-1", "second")).statusCode()).isEqualTo(200);
        DetectedIssue read = parse(send("GET", "/DetectedIssue/a-1", null), DetectedIssue.class);
        assertThat(read.getDetail()).isEqualTo("second");
        assertThat(read.getMeta().getVersionId()).isEqualTo("2");
        DetectedIssue first = parse(send("GET", "/DetectedIssue/a-1/_history/1", null), DetectedIssue.class);
        assertThat(first.getDetail()).isEqualTo("first");
        Bundle history = parse(send("GET", "/DetectedIssue/a-1/_history", null), Bundle.class);
        assertThat(history.getType()).isEqualTo(Bundle.BundleType.HISTORY);
        assertThat(history.getEntry()).hasSize(2);
        assertThat(send("GET", "/DetectedIssue/unknown", null).statusCode()).isEqualTo(404);
    }

    @Test
    void conditionalUpdateByIdentifierKeepsOneResource() throws Exception {
        String url = "/DetectedIssue?identifier=" + URLEncoder.encode(SYSTEM + "|x-1", StandardCharsets.UTF_8);
        assertThat(send("PUT", url, issue(null, "one")).statusCode()).isEqualTo(201);
        assertThat(send("PUT", url, issue(null, "two")).statusCode()).isEqualTo(200);
        List<DetectedIssue> stored = server.resources(DetectedIssue.class).byIdentifier(SYSTEM, "x-1");
        assertThat(stored).singleElement().satisfies(i -> assertThat(i.getDetail()).isEqualTo("two"));

        DetectedIssue copy = issue("other", "copy with the same identifier");
        copy.getIdentifierFirstRep().setValue("x-1");
        server.resources(DetectedIssue.class).put(copy);
        assertThat(send("PUT", url, issue(null, "three")).statusCode()).isEqualTo(412);
    }

    @Test
    void searchesByIdentifierPatientAndLastUpdated() throws Exception {
        send("PUT", "/DetectedIssue/s-1", issue("s-1", "one"));
        String between = server.resources(DetectedIssue.class).current("s-1").orElseThrow().getMeta()
            .getLastUpdatedElement().getValueAsString();
        send("PUT", "/DetectedIssue/s-2", issue("s-2", "two"));
        String second = server.resources(DetectedIssue.class).current("s-2").orElseThrow().getMeta()
            .getLastUpdatedElement().getValueAsString();

        assertThat(ids(send("GET", "/DetectedIssue?patient=Patient/p1", null))).containsExactlyInAnyOrder("s-1", "s-2");
        assertThat(ids(send("GET", "/DetectedIssue?patient=other", null))).isEmpty();
        assertThat(ids(send("GET", "/DetectedIssue?identifier="
            + URLEncoder.encode(SYSTEM + "|s-2", StandardCharsets.UTF_8), null))).containsExactly("s-2");
        assertThat(ids(send("GET", "/DetectedIssue?_lastUpdated=gt" + URLEncoder.encode(between,
            StandardCharsets.UTF_8), null))).containsExactly("s-2");
        assertThat(ids(send("GET", "/DetectedIssue/_history?_since=" + URLEncoder.encode(second,
            StandardCharsets.UTF_8), null))).containsExactly("s-2");
        assertThat(send("GET", "/DetectedIssue?unknown=1", null).statusCode()).isEqualTo(400);
    }

    @Test
    void rejectsAReferenceToAMissingPatient() throws Exception {
        DetectedIssue orphan = issue("o-1", "orphan");
        orphan.setPatient(new Reference("Patient/nobody"));
        HttpResponse<String> response = send("PUT", "/DetectedIssue/o-1", orphan);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("Patient/nobody");
        assertThat(server.resources(DetectedIssue.class).exists("o-1")).isFalse();
    }

    @Test
    void injectedFailuresAnswerBeforeHapiAndAreRecorded() throws Exception {
        server.faults().failNext(2, 503, "PUT")
            .failNext(1, 429, Duration.ofMillis(1500), request -> request.path().startsWith("/DetectedIssue"));
        assertThat(send("GET", "/Patient/p1", null).statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/DetectedIssue/f-1", issue("f-1", "x")).statusCode()).isEqualTo(503);
        assertThat(send("PUT", "/DetectedIssue/f-1", issue("f-1", "x")).statusCode()).isEqualTo(503);
        HttpResponse<String> throttled = send("PUT", "/DetectedIssue/f-1", issue("f-1", "x"));
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).contains("2");
        assertThat(server.faults().pendingFailures()).isZero();
        assertThat(send("PUT", "/DetectedIssue/f-1", issue("f-1", "x")).statusCode()).isEqualTo(201);

        assertThat(server.requests()).extracting(RecordedRequest::status).containsExactly(200, 503, 503, 429, 201);
        RecordedRequest last = server.requests().get(4);
        assertThat(last.method()).isEqualTo("PUT");
        assertThat(last.path()).isEqualTo("/DetectedIssue/f-1");
        assertThat(last.header("Content-Type")).startsWith("application/fhir+json");
        assertThat(JSON.parseResource(DetectedIssue.class, last.body()).getDetail()).isEqualTo("x");
    }

    @Test
    void requiresTheBearerTokenWhenAsked() throws Exception {
        server.faults().requireBearerToken("s3cret");
        assertThat(send("GET", "/Patient/p1", null).statusCode()).isEqualTo(401);
        HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/Patient/p1"))
            .header("Authorization", "Bearer s3cret").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    @Test
    void slowResponsesRunIntoTheClientTimeout() {
        server.faults().delayResponses(Duration.ofMillis(1500));
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/Patient/p1"))
            .timeout(Duration.ofMillis(300)).GET().build();
        assertThatThrownBy(() -> HTTP.send(request, HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(HttpTimeoutException.class);
    }

    @Test
    void subscriptionEventsAndStatusFollowTheBackportIg() throws Exception {
        server.resources(Observation.class).put((Observation) new Observation().setId("o1"));
        Subscription subscription = new Subscription().setStatus(Subscription.SubscriptionStatus.ACTIVE)
            .setCriteria("http://example.org/SubscriptionTopic/obs");
        subscription.setId("sub1");
        server.subscriptions().put(subscription);
        for (int i = 1; i <= 4; i++) {
            Observation focus = new Observation();
            focus.setId("Observation/o" + i);
            assertThat(server.subscriptions().recordEvent("sub1", focus)).isEqualTo(i);
        }

        Bundle events = parse(send("GET", "/Subscription/sub1/$events?eventsSinceNumber=2&eventsUntilNumber=3"
            + "&content=full-resource", null), Bundle.class);
        assertThat(events.getType()).isEqualTo(Bundle.BundleType.HISTORY);
        Parameters status = (Parameters) events.getEntryFirstRep().getResource();
        assertThat(status.getParameter("type").getValue().primitiveValue()).isEqualTo("query-event");
        assertThat(status.getParameter("events-since-subscription-start").getValue().primitiveValue()).isEqualTo("4");
        assertThat(status.getParameter().stream().filter(p -> p.getName().equals("notification-event"))
            .map(p -> p.getPart().get(0).getValue().primitiveValue())).containsExactly("2", "3");
        assertThat(events.getEntry().subList(1, 3)).extracting(e -> e.getResource().getIdElement().getIdPart())
            .containsExactly("o2", "o3");

        Bundle idOnly = parse(send("GET", "/Subscription/sub1/$events?eventsSinceNumber=4", null), Bundle.class);
        assertThat(idOnly.getEntry()).hasSize(2);
        assertThat(idOnly.getEntry().get(1).getFullUrl()).isEqualTo(server.baseUrl() + "/Observation/o4");
        assertThat(idOnly.getEntry().get(1).hasResource()).isFalse();

        Bundle statusBundle = parse(send("GET", "/Subscription/sub1/$status", null), Bundle.class);
        assertThat(statusBundle.getType()).isEqualTo(Bundle.BundleType.SEARCHSET);
        Parameters current = (Parameters) statusBundle.getEntryFirstRep().getResource();
        assertThat(current.getParameter("status").getValue().primitiveValue()).isEqualTo("active");
        assertThat(current.getParameter("type").getValue().primitiveValue()).isEqualTo("query-status");
        assertThat(send("GET", "/Subscription/nope/$status", null).statusCode()).isEqualTo(404);
    }

    private static DetectedIssue issue(String id, String detail) {
        DetectedIssue issue = new DetectedIssue();
        if (id != null) {
            issue.setId(id);
        }
        issue.setStatus(DetectedIssue.DetectedIssueStatus.FINAL);
        issue.setPatient(new Reference("Patient/p1"));
        issue.addIdentifier().setSystem(SYSTEM).setValue(id == null ? "x-1" : id);
        issue.setDetail(detail);
        return issue;
    }

    private static HttpResponse<String> send(String method, String path, Resource body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .timeout(Duration.ofSeconds(20)).header("Accept", "application/fhir+json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/fhir+json")
                .method(method, HttpRequest.BodyPublishers.ofString(JSON.encodeResourceToString(body)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static <T extends Resource> T parse(HttpResponse<String> response, Class<T> type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.parseResource(type, response.body());
    }

    private static List<String> ids(HttpResponse<String> response) {
        return parse(response, Bundle.class).getEntry().stream()
            .map(e -> e.getResource().getIdElement().getIdPart()).toList();
    }
}
