package dev.kindred.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.api.alerts.AlertJson;
import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.auth.ApiAuth;
import dev.kindred.api.cds.Cards;
import dev.kindred.api.cds.CdsHooksService;
import dev.kindred.api.cds.JwtVerifier;
import dev.kindred.api.cds.PatientData;
import dev.kindred.api.feedback.FeedbackRecorder;
import dev.kindred.api.json.Json;
import dev.kindred.api.metrics.ApiMetrics;
import dev.kindred.connectors.subscription.SubscriptionReceiver;
import dev.kindred.api.state.KindredStateReader;
import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.Feedback;
import dev.kindred.avro.FeedbackOutcome;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.advice.OnDemandAdvice;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexedVector;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import dev.kindred.topology.KindredTopology;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kindred's HTTP server, beside the streams app in the same JVM: the JSON API over interactive queries, the CDS
 * Hooks 2.0 services, the dashboard, {@code /health} and {@code /metrics}. Started by {@code kindred run} and
 * {@code kindred demo}. Logs never carry patient values: requests are logged by route template, not by URL.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final String DASHBOARD = "/dev/kindred/api/dashboard/";
    private static final Map<String, String> DASHBOARD_FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);

    /** How the server is started. */
    public record Options(boolean insecureDemo) {
        /** Production: bearer tokens and CDS JWTs required. */
        public static final Options SECURE = new Options(false);
        /** {@code kindred demo} only: no auth at all, said at start. */
        public static final Options DEMO = new Options(true);
    }

    private final KindredService service;
    private final ApiConfig config;
    private final ApiAuth auth;
    private final JwtVerifier jwt;
    private final KindredStateReader reader;
    private final AlertView alerts;
    private final FeedbackRecorder feedback;
    private final ApiMetrics metrics;
    private final PatientPipeline pipeline;
    private final FhirMapper mapper;
    private CdsHooksService cdsService;
    private final OnDemandAdvice advice;
    private final FeatureCatalog catalog;
    private final SubscriptionReceiver subscriptions;
    private final boolean insecure;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final java.util.concurrent.atomic.AtomicInteger streams = new java.util.concurrent.atomic.AtomicInteger();
    private Javalin app;
    private String baseUrl;
    private String publicUrl;

    private ApiServer(KindredService service, Map<?, ?> settings, Options options) {
        this.service = service;
        this.config = new ApiConfig(settings);
        this.insecure = options.insecureDemo();
        KindredConfig kindred = service.config();
        this.auth = new ApiAuth(config.tokens(), config.internalToken(), config.identifiedRoles(), insecure);
        this.jwt = new JwtVerifier(config);
        Object server = kindred.originals().get(StreamsConfig.APPLICATION_SERVER_CONFIG);
        HostInfo self = server == null || server.toString().isBlank() ? null : HostInfo.buildFromEndpoint(server.toString());
        this.reader = new KindredStateReader(service.streams(), self, config.internalToken(), config.forwardTimeout());
        Map<String, Object> registry = kindred.originals();
        this.alerts = new AlertView(clientSettings(kindred, ConsumerConfig.configNames()), kindred.alertsTopic(),
                kindred.feedbackTopic(), RegistryAvroSerde.specific(ClinicalAlert.class, registry, false).deserializer(),
                RegistryAvroSerde.specific(Feedback.class, registry, false).deserializer(), config.alertsBuffer(),
                config.alertsPerPatient(), config.alertsPatients());
        this.feedback = new FeedbackRecorder(clientSettings(kindred, ProducerConfig.configNames()), kindred.feedbackTopic(),
                RegistryAvroSerde.specific(Feedback.class, registry, false).serializer(), alerts);
        this.catalog = KindredTopology.catalog(kindred);
        OutcomeRules rules = KindredTopology.outcomeRules(kindred);
        PatientPipeline pipeline = new PatientPipeline(catalog, rules, kindred.pipelineSettings());
        this.advice = new OnDemandAdvice(pipeline, rules);
        FhirMapper mapper = new FhirMapper(catalog);
        this.metrics = new ApiMetrics(service.streams());
        metrics.bindConsumer(alerts.consumer());
        metrics.bindProducer(feedback.producer());
        metrics.gauge("kindred.api.alerts.held", "Alerts held by this instance's alert view", alerts::held);
        this.subscriptions = config.subscriptionEnabled() ? subscriptionReceiver(kindred) : null;
        this.pipeline = pipeline;
        this.mapper = mapper;
    }

    private SubscriptionReceiver subscriptionReceiver(KindredConfig kindred) {
        Map<String, Object> client = clientSettings(kindred, ProducerConfig.configNames());
        Object bootstrap = client.remove(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
        SubscriptionReceiver receiver = new SubscriptionReceiver(new SubscriptionReceiver.Settings(
                String.valueOf(bootstrap), client, config.subscriptionStateTopic(), config.subscriptionTransactionalId(),
                config.subscriptionSecretHeader(), config.subscriptionFhirBase(), config.subscriptionFhirAuthHeader()));
        metrics.gauge("kindred.subscription.resources.written", "Resources the subscription receiver wrote to input topics",
                receiver::resourcesWritten);
        metrics.gauge("kindred.subscription.rejected", "Notifications refused (wrong secret, bad body)", receiver::rejected);
        return receiver;
    }

    /** One request to the rest-hook: the receiver answers; per-subscription gauges follow new subscriptions. */
    private void subscriptionHook(Context ctx, String subPath) {
        SubscriptionReceiver.Reply reply = subscriptions.receive(ctx.method().name(), subPath, ctx::header, ctx.bodyAsBytes());
        ctx.status(reply.status());
        if (!reply.body().isEmpty()) {
            ctx.contentType("application/fhir+json").result(reply.body());
        }
        for (String id : subscriptions.states().keySet()) {
            metrics.gauge("kindred.subscription.last.event.number", "Last event number written, per subscription",
                    "subscription", id, () -> subscriptions.states().get(id).lastEventNumber());
            metrics.gauge("kindred.subscription.open.gaps", "Event ranges missed and not yet recovered, per subscription",
                    "subscription", id, () -> subscriptions.states().get(id).openGaps().size());
            metrics.gauge("kindred.subscription.last.heartbeat.seconds", "Epoch seconds of the last heartbeat (0: none)",
                    "subscription", id, () -> {
                        var heartbeat = subscriptions.states().get(id).lastHeartbeat();
                        return heartbeat == null ? 0 : heartbeat.getEpochSecond();
                    });
        }
    }

    private static Map<String, Object> clientSettings(KindredConfig kindred, Set<String> names) {
        Map<String, Object> out = new HashMap<>();
        kindred.originals().forEach((k, v) -> {
            if (names.contains(k) && v != null) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** Starts the server beside a running Kindred service; the settings are the same properties Kindred runs on. */
    public static ApiServer start(KindredService service, Map<?, ?> settings, Options options) {
        ApiServer server = new ApiServer(service, settings, options);
        try {
            server.startHttp();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void startHttp() {
        alerts.start();
        app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.jetty.host = config.host();
            c.jetty.port = config.port();
            c.http.maxRequestSize = 4 * 1024 * 1024;
            c.router.ignoreTrailingSlashes = false;
            c.requestLogger.http((ctx, ms) -> {
                String route = route(ctx);
                if (!route.equals("/api/alerts/stream")) {
                    metrics.request(ctx.method().name(), route, ctx.statusCode(), (long) (ms * 1_000_000));
                }
            });
            c.routes.before(this::authenticate);
            c.routes.get("/", ctx -> ctx.redirect("/dashboard/"));
            c.routes.get("/dashboard", ctx -> ctx.redirect("/dashboard/"));
            c.routes.get("/dashboard/", ctx -> dashboardFile(ctx, "index.html"));
            c.routes.get("/dashboard/{file}", ctx -> dashboardFile(ctx, ctx.pathParam("file")));
            c.routes.get("/openapi.json", ctx -> resource(ctx, "/dev/kindred/api/openapi.json", "application/json"));
            c.routes.get("/health", this::health);
            c.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
            c.routes.get("/api/patients/{key}", this::patient);
            c.routes.get("/api/patients/{key}/similar", this::similar);
            c.routes.get("/api/patients/{key}/alerts", this::patientAlerts);
            c.routes.get("/api/alerts", this::recentAlerts);
            c.routes.sse("/api/alerts/stream", this::stream);
            c.routes.get("/api/alerts/{id}", this::alert);
            c.routes.post("/api/feedback", this::dashboardFeedback);
            c.routes.get(KindredStateReader.INTERNAL_STATE_PATH, this::internalState);
            if (subscriptions != null) {
                c.routes.post("/subscription-hook", ctx -> subscriptionHook(ctx, ""));
                c.routes.put("/subscription-hook/{type}/{id}",
                        ctx -> subscriptionHook(ctx, ctx.pathParam("type") + "/" + ctx.pathParam("id")));
                c.routes.get("/api/subscriptions", ctx -> ctx.contentType("application/json").result(subscriptions.statesJson()));
            }
            c.routes.get("/cds-services", ctx -> json(ctx, 200, cdsService.discovery()));
            c.routes.post("/cds-services/{id}", this::cdsCall);
            c.routes.post("/cds-services/{id}/feedback", this::cdsFeedback);
            c.routes.options("/cds-services", ctx -> ctx.status(204));
            c.routes.options("/cds-services/{id}", ctx -> ctx.status(204));
            c.routes.options("/cds-services/{id}/feedback", ctx -> ctx.status(204));
            c.routes.exception(KindredStateReader.StateUnavailableException.class, (e, ctx) ->
                    json(ctx, 503, Map.of("error", e.getMessage())));
            c.routes.exception(IllegalArgumentException.class, (e, ctx) -> json(ctx, 400, Map.of("error", e.getMessage())));
            c.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("request to {} failed: {}", route(ctx), e.getClass().getName());
                json(ctx, 500, Map.of("error", "internal error (" + e.getClass().getSimpleName() + ")"));
            });
        });
        app.start();
        baseUrl = "http://" + (config.host().equals("0.0.0.0") ? "127.0.0.1" : config.host()) + ":" + app.port();
        publicUrl = config.publicUrl().isEmpty() ? baseUrl : config.publicUrl();
        cdsService = new CdsHooksService(reader, alerts, advice, pipeline, mapper,
                new PatientData(mapper, config.fhirTimeout()), new Cards(publicUrl), feedback);
        if (insecure) {
            LOG.warn("HTTP server on {} runs WITHOUT AUTH (demo only): anyone who reaches it sees patient data", baseUrl);
        } else {
            if (!auth.hasTokens()) {
                LOG.warn("no bearer token configured ({} or {}): /api, /metrics and the dashboard's data refuse every"
                        + " call; /health and CDS Hooks work", ApiConfig.TOKENS_CONFIG, ApiConfig.TOKENS_FILE_CONFIG);
            }
            if (!jwt.hasIssuers()) {
                LOG.warn("no CDS client configured ({}): every CDS Hooks call is refused", ApiConfig.CDS_ISSUERS_CONFIG);
            }
        }
        LOG.info("HTTP server on {} (public URL {})", baseUrl, publicUrl);
    }

    /** The URL the server listens on (http://host:port). */
    public String url() {
        return baseUrl;
    }

    /** The base URL clients call (and CDS JWTs name as aud). */
    public String publicUrl() {
        return publicUrl;
    }

    public int port() {
        return app.port();
    }

    public AlertView alertView() {
        return alerts;
    }

    public ApiMetrics metrics() {
        return metrics;
    }

    private static String route(Context ctx) {
        try {
            var endpoint = ctx.endpoint();
            return endpoint == null ? "unmatched" : endpoint.path;
        } catch (RuntimeException e) {
            return "unmatched";
        }
    }

    // ------------------------------------------------------------------------------------------ auth and CORS

    private void authenticate(Context ctx) {
        String path = ctx.path();
        if (path.startsWith("/cds-services")) {
            cors(ctx);
            if (ctx.method().name().equals("OPTIONS")) {
                ctx.status(204);
                ctx.skipRemainingHandlers();
                return;
            }
            if (insecure) {
                ctx.attribute("sender", "demo");
                return;
            }
            try {
                JwtVerifier.Caller caller = jwt.verify(ctx.header("Authorization"), publicUrl + path);
                ctx.attribute("sender", caller.iss());
            } catch (JwtVerifier.Rejected e) {
                boolean discoveryWithToken = path.equals("/cds-services") && auth.role(ctx.header("Authorization")).isPresent();
                if (!discoveryWithToken) {
                    ctx.header("WWW-Authenticate", "Bearer");
                    json(ctx, 401, Map.of("error", e.getMessage()));
                    ctx.skipRemainingHandlers();
                }
            }
            return;
        }
        if (path.startsWith("/internal/")) {
            if (!auth.internal(ctx.header("Authorization"))) {
                json(ctx, 401, Map.of("error", "internal endpoint: the instances' shared token is required"));
                ctx.skipRemainingHandlers();
            }
            return;
        }
        if (path.startsWith("/api/") || path.equals("/metrics")) {
            Optional<String> role = auth.role(ctx.header("Authorization"));
            if (role.isEmpty()) {
                ctx.header("WWW-Authenticate", "Bearer");
                json(ctx, 401, Map.of("error", "a bearer token is required"));
                ctx.skipRemainingHandlers();
                return;
            }
            ctx.attribute("role", role.get());
        }
    }

    private void cors(Context ctx) {
        String origin = ctx.header("Origin");
        List<String> allowed = config.corsOrigins();
        String allow = allowed.contains("*") ? "*" : origin != null && allowed.contains(origin) ? origin : null;
        if (allow != null) {
            ctx.header("Access-Control-Allow-Origin", allow);
            if (!"*".equals(allow)) {
                ctx.header("Vary", "Origin");
            }
            ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            ctx.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            ctx.header("Access-Control-Max-Age", "600");
        }
    }

    private boolean identified(Context ctx) {
        return auth.identified(ctx.attribute("role"));
    }

    // ------------------------------------------------------------------------------------------ plain responses

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    private static void resource(Context ctx, String name, String type) throws IOException {
        try (InputStream in = ApiServer.class.getResourceAsStream(name)) {
            if (in == null) {
                json(ctx, 404, Map.of("error", "not found"));
                return;
            }
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    private static void dashboardFile(Context ctx, String file) throws IOException {
        String type = DASHBOARD_FILES.get(file);
        if (type == null) {
            json(ctx, 404, Map.of("error", "not found"));
            return;
        }
        ctx.header("Cache-Control", "no-cache");
        ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'");
        resource(ctx, DASHBOARD + file, type);
    }

    // ------------------------------------------------------------------------------------------ health

    private void health(Context ctx) {
        KafkaStreams streams = service.streams();
        KafkaStreams.State state = streams.state();
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, IndexStats> stats = reader.indexStats();
        boolean indexReady = reader.indexStore().isPresent() && state == KafkaStreams.State.RUNNING || (!stats.isEmpty()
                && state.isRunningOrRebalancing());
        boolean ready = state.isRunningOrRebalancing() && indexReady && alerts.caughtUp() && alerts.failure() == null;
        out.put("status", ready ? "UP" : state.isRunningOrRebalancing() ? "STARTING" : "DOWN");
        out.put("streams", Map.of("state", state.name(), "applicationId", service.applicationId()));
        Map<String, Object> lag = new LinkedHashMap<>();
        lag.put("inputRecords", inputLag(streams));
        long restore = 0;
        try {
            for (Map<Integer, LagInfo> byPartition : streams.allLocalStorePartitionLags().values()) {
                for (LagInfo l : byPartition.values()) {
                    restore += Math.max(0, l.offsetLag());
                }
            }
        } catch (RuntimeException e) {
            restore = -1;
        }
        lag.put("storeRestoreRecords", restore);
        out.put("lag", lag);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("restored", indexReady);
        Map<String, Object> spaces = new LinkedHashMap<>();
        stats.forEach((space, s) -> spaces.put(space, Map.of("size", s.size(), "deletedFraction", s.deletedFraction(),
                "sampledRecall", Double.isNaN(s.sampledRecall()) ? "n/a" : s.sampledRecall())));
        index.put("spaces", spaces);
        reader.indexStore().ifPresent(s -> index.put("snapshot", s.snapshotStatus().loaded() ? "loaded" : "none"));
        out.put("index", index);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("caughtUp", alerts.caughtUp());
        view.put("held", alerts.held());
        if (alerts.failure() != null) {
            view.put("failure", alerts.failure());
        }
        out.put("alertView", view);
        json(ctx, ready ? 200 : 503, out);
    }

    /** Records behind on this instance's input partitions, from the stream threads' consumer metrics. */
    private static double inputLag(KafkaStreams streams) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends org.apache.kafka.common.Metric> e : streams.metrics().entrySet()) {
            MetricName n = e.getKey();
            String client = n.tags().getOrDefault("client-id", "");
            if (n.name().equals("records-lag") && n.group().equals("consumer-fetch-manager-metrics")
                    && client.contains("StreamThread") && !client.endsWith("restore-consumer")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Double d && !d.isNaN() && !d.isInfinite()) {
                    total += d;
                }
            }
        }
        return total;
    }

    // ------------------------------------------------------------------------------------------ patients

    private PatientState requireState(Context ctx, String key) {
        Optional<KindredStateReader.Located> located = reader.state(key);
        if (located.isEmpty()) {
            return null;
        }
        ctx.attribute("servedBy", located.get().servedBy());
        return located.get().state();
    }

    private void patient(Context ctx) {
        String key = ctx.pathParam("key");
        PatientState state = requireState(ctx, key);
        if (state == null) {
            json(ctx, 404, Map.of("error", "no such patient"));
            return;
        }
        Map<String, Object> out = PatientJson.of(state, catalog, advice.vectorizer(), ctx.attribute("servedBy"));
        Map<String, Object> indexed = new LinkedHashMap<>();
        reader.indexStore().ifPresent(store -> store.spaces().forEach(space ->
                store.index(space).flatMap(i -> i.get(key)).ifPresent(v -> indexed.put(space, v.version()))));
        out.put("indexedVersions", indexed);
        json(ctx, 200, out);
    }

    private void similar(Context ctx) {
        String key = ctx.pathParam("key");
        PatientState state = requireState(ctx, key);
        if (state == null) {
            json(ctx, 404, Map.of("error", "no such patient"));
            return;
        }
        Optional<ClinicalAlert> now = advice.currentAlert(state, reader.patientIndex(), Instant.now());
        if (now.isEmpty()) {
            json(ctx, 200, Map.of("patientKey", key, "similarPatients", List.of(), "recommendations", List.of(),
                    "note", "the patient has no clinical vector yet"));
            return;
        }
        ClinicalAlert a = now.get();
        boolean identified = identified(ctx);
        Map<String, String> names = AlertJson.pseudonyms(a.getSimilarPatients());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("patientKey", key);
        out.put("servedBy", ctx.attribute("servedBy"));
        out.put("computedAt", a.getProcessingTime().toString());
        out.put("k", advice.neighbours());
        out.put("basis", a.getSummary());
        out.put("similarPatients", AlertJson.similar(a.getSimilarPatients(), names, identified, this::outcomesOf));
        out.put("recommendations", AlertJson.recommendations(a.getRecommendations(), names, identified));
        out.put("identified", identified);
        json(ctx, 200, out);
    }

    private List<TreatmentOutcome> outcomesOf(String key) {
        return reader.indexed(advice.vectorizer().clinicalSpace(), key).map(IndexedVector::payload).orElse(List.of());
    }

    private void patientAlerts(Context ctx) {
        String key = ctx.pathParam("key");
        boolean identified = identified(ctx);
        List<Map<String, Object>> out = new ArrayList<>();
        for (AlertView.Entry e : alerts.ofPatient(key)) {
            out.add(AlertJson.full(e.alert(), identified, alerts.feedback(e.alert().getAlertId()), this::outcomesOf));
        }
        json(ctx, 200, Map.of("patientKey", key, "alerts", out));
    }

    private void alert(Context ctx) {
        Optional<AlertView.Entry> e = alerts.byId(ctx.pathParam("id"));
        if (e.isEmpty()) {
            json(ctx, 404, Map.of("error", "no such alert among those this instance holds"));
            return;
        }
        ClinicalAlert a = e.get().alert();
        json(ctx, 200, AlertJson.full(a, identified(ctx), alerts.feedback(a.getAlertId()), this::outcomesOf));
    }

    static AlertView.Filter filter(Context ctx) {
        Set<AlertIndicator> severities = EnumSet.noneOf(AlertIndicator.class);
        for (String s : ctx.queryParams("severity")) {
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    try {
                        severities.add(AlertIndicator.valueOf(part.strip().toLowerCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("severity must be info, warning or critical");
                    }
                }
            }
        }
        return new AlertView.Filter(severities, blankToNull(ctx.queryParam("patient")), instant(ctx.queryParam("from")),
                instant(ctx.queryParam("to")));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static Instant instant(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(s.strip());
        } catch (DateTimeParseException e) {
            try {
                return java.time.LocalDate.parse(s.strip()).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("times are ISO-8601 instants or dates: " + s);
            }
        }
    }

    private void recentAlerts(Context ctx) {
        AlertView.Filter filter = filter(ctx);
        int limit = Math.max(1, Math.min(1000, ctx.queryParam("limit") == null ? 100
                : Integer.parseInt(ctx.queryParam("limit"))));
        String position = alerts.position();
        List<Map<String, Object>> out = new ArrayList<>();
        for (AlertView.Entry e : alerts.recent(filter, limit)) {
            out.add(AlertJson.summary(e, alerts.feedback(e.alert().getAlertId())));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("alerts", out);
        body.put("position", position);
        body.put("held", alerts.held());
        body.put("bySeverity", alerts.countsBySeverity());
        json(ctx, 200, body);
    }

    /**
     * Server-Sent Events: one {@code alert} event per new alert (the summary JSON), its id the view's position
     * after it. With {@code Last-Event-ID} (header, or {@code lastEventId} query parameter) the held alerts after
     * that position come first; a {@code gap} event says some were no longer held.
     */
    private void stream(SseClient client) {
        Context ctx = client.ctx();
        AlertView.Filter filter = filter(ctx);
        String last = ctx.header("Last-Event-ID");
        if (last == null || last.isBlank()) {
            last = ctx.queryParam("lastEventId");
        }
        boolean replay = last != null && !last.isBlank();
        BlockingQueue<AlertView.Entry> queue = new ArrayBlockingQueue<>(10_000);
        AtomicBoolean overflow = new AtomicBoolean();
        AtomicBoolean gap = new AtomicBoolean();
        streams.incrementAndGet();
        try (AlertView.Subscription sub = alerts.subscribe(AlertView.parsePosition(last), replay, e -> {
            if (filter.accepts(e.alert()) && !queue.offer(e)) {
                overflow.set(true);
            }
        }, gap::set)) {
            client.sendComment("kindred alert stream");
            if (gap.get()) {
                client.sendEvent("gap", "{\"reason\":\"some alerts after Last-Event-ID are no longer held\"}",
                        alerts.position());
            }
            long lastSend = System.nanoTime();
            while (running.get() && !client.terminated()) {
                if (overflow.get()) {
                    client.sendEvent("gap", "{\"reason\":\"the client read too slowly\"}", alerts.position());
                    break;
                }
                AlertView.Entry e = queue.poll(1, TimeUnit.SECONDS);
                if (e != null) {
                    client.sendEvent("alert", Json.write(AlertJson.summary(e, alerts.feedback(e.alert().getAlertId()))),
                            e.position());
                    lastSend = System.nanoTime();
                } else if (System.nanoTime() - lastSend > HEARTBEAT.toNanos()) {
                    client.sendComment("heartbeat");
                    lastSend = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("alert stream client left: {}", e.getClass().getSimpleName());
        } finally {
            streams.decrementAndGet();
        }
    }

    private void dashboardFeedback(Context ctx) {
        JsonNode body = Json.read(ctx.body());
        String card = body.path("card").asText("");
        String outcome = body.path("outcome").asText("");
        if (card.isBlank()) {
            throw new IllegalArgumentException("card is required");
        }
        FeedbackOutcome o;
        try {
            o = FeedbackOutcome.valueOf(outcome);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("outcome must be accepted or overridden");
        }
        List<String> accepted = new ArrayList<>();
        for (JsonNode s : body.path("acceptedSuggestions")) {
            accepted.add(s.asText());
        }
        String reasonCode = blankToNull(body.path("overrideReason").asText(null));
        String display = null;
        if (reasonCode != null) {
            for (Map<String, Object> c : Cards.OVERRIDE_REASONS) {
                if (reasonCode.equals(c.get("code"))) {
                    display = (String) c.get("display");
                }
            }
        }
        String comment = blankToNull(body.path("comment").asText(null));
        Instant at = body.hasNonNull("outcomeTimestamp") ? instant(body.get("outcomeTimestamp").asText()) : Instant.now();
        String system = reasonCode == null ? null : "https://kindred.dev/fhir/CodeSystem/override-reason";
        Feedback f = Feedback.newBuilder()
                .setFeedbackId(FeedbackRecorder.feedbackId("dashboard", card, o, accepted, system, reasonCode, comment, at))
                .setService("dashboard")
                .setCard(card)
                .setOutcome(o)
                .setAcceptedSuggestions(accepted)
                .setOverrideReasonSystem(system)
                .setOverrideReasonCode(reasonCode)
                .setOverrideReasonDisplay(display)
                .setUserComment(comment)
                .setOutcomeTimestamp(at)
                .setReceivedAt(Instant.now())
                .setSender("role:" + ctx.attribute("role"))
                .build();
        boolean recorded = feedback.record(f);
        if (recorded) {
            metrics.feedback("dashboard", o.name());
        }
        AlertView.CardFeedback counts = alerts.feedback(card);
        json(ctx, 200, Map.of("feedbackId", f.getFeedbackId(), "recorded", recorded,
                "feedback", Map.of("accepted", counts.accepted(), "overridden", counts.overridden())));
    }

    private void internalState(Context ctx) {
        Optional<PatientState> state = reader.localState(ctx.pathParam("key"));
        if (state.isEmpty()) {
            ctx.status(404);
            return;
        }
        ctx.contentType(KindredStateReader.STATE_MEDIA_TYPE).result(KindredStateReader.encode(state.get()));
    }

    // ------------------------------------------------------------------------------------------ CDS Hooks

    private void cdsCall(Context ctx) {
        String id = ctx.pathParam("id");
        JsonNode request;
        try {
            request = Json.read(ctx.body());
        } catch (IllegalArgumentException e) {
            metrics.cdsCall(id, 400);
            json(ctx, 400, Map.of("error", "the body is not JSON"));
            return;
        }
        CdsHooksService.Answer answer = cdsService.call(id, request, Instant.now());
        metrics.cdsCall(cdsService.known(id) ? id : "unknown", answer.status());
        json(ctx, answer.status(), answer.body());
    }

    private void cdsFeedback(Context ctx) {
        String id = ctx.pathParam("id");
        JsonNode body;
        try {
            body = Json.read(ctx.body());
        } catch (IllegalArgumentException e) {
            json(ctx, 400, Map.of("error", "the body is not JSON"));
            return;
        }
        CdsHooksService.Answer answer = cdsService.feedback(id, body, ctx.attribute("sender"), Instant.now());
        if (answer.status() == 200) {
            for (JsonNode f : body.path("feedback")) {
                metrics.feedback(id, f.path("outcome").asText());
            }
            ctx.status(200);
            return;
        }
        json(ctx, answer.status(), answer.body());
    }

    @Override
    public void close() {
        running.set(false);
        // Live streams notice within a second and end their responses before Jetty stops.
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (streams.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (app != null) {
            app.stop();
        }
        feedback.close();
        alerts.close();
        if (subscriptions != null) {
            subscriptions.close();
        }
        metrics.close();
    }
}
