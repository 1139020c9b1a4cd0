package dev.kindred.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InterruptException;

/**
 * {@link SchemaRegistryClient} over HTTP for any registry that speaks the Confluent REST API (Confluent,
 * Apicurio's ccompat API, Kindred's {@link dev.kindred.devstack.registry.InProcessSchemaRegistry}).
 *
 * <p>Several base URLs may be given: a request goes to the last one that answered and, when it cannot be
 * reached (connection refused, timeout, reset), to the others in order. HTTP basic authentication is sent
 * with every request when configured. Lookups that never change are cached (see
 * {@link CachingSchemaRegistryClient}). Thread-safe; clients with the same connect timeout share one JDK
 * {@link HttpClient}, so creating many (one per serde) costs no threads.
 */
public final class RestSchemaRegistryClient extends CachingSchemaRegistryClient {

    /** The registry's content type, sent and accepted. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = CONTENT_TYPE
        + ", application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Duration, HttpClient> HTTP_CLIENTS = new ConcurrentHashMap<>();

    private final List<String> baseUrls;
    private final String authorization;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final AtomicInteger preferred = new AtomicInteger();

    /** A client of one registry URL, without authentication and with default timeouts. */
    public RestSchemaRegistryClient(String baseUrl) {
        this(List.of(baseUrl), null, false, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /**
     * @param baseUrls registry base URLs, e.g. {@code http://127.0.0.1:8081}, tried in order
     * @param userInfo {@code user:password} for HTTP basic authentication, or null
     * @param userInfoFromUrl when {@code userInfo} is null, take it from the first URL that has one
     * @param connectTimeout how long to try to connect to one URL
     * @param requestTimeout how long to wait for one answer
     * @throws ConfigException if a URL is not an http(s) URL
     */
    public RestSchemaRegistryClient(List<String> baseUrls, String userInfo, boolean userInfoFromUrl,
                                    Duration connectTimeout, Duration requestTimeout) {
        if (baseUrls.isEmpty()) {
            throw new ConfigException("at least one schema registry URL is needed");
        }
        List<String> bases = new ArrayList<>();
        String credentials = userInfo;
        for (String url : baseUrls) {
            URI uri = parse(url.trim());
            if (credentials == null && userInfoFromUrl && uri.getRawUserInfo() != null) {
                credentials = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
            bases.add(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + path);
        }
        this.baseUrls = List.copyOf(bases);
        this.authorization = credentials == null ? null
            : "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        this.requestTimeout = requestTimeout;
        this.http = HTTP_CLIENTS.computeIfAbsent(connectTimeout, timeout -> HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .build());
    }

    private static URI parse(String url) {
        try {
            URI uri = URI.create(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG, url, e.getMessage());
        }
    }

    /** The base URLs this client uses, without credentials. */
    public List<String> baseUrls() {
        return baseUrls;
    }

    @Override
    protected int registerUncached(String subject, Schema schema) {
        return call("POST", subjectPath(subject) + "/versions", schemaBody(schema), "subject " + subject)
            .path("id").asInt();
    }

    @Override
    protected int getIdUncached(String subject, Schema schema) {
        return call("POST", subjectPath(subject), schemaBody(schema), "subject " + subject).path("id").asInt();
    }

    @Override
    protected Schema getByIdUncached(int id) {
        String target = "schema id " + id;
        JsonNode answer = call("GET", "/schemas/ids/" + id, null, target);
        String type = answer.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw SchemaRegistryException.of(target, 200, 42201, "schema type is " + type + ", not AVRO");
        }
        if (answer.path("references").size() > 0) {
            throw SchemaRegistryException.of(target, 200, 42201, "schema references are not supported");
        }
        return parseSchema(answer.path("schema").asText(), target);
    }

    @Override
    public List<String> subjects() {
        List<String> subjects = new ArrayList<>();
        call("GET", "/subjects", null, "the subject list").forEach(node -> subjects.add(node.asText()));
        return subjects;
    }

    @Override
    public SchemaMetadata latest(String subject) {
        String target = "subject " + subject;
        JsonNode answer = call("GET", subjectPath(subject) + "/versions/latest", null, target);
        return new SchemaMetadata(answer.path("subject").asText(subject), answer.path("id").asInt(),
            answer.path("version").asInt(), parseSchema(answer.path("schema").asText(), target));
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        try {
            return call("POST", "/compatibility" + subjectPath(subject) + "/versions/latest", schemaBody(schema),
                "subject " + subject).path("is_compatible").asBoolean();
        } catch (SchemaRegistryException e) {
            if (e.errorCode() == 40401 || e.errorCode() == 40402) {
                return true;  // no subject or no version yet (Apicurio answers 40402): nothing to conflict with
            }
            throw e;
        }
    }

    @Override
    protected List<Integer> deleteSubjectUncached(String subject) {
        List<Integer> versions = new ArrayList<>();
        call("DELETE", subjectPath(subject), null, "subject " + subject).forEach(node -> versions.add(node.asInt()));
        return versions;
    }

    @Override
    public void close() {
        clearCaches();
    }

    private static String subjectPath(String subject) {
        return "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static ObjectNode schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    private static Schema parseSchema(String text, String target) {
        try {
            return new Schema.Parser().parse(text);
        } catch (AvroRuntimeException e) {
            throw SchemaRegistryException.of(target, 200, 42201, "the registry returned an unreadable schema: "
                + e.getMessage());
        }
    }

    private JsonNode call(String method, String path, JsonNode body, String target) {
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        IOException failure = null;
        int first = preferred.get();
        for (int i = 0; i < baseUrls.size(); i++) {
            int index = (first + i) % baseUrls.size();
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrls.get(index) + path))
                .timeout(requestTimeout)
                .header("Accept", ACCEPT)
                .method(method, publisher);
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                failure = e;
                continue;
            } catch (InterruptedException e) {
                throw new InterruptException(e);
            }
            preferred.set(index);
            return answer(response, target);
        }
        throw SchemaRegistryException.unreachable(target, baseUrls.toString(), failure);
    }

    private static JsonNode answer(HttpResponse<byte[]> response, String target) {
        int status = response.statusCode();
        JsonNode json;
        try {
            json = response.body().length == 0 ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            json = null;
        }
        if (status / 100 == 2 && json != null) {
            return json;
        }
        if (json != null && json.has("error_code")) {
            throw SchemaRegistryException.of(target, status, json.path("error_code").asInt(status),
                json.path("message").asText(""));
        }
        String text = new String(response.body(), StandardCharsets.UTF_8).replaceAll("\\s+", " ").trim();
        throw SchemaRegistryException.of(target, status, status,
            text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }
}
