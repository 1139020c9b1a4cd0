package dev.kindred.devstack.registry;

import dev.kindred.registry.SchemaMetadata;
import dev.kindred.registry.SchemaRegistryException;
import dev.kindred.registry.memory.CompatibilityLevel;
import dev.kindred.registry.memory.SchemaStore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry for the dev stack and tests, serving the subset of the Confluent REST API that Kindred
 * and Confluent-compatible clients use, over real HTTP on 127.0.0.1, from a {@link SchemaStore}.
 *
 * <p>Endpoints: {@code GET /subjects}; {@code POST /subjects/{s}/versions} (register);
 * {@code POST /subjects/{s}} (look up); {@code GET /subjects/{s}/versions};
 * {@code GET /subjects/{s}/versions/{n|latest}} and {@code .../schema}; {@code DELETE /subjects/{s}};
 * {@code GET /schemas/ids/{id}}; {@code GET /schemas/types}; {@code GET|PUT /config};
 * {@code GET|PUT /config/{s}}; {@code POST /compatibility/subjects/{s}/versions/{n|latest}} (add
 * {@code ?verbose=true} for the reasons). Errors are {@code {"error_code": ..., "message": ...}}: 40401
 * subject, 40402 version, 40403 schema not found, 409 incompatible, 42201 invalid schema, 42202 invalid
 * version, 42203 invalid compatibility level, 50001 storage failure.
 *
 * <p>As in Confluent's registry, {@code GET /config/{s}} of a subject without a level of its own answers
 * 404 with error code 40408 (unless {@code ?defaultToGlobal=true}); Apicurio answers the global level
 * instead. Only Avro schemas without references are accepted. {@code DELETE /subjects/{s}} removes the
 * subject at once (no soft delete); its schemas keep their ids.
 */
