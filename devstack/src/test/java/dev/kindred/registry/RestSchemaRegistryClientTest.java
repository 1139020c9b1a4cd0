package dev.kindred.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST client against the in-process registry and against a stub that records what it is sent. */
class RestSchemaRegistryClientTest {

    private InProcessSchemaRegistry registry;
    private RestSchemaRegistryClient client;

    @BeforeEach
    void start() {
        registry = InProcessSchemaRegistry.start(0, null);
        client = new RestSchemaRegistryClient(registry.url());
    }

    @AfterEach
    void stop() {
        client.close();
        registry.close();
    }

    @Test
    void registersLooksUpAndFetches() {
        int id = client.register("cds.alerts-value", TestSchemas.V1);
        assertThat(client.register("cds.alerts-value", TestSchemas.V1)).isEqualTo(id);
        assertThat(client.getId("cds.alerts-value", TestSchemas.V1)).isEqualTo(id);
        assertThat(client.getById(id)).isEqualTo(TestSchemas.V1);
        assertThat(client.subjects()).containsExactly("cds.alerts-value");
        assertThat(client.latest("cds.alerts-value")).isEqualTo(new SchemaMetadata("cds.alerts-value", id, 1, TestSchemas.V1));

        assertThat(client.isCompatible("cds.alerts-value", TestSchemas.V2_REQUIRED)).isFalse();
        assertThat(client.isCompatible("cds.alerts-value", TestSchemas.V2_DEFAULTED)).isTrue();
        assertThat(client.isCompatible("no-such-subject", TestSchemas.V2_REQUIRED)).isTrue();
        int id2 = client.register("cds.alerts-value", TestSchemas.V2_DEFAULTED);
        assertThat(client.latest("cds.alerts-value").version()).isEqualTo(2);
        assertThat(client.latest("cds.alerts-value").id()).isEqualTo(id2);

        assertThat(client.deleteSubject("cds.alerts-value")).containsExactly(1, 2);
        assertThat(client.subjects()).isEmpty();
        assertThatThrownBy(() -> client.getId("cds.alerts-value", TestSchemas.V1))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    }

    @Test
    void subjectNamesAreEscapedInUrls() {
        int id = client.register("odd subject/with+chars?x=1", TestSchemas.V1);
        assertThat(client.subjects()).containsExactly("odd subject/with+chars?x=1");
        assertThat(client.getId("odd subject/with+chars?x=1", TestSchemas.V1)).isEqualTo(id);
    }

