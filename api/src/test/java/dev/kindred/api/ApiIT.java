package dev.kindred.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.api.json.Json;
import dev.kindred.avro.Feedback;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.testing.fhir.FhirTestServer;
import dev.kindred.testing.fhir.RecordedRequest;
import dev.kindred.topology.KindredConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API and the CDS Hooks services on the dev stack, with auth on as in production: bearer tokens for the API,
 * JWTs signed by a configured EHR's keys for CDS Hooks. Synthea patients are replayed first.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ApiIT {
    static final String CLINICIAN = "clinician-token-0123456789";
    static final String STEWARD = "steward-token-0123456789ab";

    @TempDir
    static Path tmp;

    static TestStack stack;
    static ApiServer api;
    static Ehr ehr;
    static FhirTestServer fhir;
    static String patient;

    @BeforeAll
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    static void start() throws Exception {
        ehr = new Ehr(tmp);
        fhir = new FhirTestServer().start();
        stack = TestStack.start(tmp);
        Map<String, Object> settings = new HashMap<>(ehr.settings());
        settings.put(ApiConfig.TOKENS_CONFIG, "clinician:" + CLINICIAN + ",steward:" + STEWARD);
        settings.put(ApiConfig.IDENTIFIED_ROLES_CONFIG, "steward");
        api = stack.startInstance("a", settings, ApiServer.Options.SECURE).api();
        stack.replay(TestStack.synthea());
        stack.awaitProcessed(Duration.ofMinutes(8));
        await().atMost(Duration.ofMinutes(2)).until(() -> api.alertView().caughtUp() && api.alertView().held() > 0);
        // The patient with the most alerts.
        JsonNode alerts = get("/api/alerts?limit=1000", CLINICIAN).json().path("alerts");
        Map<String, Integer> counts = new HashMap<>();
        alerts.forEach(a -> counts.merge(a.path("patientKey").asText(), 1, Integer::sum));
        patient = counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (fhir != null) {
            fhir.close();
        }
    }

    static Http.Response get(String path, String token) throws Exception {
        return Http.get(api.url() + path, token == null ? Map.of() : Map.of("Authorization", "Bearer " + token));
    }

    static Http.Response cds(String path, String body, String authorization) throws Exception {
        return Http.post(api.url() + path, body, authorization == null ? Map.of() : Map.of("Authorization", authorization));
    }

    static String resource(String name, Map<String, String> values) throws IOException {
        try (InputStream in = ApiIT.class.getResourceAsStream(name)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (Map.Entry<String, String> e : values.entrySet()) {
                text = text.replace("{{" + e.getKey() + "}}", e.getValue());
            }
            return text;
        }
    }

    static String patientView(String patientId) {
        return "{\"hookInstance\":\"" + java.util.UUID.randomUUID() + "\",\"hook\":\"patient-view\","
                + "\"context\":{\"userId\":\"Practitioner/example\",\"patientId\":\"" + patientId + "\"}}";
    }

    /** CDS Hooks: no field null or empty anywhere, except the cards list itself. */
    static void assertNoNullOrEmpty(JsonNode node, String path) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                assertThat(v.isNull()).as(path + "." + e.getKey() + " is null").isFalse();
                assertThat((v.isTextual() && v.asText().isEmpty()) || (v.isContainerNode() && v.isEmpty()))
                        .as(path + "." + e.getKey() + " is empty").isFalse();
                assertNoNullOrEmpty(v, path + "." + e.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                assertNoNullOrEmpty(node.get(i), path + "[" + i + "]");
            }
        }
    }

    static void assertCard(JsonNode card) {
        assertThat(card.path("uuid").asText()).isNotBlank();
        assertThat(card.path("summary").asText()).isNotBlank();
        assertThat(card.path("summary").asText().length()).isLessThan(140);
        assertThat(card.path("indicator").asText()).isIn("info", "warning", "critical");
        assertThat(card.path("source").path("label").asText()).isNotBlank();
        if (card.has("suggestions")) {
            assertThat(card.path("selectionBehavior").asText()).isIn("at-most-one", "any");
        }
        assertThat(card.path("overrideReasons")).isNotEmpty();
        card.path("overrideReasons").forEach(r -> assertThat(r.path("display").asText()).isNotBlank());
        assertThat(card.path("links").get(0).path("type").asText()).isEqualTo("absolute");
        assertNoNullOrEmpty(card, "card");
    }

    // ------------------------------------------------------------------------------------------ API

    @Test
    void healthIsUpAndMetricsScrape() throws Exception {
        Http.Response health = get("/health", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asText()).isEqualTo("UP");
        assertThat(health.json().path("index").path("restored").asBoolean()).isTrue();
        assertThat(health.json().path("index").path("spaces").path("clinical").path("size").asInt()).isPositive();

        assertThat(get("/metrics", null).status()).isEqualTo(401);
        // The index registers its metrics on its first vector; the binder picks new ones up within seconds.
        await().atMost(Duration.ofMinutes(1)).until(() -> get("/metrics", CLINICIAN).body().contains("kafka_kindred_index_size"));
        Http.Response metrics = get("/metrics", CLINICIAN);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("kafka_stream_thread_process_total")
                .contains("kafka_kindred_index_size")
                .contains("kindred_http_server_requests_seconds")
                .contains("kafka_consumer_fetch_manager_records_consumed_total")
                .doesNotContain(patient);
    }

    @Test
    void theApiNeedsABearerToken() throws Exception {
        assertThat(get("/api/alerts", null).status()).isEqualTo(401);
        assertThat(get("/api/alerts", "wrong-token-0123456789").status()).isEqualTo(401);
        assertThat(get("/api/patients/" + patient, null).status()).isEqualTo(401);
        assertThat(get("/internal/patients/" + patient + "/state", CLINICIAN).status()).isEqualTo(401);
        assertThat(get("/openapi.json", null).json().path("openapi").asText()).startsWith("3.");
        assertThat(get("/dashboard/", null).body()).contains("Kindred");
    }

    @Test
    void aPatientsFeaturesVectorsAndSimilarPatients() throws Exception {
        JsonNode p = get("/api/patients/" + patient, CLINICIAN).json();
        assertThat(p.path("patientKey").asText()).isEqualTo(patient);
        assertThat(p.path("features")).isNotEmpty();
        JsonNode f = p.path("features").get(0);
        assertThat(f.has("referenceHigh") || f.has("referenceLow")).isTrue();
        assertThat(p.path("vectors").path("clinical").path("values")).isNotEmpty();
        assertThat(p.path("vectors").path("clinical").path("dimensions").size())
                .isEqualTo(p.path("vectors").path("clinical").path("values").size());
        assertThat(get("/api/patients/no-such-patient", CLINICIAN).status()).isEqualTo(404);

        JsonNode similar = get("/api/patients/" + patient + "/similar", CLINICIAN).json();
        assertThat(similar.path("similarPatients")).isNotEmpty();
        for (JsonNode s : similar.path("similarPatients")) {
            assertThat(s.path("pseudonym").asText()).startsWith("#");
            assertThat(s.has("patientKey")).as("de-identified for a clinician").isFalse();
            assertThat(s.path("similarity").asDouble()).isPositive();
            assertThat(s.has("sharedFeatures")).isTrue();
        }
        assertThat(similar.toString()).doesNotContain(otherPatientKeys());
        JsonNode identified = get("/api/patients/" + patient + "/similar", STEWARD).json();
        assertThat(identified.path("similarPatients").get(0).path("patientKey").asText()).isNotBlank();
    }

    /** Keys of every patient but the test patient, to check de-identified answers name none of them. */
    static String[] otherPatientKeys() throws Exception {
        JsonNode identified = get("/api/patients/" + patient + "/similar", STEWARD).json();
        List<String> keys = new ArrayList<>();
        identified.path("similarPatients").forEach(s -> keys.add(s.path("patientKey").asText()));
        return keys.toArray(String[]::new);
    }

    @Test
    void recentAlertsFilteredBySeverityPatientAndTime() throws Exception {
        JsonNode all = get("/api/alerts?limit=1000", CLINICIAN).json();
        assertThat(all.path("alerts")).isNotEmpty();
        JsonNode warnings = get("/api/alerts?severity=warning&limit=1000", CLINICIAN).json().path("alerts");
        warnings.forEach(a -> assertThat(a.path("indicator").asText()).isEqualTo("warning"));
        JsonNode mine = get("/api/alerts?patient=" + patient + "&limit=1000", CLINICIAN).json().path("alerts");
        assertThat(mine).isNotEmpty();
        mine.forEach(a -> assertThat(a.path("patientKey").asText()).isEqualTo(patient));
        Instant middle = Instant.parse(mine.get(mine.size() / 2).path("eventTime").asText());
        JsonNode later = get("/api/alerts?patient=" + patient + "&from=" + middle + "&limit=1000", CLINICIAN).json()
                .path("alerts");
        assertThat(later.size()).isLessThanOrEqualTo(mine.size()).isPositive();
        later.forEach(a -> assertThat(Instant.parse(a.path("eventTime").asText())).isAfterOrEqualTo(middle));

        JsonNode latest = get("/api/patients/" + patient + "/alerts", CLINICIAN).json().path("alerts");
        assertThat(latest).isNotEmpty();
        JsonNode one = latest.get(0);
        assertThat(one.path("detail").asText()).doesNotContain(otherPatientKeys());
        JsonNode byId = get("/api/alerts/" + one.path("alertId").asText(), CLINICIAN).json();
        assertThat(byId.path("alertId").asText()).isEqualTo(one.path("alertId").asText());
    }

    @Test
    void theAlertStreamResumesFromLastEventId() throws Exception {
        JsonNode list = get("/api/alerts?limit=3", CLINICIAN).json();
        // Resume from the position of the third-newest alert: the two newer ones come first.
        String third = list.path("alerts").get(2).path("position").asText();
        List<String> ids = readEvents(third, 2);
        assertThat(ids).containsExactly(list.path("alerts").get(1).path("alertId").asText(),
                list.path("alerts").get(0).path("alertId").asText());
    }

    /** Opens the SSE stream with Last-Event-ID and reads the ids of the first {@code n} alert events. */
    static List<String> readEvents(String lastEventId, int n) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(api.url() + "/api/alerts/stream"))
                .header("Authorization", "Bearer " + CLINICIAN).header("Last-Event-ID", lastEventId)
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(60)).GET().build();
        HttpResponse<java.util.stream.Stream<String>> response = Http.CLIENT.send(request,
                HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> ids = new ArrayList<>();
        try (java.util.stream.Stream<String> lines = response.body()) {
            Iterator<String> it = lines.iterator();
            String event = null;
            while (ids.size() < n && it.hasNext()) {
                String line = it.next();
                if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:") && "alert".equals(event)) {
                    ids.add(Json.read(line.substring(5).strip()).path("alertId").asText());
                }
            }
        }
        return ids;
    }

    // ------------------------------------------------------------------------------------------ CDS Hooks

    @Test
    void discoveryListsTheServices() throws Exception {
        String url = api.publicUrl() + "/cds-services";
        Http.Response r = Http.get(url, Map.of("Authorization", ehr.bearer(url)));
        assertThat(r.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        r.json().path("services").forEach(s -> {
            ids.add(s.path("id").asText());
            assertThat(s.path("hook").asText()).isNotBlank();
            assertThat(s.path("description").asText()).isNotBlank();
            assertThat(s.path("prefetch").path("patient").asText()).isEqualTo("Patient/{{context.patientId}}");
        });
        assertThat(ids).containsExactly("kindred-patient-view", "kindred-order-select", "kindred-order-sign");
        assertNoNullOrEmpty(r.json(), "discovery");
        assertThat(Http.get(url, Map.of()).status()).isEqualTo(401);
    }

    @Test
    void patientViewReturnsTheLatestAlertsAsCards() throws Exception {
        String url = api.publicUrl() + "/cds-services/kindred-patient-view";
        Http.Response r = cds("/cds-services/kindred-patient-view", patientView(patient), ehr.bearer(url));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode cards = r.json().path("cards");
        assertThat(cards).isNotEmpty();
        List<String> alertIds = new ArrayList<>();
        get("/api/patients/" + patient + "/alerts", CLINICIAN).json().path("alerts")
                .forEach(a -> alertIds.add(a.path("alertId").asText()));
        for (JsonNode card : cards) {
            assertCard(card);
            assertThat(alertIds).as("card uuid = alert id").contains(card.path("uuid").asText());
        }
        assertThat(r.body()).doesNotContain(otherPatientKeys());
    }

    @Test
    void theSpecsPatientViewExampleIsAnsweredFromItsPrefetch() throws Exception {
        String url = api.publicUrl() + "/cds-services/kindred-patient-view";
        String body = resource("/cds/patient-view-spec-example.json", Map.of("fhirServer", fhir.baseUrl()));
        fhir.clearRequests();
        Http.Response r = cds("/cds-services/kindred-patient-view", body, ehr.bearer(url));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode card = r.json().path("cards").get(0);
        assertCard(card);
        assertThat(card.path("source").path("label").asText()).contains("computed on request");
        assertThat(fhir.requests()).as("the prefetch sufficed").isEmpty();
    }

    @Test
    void aPatientKindredDoesNotKnowIsFetchedFromFhirServerElse412() throws Exception {
        String url = api.publicUrl() + "/cds-services/kindred-patient-view";
        assertThat(cds("/cds-services/kindred-patient-view", patientView("nobody-knows"), ehr.bearer(url)).status())
                .isEqualTo(412);

        Patient p = new Patient();
        p.setId("fetched-1");
        p.setGender(Enumerations.AdministrativeGender.FEMALE);
        p.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1960-02-03"));
        fhir.resources(Patient.class).put(p);
        Observation sbp = new Observation();
        sbp.setId("fetched-sbp");
        sbp.setStatus(Observation.ObservationStatus.FINAL);
        sbp.getCode().addCoding().setSystem("http://loinc.org").setCode("8480-6");
        sbp.setSubject(new Reference("Patient/fetched-1"));
        sbp.setEffective(new DateTimeType("2024-05-01T10:00:00Z"));
        sbp.setValue(new Quantity().setValue(172).setUnit("mm[Hg]").setSystem("http://unitsofmeasure.org").setCode("mm[Hg]"));
        fhir.resources(Observation.class).put(sbp);
        fhir.clearRequests();
        String body = "{\"hookInstance\":\"" + java.util.UUID.randomUUID() + "\",\"hook\":\"patient-view\","
                + "\"fhirServer\":\"" + fhir.baseUrl() + "\",\"fhirAuthorization\":{\"access_token\":\"opaque-fhir-token\","
                + "\"token_type\":\"Bearer\",\"expires_in\":300,\"scope\":\"user/*.read\",\"subject\":\"kindred\"},"
                + "\"context\":{\"userId\":\"Practitioner/example\",\"patientId\":\"fetched-1\"}}";
        Http.Response r = cds("/cds-services/kindred-patient-view", body, ehr.bearer(url));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode card = r.json().path("cards").get(0);
        assertCard(card);
        assertThat(card.path("summary").asText()).containsIgnoringCase("systolic");
        List<RecordedRequest> requests = fhir.requests();
        assertThat(requests).extracting(RecordedRequest::path).anyMatch(s -> s.endsWith("/Observation"));
        assertThat(requests).allMatch(q -> "Bearer opaque-fhir-token".equals(q.header("Authorization")));
    }

    @Test
    void orderSelectWithADraftedAntihypertensiveTellsHowSimilarPatientsDid() throws Exception {
        String url = api.publicUrl() + "/cds-services/kindred-order-select";
        String body = resource("/cds/order-select-example.json", Map.of("patientId", patient, "fhirServer", fhir.baseUrl()));
        Http.Response r = cds("/cds-services/kindred-order-select", body, ehr.bearer(url));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode cards = r.json().path("cards");
        assertThat(cards).hasSize(1);
        JsonNode card = cards.get(0);
        assertCard(card);
        assertThat(card.path("summary").asText()).startsWith("lisinopril 10 MG Oral Tablet:");
        assertThat(card.path("detail").asText()).contains("most similar patients").contains("systolic_bp");
        assertThat(r.body()).doesNotContain(otherPatientKeys());

        String signUrl = api.publicUrl() + "/cds-services/kindred-order-sign";
        String sign = body.replace("\"order-select\"", "\"order-sign\"");
        Http.Response signed = cds("/cds-services/kindred-order-sign", sign, ehr.bearer(signUrl));
        assertThat(signed.status()).as(signed.body()).isEqualTo(200);
        assertThat(signed.json().path("cards").get(0).path("uuid").asText()).isNotBlank();
        String noDraft = "{\"hookInstance\":\"x\",\"hook\":\"order-select\",\"context\":{\"userId\":\"Practitioner/1\","
                + "\"patientId\":\"" + patient + "\",\"selections\":[]}}";
        assertThat(cds("/cds-services/kindred-order-select", noDraft, ehr.bearer(url)).status()).isEqualTo(400);
    }

    @Test
    void jwtsAreVerifiedAsTheSpecSays() throws Exception {
        String path = "/cds-services/kindred-patient-view";
        String url = api.publicUrl() + path;
        String body = patientView(patient);
        Instant soon = Instant.now().plusSeconds(300);

        assertThat(cds(path, body, "Bearer " + ehr.es384(Ehr.claims(url, soon).build())).status()).isEqualTo(200);
        assertThat(cds(path, body, "Bearer " + ehr.rs384(Ehr.claims(url, soon).build())).status()).isEqualTo(200);
        assertThat(cds(path, body, null).status()).as("no token").isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + ehr.es384(Ehr.claims(api.publicUrl() + "/cds-services/other", soon)
                .build())).status()).as("wrong aud").isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + ehr.es384(Ehr.claims(url, Instant.now().minusSeconds(600)).build()))
                .status()).as("expired").isEqualTo(401);
        String once = "Bearer " + ehr.es384(Ehr.claims(url, soon).build());
        assertThat(cds(path, body, once).status()).isEqualTo(200);
        assertThat(cds(path, body, once).status()).as("replayed jti").isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + Ehr.none(Ehr.claims(url, soon).build())).status()).as("alg none")
                .isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + Ehr.hs256(Ehr.claims(url, soon).build())).status()).as("HS256")
                .isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + ehr.es384(Ehr.claims(url, soon).issuer("https://evil.example").build()))
                .status()).as("unknown issuer").isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + ehr.es384WithJku(Ehr.claims(url, soon).build(),
                "https://evil.example/jwks.json")).status()).as("foreign jku").isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + ehr.es384(Ehr.claims(url, Instant.now().plus(Duration.ofDays(2)))
                .build())).status()).as("exp too far ahead").isEqualTo(401);
        assertThat(cds(path, body, "Bearer " + CLINICIAN).status()).as("an API token is no JWT").isEqualTo(401);
    }

    @Test
    void corsPreflightNeedsNoToken() throws Exception {
        Http.Response r = Http.options(api.url() + "/cds-services/kindred-patient-view",
                Map.of("Origin", "https://ehr.example.org", "Access-Control-Request-Method", "POST",
                        "Access-Control-Request-Headers", "authorization, content-type"));
        assertThat(r.status()).isBetween(200, 204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
        assertThat(r.headers().firstValue("Access-Control-Allow-Headers").orElse("")).contains("Authorization")
                .contains("Content-Type");
        assertThat(r.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("POST");
    }

    @Test
    void feedbackIsRecordedOnceAndCountedPerCard() throws Exception {
        String path = "/cds-services/kindred-patient-view";
        JsonNode card = cds(path, patientView(patient), ehr.bearer(api.publicUrl() + path)).json().path("cards").get(0);
        String uuid = card.path("uuid").asText();
        String feedback = "{\"feedback\":[{\"card\":\"" + uuid + "\",\"outcome\":\"overridden\",\"overrideReason\":"
                + "{\"reason\":{\"system\":\"https://kindred.dev/fhir/CodeSystem/override-reason\",\"code\":\"weak-evidence\","
                + "\"display\":\"Evidence too weak\"},\"userComment\":\"n=5\"},\"outcomeTimestamp\":\"2026-12-04T10:00:00Z\"}]}";
        String fpath = path + "/feedback";
        assertThat(cds(fpath, feedback, ehr.bearer(api.publicUrl() + fpath)).status()).isEqualTo(200);
        assertThat(cds(fpath, feedback, ehr.bearer(api.publicUrl() + fpath)).status()).as("again").isEqualTo(200);
        assertThat(cds(fpath, feedback, null).status()).as("no token").isEqualTo(401);
        assertThat(cds(fpath, "{\"feedback\":[{\"card\":\"x\",\"outcome\":\"maybe\",\"outcomeTimestamp\":"
                + "\"2026-12-04T10:00:00Z\"}]}", ehr.bearer(api.publicUrl() + fpath)).status()).isEqualTo(400);

        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(
                get("/api/alerts/" + uuid, CLINICIAN).json().path("feedback").path("overridden").asInt()).isEqualTo(1));
        List<ConsumerRecord<String, Feedback>> records = readFeedback();
        List<ConsumerRecord<String, Feedback>> mine = records.stream().filter(r -> r.value().getCard().equals(uuid)).toList();
        assertThat(mine).hasSize(1);
        assertThat(mine.get(0).key()).isEqualTo(mine.get(0).value().getFeedbackId());
        assertThat(mine.get(0).value().getOverrideReasonCode()).isEqualTo("weak-evidence");
        assertThat(mine.get(0).value().getSender()).isEqualTo(Ehr.ISS);
    }

    static List<ConsumerRecord<String, Feedback>> readFeedback() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Object> registry = Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, stack.registry.url());
        List<ConsumerRecord<String, Feedback>> out = new ArrayList<>();
        try (KafkaConsumer<String, Feedback> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                RegistryAvroSerde.specific(Feedback.class, registry, false).deserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor("cds.feedback").stream()
                    .map(p -> new TopicPartition("cds.feedback", p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