public final class InProcessSchemaRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InProcessSchemaRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final SchemaStore store;
    private final String url;

    private InProcessSchemaRegistry(HttpServer server, ExecutorService executor, SchemaStore store) {
        this.server = server;
        this.executor = executor;
        this.store = store;
        this.url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Starts a registry on 127.0.0.1.
     *
     * @param port the port, or 0 for any free one (see {@link #port()})
     * @param storageDir where to keep the state across restarts, or null to keep it in memory only
     * @throws UncheckedIOException if the port cannot be bound or the stored state cannot be read
     */
    public static InProcessSchemaRegistry start(int port, Path storageDir) {
        SchemaStore store = storageDir == null ? SchemaStore.inMemory() : SchemaStore.open(storageDir);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the schema registry to 127.0.0.1:" + port, e);
        }
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(4, task -> {
            Thread thread = new Thread(task, "schema-registry-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        InProcessSchemaRegistry registry = new InProcessSchemaRegistry(server, executor, store);
        server.createContext("/", registry::handle);
        server.setExecutor(executor);
        server.start();
        log.info("Schema registry listening on {} ({})", registry.url,
            storageDir == null ? "in memory" : "state in " + storageDir);
        return registry;
    }

    /** The base URL for clients, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return url;
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The state it serves (to seed or inspect it without HTTP). */
    public SchemaStore store() {
        return store;
    }

    /** Stops serving; the state stays in the storage directory. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------------------------ HTTP

    private void handle(HttpExchange exchange) throws IOException {
        int status = 200;
        JsonNode answer;
        try {
            answer = route(exchange.getRequestMethod(), segments(exchange), query(exchange), body(exchange));
        } catch (SchemaRegistryException e) {
            status = e.status();
            answer = error(e.errorCode(), e.registryMessage());
        } catch (JsonProcessingException e) {
            status = 400;
            answer = error(400, "Malformed JSON in the request body");
        } catch (RuntimeException e) {
            log.warn("Schema registry failed to answer {} {}", exchange.getRequestMethod(),
                exchange.getRequestURI().getRawPath(), e);
            status = 500;
            answer = error(500, "Internal error: " + e.getClass().getSimpleName());
        }
        byte[] bytes = JSON.writeValueAsBytes(answer);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }

    private JsonNode route(String method, List<String> path, Map<String, String> query, byte[] body)
        throws IOException {
        String root = path.isEmpty() ? "" : path.get(0);
        int size = path.size();
        switch (root) {
            case "":
                allow(method, "GET");
                return JSON.createObjectNode();
            case "subjects":
                if (size == 1) {
                    allow(method, "GET");
                    return JSON.valueToTree(store.subjects());
                }
                String subject = path.get(1);
                if (size == 2) {
                    if ("DELETE".equals(method)) {
                        return JSON.valueToTree(store.deleteSubject(subject));
                    }
                    allow(method, "POST");
                    return metadata(store.lookup(subject, schemaFrom(body)));
                }
                if (!"versions".equals(path.get(2)) || size > 5 || size == 5 && !"schema".equals(path.get(4))) {
                    break;
                }
                if (size == 3) {
                    if ("POST".equals(method)) {
                        return JSON.createObjectNode().put("id", store.register(subject, schemaFrom(body)));
                    }
                    allow(method, "GET");
                    return JSON.valueToTree(store.versions(subject));
                }
                allow(method, "GET");
                SchemaMetadata version = store.version(subject, version(path.get(3)));
                return size == 4 ? metadata(version) : JSON.readTree(version.schema().toString());
            case "schemas":
                if (size == 2 && "types".equals(path.get(1))) {
                    allow(method, "GET");
                    return JSON.createArrayNode().add("AVRO");
                }
                if (size == 3 && "ids".equals(path.get(1))) {
                    allow(method, "GET");
                    return JSON.createObjectNode().put("schema", store.schema(id(path.get(2))).toString());
                }
                break;
            case "config":
                if (size == 1) {
                    if ("PUT".equals(method)) {
                        CompatibilityLevel level = levelFrom(body);
                        store.setGlobalLevel(level);
                        return JSON.createObjectNode().put("compatibility", level.name());
                    }
                    allow(method, "GET");
                    return JSON.createObjectNode().put("compatibilityLevel", store.globalLevel().name());
                }
                if (size == 2) {
                    if ("PUT".equals(method)) {
                        CompatibilityLevel level = levelFrom(body);
                        store.setSubjectLevel(path.get(1), level);
                        return JSON.createObjectNode().put("compatibility", level.name());
                    }
                    allow(method, "GET");
                    CompatibilityLevel level = store.subjectLevel(path.get(1));
                    if (level == null && "true".equals(query.get("defaultToGlobal"))) {
                        level = store.globalLevel();
                    }
                    if (level == null) {
                        throw new SchemaRegistryException(404, 40408, "Subject '" + path.get(1)
                            + "' does not have subject-level compatibility configured");
                    }
                    return JSON.createObjectNode().put("compatibilityLevel", level.name());
                }
                break;
            case "compatibility":
                if (size == 5 && "subjects".equals(path.get(1)) && "versions".equals(path.get(3))) {
                    allow(method, "POST");
                    List<String> problems = store.compatibilityProblems(path.get(2), version(path.get(4)),
                        schemaFrom(body));
                    ObjectNode answer = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
                    if ("true".equals(query.get("verbose"))) {
                        ArrayNode messages = answer.putArray("messages");
                        problems.forEach(messages::add);
                    }
                    return answer;
                }
                break;
            default:
                break;
        }
        throw new SchemaRegistryException(404, 404, "HTTP 404 Not Found");
    }

    private static void allow(String method, String allowed) {
        if (!allowed.equals(method)) {
            throw new SchemaRegistryException(405, 405, "HTTP 405 Method Not Allowed");
        }
    }

    private static ObjectNode metadata(SchemaMetadata metadata) {
        return JSON.createObjectNode().put("subject", metadata.subject()).put("version", metadata.version())
            .put("id", metadata.id()).put("schema", metadata.schema().toString());
    }

    private static ObjectNode error(int errorCode, String message) {
        return JSON.createObjectNode().put("error_code", errorCode).put("message", message);
    }

    private static Schema schemaFrom(byte[] body) throws IOException {
        JsonNode request = JSON.readTree(body);
        if (request == null || !request.isObject()) {
            throw new SchemaRegistryException(422, 42201, "Invalid schema: the body must be a JSON object");
        }
        String type = request.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw new SchemaRegistryException(422, 42201, "Invalid schema type " + type
                + ": this registry serves AVRO only");
        }
        if (request.path("references").size() > 0) {
            throw new SchemaRegistryException(422, 42201, "Invalid schema: schema references are not supported");
        }
        JsonNode schema = request.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new SchemaRegistryException(422, 42201, "Invalid schema: the body needs a \"schema\" string");
        }
        return SchemaStore.parse(schema.asText());
    }

    private static CompatibilityLevel levelFrom(byte[] body) throws IOException {
        JsonNode request = JSON.readTree(body);
        CompatibilityLevel level = request == null ? null : CompatibilityLevel.parse(request.path("compatibility").asText(null));
        if (level == null) {
            throw new SchemaRegistryException(422, 42203, "Invalid compatibility level. Valid values are none, "
                + "backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
        }
        return level;
    }

    private static int version(String text) {
        if ("latest".equals(text) || "-1".equals(text)) {
            return SchemaStore.LATEST;
        }
        try {
            int version = Integer.parseInt(text);
            if (version > 0) {
                return version;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new SchemaRegistryException(422, 42202, "The specified version '" + text + "' is not a valid "
            + "version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    private static int id(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SchemaRegistryException(404, 40403, "Schema " + text + " not found.");
        }
    }

    private static List<String> segments(HttpExchange exchange) {
        List<String> segments = new ArrayList<>();
        for (String raw : exchange.getRequestURI().getRawPath().split("/")) {
            if (!raw.isEmpty()) {
                segments.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return segments;
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                query.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return query;
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new SchemaRegistryException(413, 413, "Request body larger than " + MAX_BODY_BYTES + " bytes");
            }
            return body;
        }
    }
}
