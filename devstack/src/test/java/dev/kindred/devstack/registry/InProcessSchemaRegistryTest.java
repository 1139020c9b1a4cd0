package dev.kindred.devstack.registry;

import static dev.kindred.devstack.registry.RegistryHttp.schemaBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.devstack.registry.RegistryHttp.Answer;
import dev.kindred.registry.memory.SchemaStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process registry's REST API over real HTTP, called with plain java.net.http. */
class InProcessSchemaRegistryTest {

    static final String V1 = "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"test\",\"fields\":["
        + "{\"name\":\"value\",\"type\":\"double\"}]}";
    static final String V2_DEFAULTED = "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"test\",\"fields\":["
        + "{\"name\":\"value\",\"type\":\"double\"},{\"name\":\"unit\",\"type\":\"string\",\"default\":\"mmol/L\"}]}";
    static final String V2_REQUIRED = "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"test\",\"fields\":["
        + "{\"name\":\"value\",\"type\":\"double\"},{\"name\":\"unit\",\"type\":\"string\"}]}";
    static final String OTHER = "{\"type\":\"record\",\"name\":\"Other\",\"namespace\":\"test\",\"fields\":["
        + "{\"name\":\"n\",\"type\":\"long\"}]}";

    private InProcessSchemaRegistry registry;
    private RegistryHttp http;