    @Test
    void registryErrorsCarryStatusErrorCodeAndAClearMessage() {
        client.register("cds.alerts-value", TestSchemas.V1);
        assertThatThrownBy(() -> client.register("cds.alerts-value", TestSchemas.V2_REQUIRED))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.status()).isEqualTo(409);
                assertThat(e.errorCode()).isEqualTo(409);
                assertThat(e.isRetriable()).isFalse();
                assertThat(e.getMessage()).startsWith("schema for subject cds.alerts-value is incompatible (409): ")
                    .contains("unit");
            });
        assertThatThrownBy(() -> client.getById(999))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.status()).isEqualTo(404);
                assertThat(e.errorCode()).isEqualTo(40403);
                assertThat(e.getMessage()).startsWith("schema id 999 not found (40403): ");
            });
        assertThatThrownBy(() -> client.latest("nope"))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(40401);
                assertThat(e.getMessage()).startsWith("subject nope not found (40401): ");
            });
        assertThatThrownBy(() -> client.getId("cds.alerts-value", TestSchemas.V2_DEFAULTED))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    }

    @Test
    void cachedLookupsNeedNoRegistry() {
        int id = client.register("cds.alerts-value", TestSchemas.V1);
        int other = client.register("cds.patient-vectors-value", TestSchemas.V2_DEFAULTED);
        registry.close();
        assertThat(client.register("cds.alerts-value", TestSchemas.V1)).isEqualTo(id);
        assertThat(client.getId("cds.alerts-value", TestSchemas.V1)).isEqualTo(id);
        assertThat(client.getById(id)).isEqualTo(TestSchemas.V1);
        assertThat(client.getById(other)).isEqualTo(TestSchemas.V2_DEFAULTED);
        assertThatThrownBy(() -> client.register("new-value", TestSchemas.V1))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.isRetriable()).isTrue();
                assertThat(e.status()).isEqualTo(SchemaRegistryException.UNREACHABLE);
                assertThat(e.getMessage()).contains("unreachable").contains(registry.url());
            });
    }

    @Test
    void failsOverToTheNextUrlWhenOneCannotBeReached() throws IOException {
        String dead = "http://127.0.0.1:" + freePort();
        try (RestSchemaRegistryClient failover = new RestSchemaRegistryClient(List.of(dead, registry.url() + "/"),
            null, false, Duration.ofSeconds(2), Duration.ofSeconds(5))) {
            assertThat(failover.register("t-value", TestSchemas.V1)).isEqualTo(1);
            assertThat(failover.subjects()).containsExactly("t-value");
        }
    }

    @Test
    void cachesAndAuthenticatesAgainstAStub() throws IOException {
        Queue<String> requests = new ConcurrentLinkedQueue<>();
        HttpServer stub = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        stub.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + " "
                + exchange.getRequestHeaders().getFirst("Authorization") + " "
                + exchange.getRequestHeaders().getFirst("Content-Type"));
            byte[] body;
            int status = 200;
            String path = exchange.getRequestURI().getRawPath();
            if (path.startsWith("/prefix/subjects/")) {
                body = "{\"id\":7}".getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/prefix/schemas/ids/8")) {
                body = "{\"schema\":\"\\\"string\\\"\"}".getBytes(StandardCharsets.UTF_8);
            } else {
                status = 502;
                body = "<html>Bad Gateway</html>".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        stub.start();
        String base = "http://127.0.0.1:" + stub.getAddress().getPort() + "/prefix";
        try (SchemaRegistryClient authed = SchemaRegistryClients.create(Map.of(
            SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG, base,
            SchemaRegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO",
            SchemaRegistryClientConfig.BASIC_AUTH_USER_INFO_CONFIG, "kindred:s3cret"))) {
            assertThat(authed.register("a-value", TestSchemas.V1)).isEqualTo(7);
            assertThat(authed.register("a-value", TestSchemas.V1)).isEqualTo(7);
            assertThat(authed.getById(7)).isEqualTo(TestSchemas.V1);
            assertThat(authed.getById(8)).isEqualTo(Schema.create(Schema.Type.STRING));
            assertThat(authed.getById(8)).isEqualTo(Schema.create(Schema.Type.STRING));
            assertThatThrownBy(authed::subjects).isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.status()).isEqualTo(502);
                assertThat(e.isRetriable()).isTrue();
                assertThat(e.registryMessage()).isEqualTo("<html>Bad Gateway</html>");
            });
            String basic = "Basic " + java.util.Base64.getEncoder()
                .encodeToString("kindred:s3cret".getBytes(StandardCharsets.UTF_8));
            assertThat(requests).containsExactly(
                "POST /prefix/subjects/a-value/versions " + basic + " application/vnd.schemaregistry.v1+json",
                "GET /prefix/schemas/ids/8 " + basic + " null",
                "GET /prefix/subjects " + basic + " null");

            requests.clear();
            try (SchemaRegistryClient fromUrl = SchemaRegistryClients.create(Map.of(
                SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG,
                base.replace("http://", "http://ops:pa%3Ass@")))) {
                fromUrl.register("a-value", TestSchemas.V1);
            }
            assertThat(requests).singleElement().asString().contains("Basic " + java.util.Base64.getEncoder()
                .encodeToString("ops:pa:ss".getBytes(StandardCharsets.UTF_8)));
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void rejectsUrlsThatAreNotHttp() {
        assertThatThrownBy(() -> new RestSchemaRegistryClient("ftp://host/x"))
            .isInstanceOf(org.apache.kafka.common.config.ConfigException.class);
        assertThatThrownBy(() -> SchemaRegistryClients.create(Map.of()))
            .isInstanceOf(org.apache.kafka.common.config.ConfigException.class)
            .hasMessageContaining("schema.registry.url");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
