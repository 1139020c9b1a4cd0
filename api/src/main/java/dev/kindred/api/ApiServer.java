package dev.kindred.api;

import static dev.kindred.api.Responses.json;

import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.auth.ApiAuth;
import dev.kindred.api.cds.Cards;
import dev.kindred.api.cds.CdsHooksService;
import dev.kindred.api.cds.JwtVerifier;
import dev.kindred.api.cds.PatientData;
import dev.kindred.api.feedback.FeedbackRecorder;
import dev.kindred.api.metrics.ApiMetrics;
import dev.kindred.api.state.KindredStateReader;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.Feedback;
import dev.kindred.clinical.advice.OnDemandAdvice;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import dev.kindred.topology.KindredTopology;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kindred's HTTP server, beside the streams app in the same JVM: the JSON API over interactive queries, the CDS
 * Hooks 2.0 services, the dashboard, {@code /health} and {@code /metrics}. Started by {@code kindred run} and
 * {@code kindred demo}. Logs never carry patient values: requests are logged by route template, not by URL.
 *
 * <p>This class wires the parts, owns the server's life, the route table, auth and CORS, and serves the static
 * files; the endpoints themselves live in {@link PatientApi}, {@link AlertApi}, {@link FeedbackApi},
 * {@link CdsApi}, {@link SubscriptionHook} and {@link Health}.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final String DASHBOARD = "/dev/kindred/api/dashboard/";
    private static final Map<String, String> DASHBOARD_FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

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
    private final OnDemandAdvice advice;
    private final FeatureCatalog catalog;
    private final SubscriptionHook subscriptions;
    private final PatientApi patients;
    private final AlertApi alertApi;
    private final FeedbackApi dashboardFeedback;
    private final Health health;
    private final boolean insecure;
    // Built once the server listens: the cards link to the public URL, known only then.
    private CdsApi cds;
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
        this.subscriptions = config.subscriptionEnabled()
                ? new SubscriptionHook(config, clientSettings(kindred, ProducerConfig.configNames()), metrics) : null;
        this.pipeline = pipeline;
        this.mapper = mapper;
        this.patients = new PatientApi(reader, advice, catalog, auth);
        this.alertApi = new AlertApi(alerts, auth, patients::outcomesOf);
        this.dashboardFeedback = new FeedbackApi(feedback, alerts, metrics);
        this.health = new Health(service, reader, alerts);
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
            c.routes.get("/health", health::health);
            c.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
            c.routes.get("/api/patients/{key}", patients::patient);
            c.routes.get("/api/patients/{key}/similar", patients::similar);
            c.routes.get("/api/patients/{key}/alerts", alertApi::patientAlerts);
            c.routes.get("/api/alerts", alertApi::recentAlerts);
            c.routes.sse("/api/alerts/stream", alertApi::stream);
            c.routes.get("/api/alerts/{id}", alertApi::alert);
            c.routes.post("/api/feedback", dashboardFeedback::record);
            c.routes.get(KindredStateReader.INTERNAL_STATE_PATH, patients::internalState);
            if (subscriptions != null) {
                c.routes.post("/subscription-hook", ctx -> subscriptions.receive(ctx, ""));
                c.routes.put("/subscription-hook/{type}/{id}",
                        ctx -> subscriptions.receive(ctx, ctx.pathParam("type") + "/" + ctx.pathParam("id")));
                c.routes.get("/api/subscriptions", subscriptions::states);
            }
            // Lambdas, not method references: cds is set only after the server starts.
            c.routes.get("/cds-services", ctx -> cds.discovery(ctx));
            c.routes.post("/cds-services/{id}", ctx -> cds.call(ctx));
            c.routes.post("/cds-services/{id}/feedback", ctx -> cds.feedback(ctx));
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
        cds = new CdsApi(new CdsHooksService(reader, alerts, advice, pipeline, mapper,
                new PatientData(mapper, config.fhirTimeout()), new Cards(publicUrl), feedback), metrics);
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

    // ------------------------------------------------------------------------------------------ static files

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

    // ------------------------------------------------------------------------------------------ stop

    @Override
    public void close() {
        // Live streams notice within a second and end their responses before Jetty stops.
        alertApi.endStreams(Duration.ofSeconds(3));
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