    @BeforeEach
    void start() {
        registry = InProcessSchemaRegistry.start(0, null);
        http = new RegistryHttp(registry.url());
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private int register(String subject, String schema) {
        Answer answer = http.post("/subjects/" + subject + "/versions", schemaBody(schema));
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        return answer.body().path("id").asInt();
    }

    @Test
    void bindsToLoopbackOnTheReportedPort() {
        assertThat(registry.url()).isEqualTo("http://127.0.0.1:" + registry.port());
        assertThat(registry.port()).isPositive();
    }

    @Test
    void sameSchemaGetsTheSameIdEverywhereAndDifferentSchemasDifferentIds() {
        int id = register("cds.alerts-value", V1);
        assertThat(register("cds.alerts-value", V1)).isEqualTo(id);
        // whitespace is not part of a schema's identity
        assertThat(register("cds.alerts-value", V1.replace(",", " ,\n "))).isEqualTo(id);
        // ids are global: the same schema under another subject keeps its id
        assertThat(register("other-value", V1)).isEqualTo(id);
        assertThat(register("third-value", OTHER)).isNotEqualTo(id);
        assertThat(register("other-value", V2_DEFAULTED)).isNotEqualTo(id);

        assertThat(http.get("/subjects/cds.alerts-value/versions").body().toString()).isEqualTo("[1]");
        assertThat(http.get("/subjects/other-value/versions").body().toString()).isEqualTo("[1,2]");
        assertThat(http.get("/subjects").body().toString())
            .isEqualTo("[\"cds.alerts-value\",\"other-value\",\"third-value\"]");
    }

    @Test
    void versionsLookupsAndSchemasById() throws Exception {
        int v1 = register("t-value", V1);
        int v2 = register("t-value", V2_DEFAULTED);

        Answer latest = http.get("/subjects/t-value/versions/latest");
        assertThat(latest.status()).isEqualTo(200);
        assertThat(latest.contentType()).startsWith("application/vnd.schemaregistry.v1+json");
        assertThat(latest.body().path("subject").asText()).isEqualTo("t-value");
        assertThat(latest.body().path("version").asInt()).isEqualTo(2);
        assertThat(latest.body().path("id").asInt()).isEqualTo(v2);
        assertThat(new Schema.Parser().parse(latest.body().path("schema").asText()))
            .isEqualTo(new Schema.Parser().parse(V2_DEFAULTED));

        Answer first = http.get("/subjects/t-value/versions/1");
        assertThat(first.body().path("id").asInt()).isEqualTo(v1);
        assertThat(first.body().path("version").asInt()).isEqualTo(1);

        Answer raw = http.get("/subjects/t-value/versions/1/schema");
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(new ObjectMapper().readTree(V1));

        Answer lookup = http.post("/subjects/t-value", schemaBody(V1));
        assertThat(lookup.status()).isEqualTo(200);
        assertThat(lookup.body().path("id").asInt()).isEqualTo(v1);
        assertThat(lookup.body().path("version").asInt()).isEqualTo(1);
        assertThat(lookup.body().path("subject").asText()).isEqualTo("t-value");

        Answer byId = http.get("/schemas/ids/" + v2);
        assertThat(byId.status()).isEqualTo(200);
        assertThat(new Schema.Parser().parse(byId.body().path("schema").asText()))
            .isEqualTo(new Schema.Parser().parse(V2_DEFAULTED));

        assertThat(http.get("/schemas/types").body().toString()).isEqualTo("[\"AVRO\"]");
    }

    @Test
    void notFoundErrorsCarryConfluentErrorCodes() {
        register("t-value", V1);
        assertError(http.get("/subjects/missing/versions"), 404, 40401);
        assertError(http.get("/subjects/missing/versions/latest"), 404, 40401);
        assertError(http.post("/subjects/missing", schemaBody(V1)), 404, 40401);
        assertError(http.get("/subjects/t-value/versions/7"), 404, 40402);
        assertError(http.post("/subjects/t-value", schemaBody(OTHER)), 404, 40403);
        assertError(http.get("/schemas/ids/999"), 404, 40403);
        assertError(http.get("/subjects/t-value/versions/abc"), 422, 42202);
        assertError(http.get("/subjects/t-value/versions/0"), 422, 42202);
        assertError(http.delete("/subjects/missing"), 404, 40401);
        assertError(http.get("/no/such/endpoint"), 404, 404);
        assertError(http.put("/subjects", "{}"), 405, 405);
    }

    @Test
    void invalidSchemasAreRejectedWith42201() {
        assertError(http.post("/subjects/t-value/versions", schemaBody("{\"type\":\"record\",\"name\":\"X\"}")), 422, 42201);
        assertError(http.post("/subjects/t-value/versions", schemaBody("{not json")), 422, 42201);
        assertError(http.post("/subjects/t-value/versions", schemaBody("{\"type\":\"record\",\"name\":\"X\",\"fields\":"
            + "[{\"name\":\"a\",\"type\":\"int\",\"default\":\"text\"}]}")), 422, 42201);
        assertError(http.post("/subjects/t-value/versions", "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}"),
            422, 42201);
        assertError(http.post("/subjects/t-value/versions", "{\"schema\":\"\\\"string\\\"\",\"references\":"
            + "[{\"name\":\"a\",\"subject\":\"b\",\"version\":1}]}"), 422, 42201);
        assertError(http.post("/subjects/t-value/versions", "{}"), 422, 42201);
        assertError(http.post("/subjects/t-value/versions", "{oops"), 400, 400);
        assertThat(http.get("/subjects").body().toString()).isEqualTo("[]");
    }

    @Test
    void backwardCompatibilityIsTheDefaultAndRejectsAFieldWithoutDefault() {
        assertThat(http.get("/config").body().path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        int v1 = register("t-value", V1);

        Answer check = http.post("/compatibility/subjects/t-value/versions/latest?verbose=true", schemaBody(V2_REQUIRED));
        assertThat(check.status()).isEqualTo(200);
        assertThat(check.body().path("is_compatible").asBoolean()).isFalse();
        assertThat(check.body().path("messages").toString()).contains("unit");

        Answer rejected = http.post("/subjects/t-value/versions", schemaBody(V2_REQUIRED));
        assertError(rejected, 409, 409);
        assertThat(rejected.body().path("message").asText()).contains("t-value").contains("unit");
        assertThat(http.get("/subjects/t-value/versions").body().toString()).isEqualTo("[1]");

        assertThat(http.post("/compatibility/subjects/t-value/versions/1", schemaBody(V2_DEFAULTED))
            .body().path("is_compatible").asBoolean()).isTrue();
        int v2 = register("t-value", V2_DEFAULTED);
        assertThat(v2).isNotEqualTo(v1);
        assertThat(http.get("/subjects/t-value/versions").body().toString()).isEqualTo("[1,2]");

        assertError(http.post("/compatibility/subjects/missing/versions/latest", schemaBody(V1)), 404, 40401);
        assertError(http.post("/compatibility/subjects/t-value/versions/9", schemaBody(V1)), 404, 40402);
    }

    @Test
    void globalAndSubjectCompatibilityLevels() {
        assertError(http.get("/config/t-value"), 404, 40408);
        assertThat(http.get("/config/t-value?defaultToGlobal=true").body().path("compatibilityLevel").asText())
            .isEqualTo("BACKWARD");

        Answer put = http.put("/config", "{\"compatibility\":\"FULL\"}");
        assertThat(put.status()).isEqualTo(200);
        assertThat(put.body().path("compatibility").asText()).isEqualTo("FULL");
        assertThat(http.get("/config").body().path("compatibilityLevel").asText()).isEqualTo("FULL");

        assertThat(http.put("/config/t-value", "{\"compatibility\":\"none\"}").body().path("compatibility").asText())
            .isEqualTo("NONE");
        assertThat(http.get("/config/t-value").body().path("compatibilityLevel").asText()).isEqualTo("NONE");
        assertError(http.put("/config", "{\"compatibility\":\"SIDEWAYS\"}"), 422, 42203);

        // NONE on the subject lets an incompatible change in; FULL elsewhere does not
        register("t-value", V1);
        register("t-value", V2_REQUIRED);
        register("u-value", V1);
        assertError(http.post("/subjects/u-value/versions", schemaBody(V2_REQUIRED)), 409, 409);
    }

    @Test
    void deletingASubjectKeepsItsSchemaIds() {
        int v1 = register("t-value", V1);
        register("t-value", V2_DEFAULTED);
        Answer deleted = http.delete("/subjects/t-value");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body().toString()).isEqualTo("[1,2]");
        assertError(http.get("/subjects/t-value/versions"), 404, 40401);
        assertThat(http.get("/subjects").body().toString()).isEqualTo("[]");
        // records in Kafka still reference the id
        assertThat(http.get("/schemas/ids/" + v1).status()).isEqualTo(200);
        assertThat(register("t-value", V1)).isEqualTo(v1);
        assertThat(http.get("/subjects/t-value/versions").body().toString()).isEqualTo("[1]");
    }

    @Test
    void subjectNamesAreUrlDecoded() {
        int id = register("weird%20subject%2Fa%2Bb", V1);
        assertThat(http.get("/subjects").body().get(0).asText()).isEqualTo("weird subject/a+b");
        assertThat(http.get("/subjects/weird%20subject%2Fa%2Bb/versions/latest").body().path("id").asInt()).isEqualTo(id);
    }

    @Test
    void plainApplicationJsonIsAccepted() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(registry.url() + "/subjects/t-value/versions"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(schemaBody(V1))).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"id\":1}");
    }

    @Test
    void stateSurvivesARestartOnTheSameStorageDirectory(@TempDir Path dir) {
        registry.close();
        int alertsV1;
        int alertsV2;
        int vectors;
        try (InProcessSchemaRegistry first = InProcessSchemaRegistry.start(0, dir)) {
            RegistryHttp one = new RegistryHttp(first.url());
            vectors = id(one.post("/subjects/cds.patient-vectors-value/versions", schemaBody(OTHER)));
            alertsV1 = id(one.post("/subjects/cds.alerts-value/versions", schemaBody(V1)));
            alertsV2 = id(one.post("/subjects/cds.alerts-value/versions", schemaBody(V2_DEFAULTED)));
            one.put("/config/cds.alerts-value", "{\"compatibility\":\"FULL_TRANSITIVE\"}");
            one.put("/config", "{\"compatibility\":\"FORWARD\"}");
            one.post("/subjects/gone-value/versions", schemaBody(V2_REQUIRED));
            one.delete("/subjects/gone-value");
        }
        assertThat(Files.exists(dir.resolve(SchemaStore.FILE_NAME))).isTrue();

        registry = InProcessSchemaRegistry.start(0, dir);
        http = new RegistryHttp(registry.url());
        assertThat(http.get("/subjects").body().toString())
            .isEqualTo("[\"cds.alerts-value\",\"cds.patient-vectors-value\"]");
        assertThat(http.get("/subjects/cds.alerts-value/versions/1").body().path("id").asInt()).isEqualTo(alertsV1);
        assertThat(http.get("/subjects/cds.alerts-value/versions/2").body().path("id").asInt()).isEqualTo(alertsV2);
        assertThat(http.post("/subjects/cds.patient-vectors-value", schemaBody(OTHER)).body().path("id").asInt())
            .isEqualTo(vectors);
        assertThat(http.get("/config/cds.alerts-value").body().path("compatibilityLevel").asText())
            .isEqualTo("FULL_TRANSITIVE");
        assertThat(http.get("/config").body().path("compatibilityLevel").asText()).isEqualTo("FORWARD");
        // the deleted subject's schema kept its id, and new schemas never reuse an id
        assertThat(http.get("/schemas/ids/4").status()).isEqualTo(200);
        int next = register("new-value", "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}");
        assertThat(next).isGreaterThan(4).isNotIn(List.of(alertsV1, alertsV2, vectors));
    }

    @Test
    void aCorruptStateFileStopsTheStartInsteadOfReusingIds(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(SchemaStore.FILE_NAME), "{\"format\":1,\"schemas\":[{\"id\":1,\"schema\":\"{bad\"}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> InProcessSchemaRegistry.start(0, dir))
            .hasMessageContaining(dir.toString());
    }

    private static int id(Answer answer) {
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        return answer.body().path("id").asInt();
    }

    private static void assertError(Answer answer, int status, int errorCode) {
        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(status);
        assertThat(answer.errorCode()).as(answer.body().toString()).isEqualTo(errorCode);
        assertThat(answer.body().path("message").asText()).isNotBlank();
    }
}
