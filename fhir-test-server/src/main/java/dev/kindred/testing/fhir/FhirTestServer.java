package dev.kindred.testing.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.DispatcherType;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.RiskAssessment;
import org.hl7.fhir.r4.model.Subscription;

/**
 * A real HAPI FHIR R4 server for tests: HAPI's {@link RestfulServer} with {@link InMemoryResourceProvider}s
 * for DetectedIssue, Flag, RiskAssessment, Patient, Observation, MedicationRequest, Medication, Condition,
 * Procedure and ImagingStudy, and a {@link SubscriptionProvider} with the Backport IG's {@code $events} and
 * {@code $status}; embedded in Jetty on 127.0.0.1 with an ephemeral port.
 *
 * <p>Tests can inject faults ({@link #faults()}: the next N requests answer 429/503, slow responses, a
 * required bearer token) and read what the server received ({@link #requests()}).
 *
 * <p>Jetty comes from the caller's classpath (12.0 under connect-runtime, 12.1 under Javalin): this class
 * uses only Jetty API present in both lines, and the filter only the Servlet API.
 *
 * <pre>{@code
 * try (FhirTestServer fhir = new FhirTestServer().start()) {
 *     fhir.faults().failNext(2, 503, "PUT");
 *     ... point the client at fhir.baseUrl() ...
 *     assertThat(fhir.resources(DetectedIssue.class).all()).hasSize(1);
 * }
 * }</pre>
 */
public final class FhirTestServer implements AutoCloseable {

    /** The path the FHIR base lives under. */
    public static final String CONTEXT_PATH = "/fhir";

    private static final List<Class<? extends Resource>> RESOURCE_TYPES = List.of(DetectedIssue.class, Flag.class,
        RiskAssessment.class, Patient.class, Observation.class, MedicationRequest.class, Medication.class,
        Condition.class, Procedure.class, ImagingStudy.class);

    private final FhirContext context = FhirContext.forR4Cached();
    private final Faults faults = new Faults();
    private final RecordingFaultFilter filter = new RecordingFaultFilter(faults);
    private final Map<Class<? extends Resource>, InMemoryResourceProvider<?>> providers = new LinkedHashMap<>();
    private final Map<String, InMemoryResourceProvider<?>> providersByName = new LinkedHashMap<>();
    private final SubscriptionProvider subscriptions;
    private Server jetty;
    private String baseUrl;

    /** A server not yet started: seed resources or set faults, then {@link #start()}. */
    public FhirTestServer() {
        Supplier<Instant> clock = strictlyIncreasingClock();
        for (Class<? extends Resource> type : RESOURCE_TYPES) {
            register(new InMemoryResourceProvider<>(context, type, clock));
        }
        subscriptions = new SubscriptionProvider(context, clock);
        register(subscriptions);
    }

    private void register(InMemoryResourceProvider<?> provider) {
        providers.put(provider.getResourceType(), provider);
        providersByName.put(context.getResourceType(provider.getResourceType()), provider);
    }

    /**
     * Makes writes that reference a missing resource of a type this server holds answer 400, as HAPI's JPA
     * server does (e.g. a DetectedIssue for a Patient the server does not know).
     */
    public FhirTestServer enforceReferentialIntegrity(boolean enforce) {
        providers.values().forEach(p -> p.referenceCheck(enforce ? this::exists : null));
        return this;
    }

    /** Starts serving on 127.0.0.1 on a free port; returns this. */
    public synchronized FhirTestServer start() {
        if (jetty != null) {
            throw new IllegalStateException("already started");
        }
        RestfulServer hapi = new RestfulServer(context);
        hapi.setDefaultResponseEncoding(EncodingEnum.JSON);
        hapi.setPagingProvider(new FifoMemoryPagingProvider(20));
        providers.values().forEach(hapi::registerProvider);

        QueuedThreadPool threads = new QueuedThreadPool(24, 2);
        threads.setName("fhir-test-server");
        Server server = new Server(threads);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler servlets = new ServletContextHandler();
        servlets.setContextPath(CONTEXT_PATH);
        servlets.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        servlets.addServlet(new ServletHolder(hapi), "/*");
        server.setHandler(servlets);
        server.setStopTimeout(2_000);
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("The FHIR test server did not start", e);
        }
        jetty = server;
        baseUrl = "http://127.0.0.1:" + connector.getLocalPort() + CONTEXT_PATH;
        return this;
    }

    /** The FHIR base URL, e.g. {@code http://127.0.0.1:41234/fhir}; only once started. */
    public String baseUrl() {
        if (baseUrl == null) {
            throw new IllegalStateException("not started");
        }
        return baseUrl;
    }

    /** The faults to inject; change them at any time. */
    public Faults faults() {
        return faults;
    }

    /** Every request received so far, oldest first, each recorded once it was answered. */
    public List<RecordedRequest> requests() {
        return List.copyOf(filter.log());
    }

    public void clearRequests() {
        filter.log().clear();
    }

    /** The store of one resource type, to seed it or look at what clients wrote. */
    @SuppressWarnings("unchecked")
    public <T extends Resource> InMemoryResourceProvider<T> resources(Class<T> type) {
        InMemoryResourceProvider<T> provider = (InMemoryResourceProvider<T>) providers.get(type);
        if (provider == null) {
            throw new IllegalArgumentException("This test server holds no " + type.getSimpleName());
        }
        return provider;
    }

    /** Subscriptions and their events ({@code $events}, {@code $status}). */
    public SubscriptionProvider subscriptions() {
        return subscriptions;
    }

    public FhirContext fhirContext() {
        return context;
    }

    private boolean exists(String resourceType, String id) {
        InMemoryResourceProvider<?> provider = providersByName.get(resourceType);
        return provider == null || provider.exists(id);
    }

    /** Stops serving (a test's slow-response fault is lifted first so requests in flight end). */
    @Override
    public synchronized void close() {
        faults.clear();
        if (jetty != null) {
            try {
                jetty.stop();
            } catch (Exception e) {
                throw new IllegalStateException("The FHIR test server did not stop cleanly", e);
            } finally {
                jetty = null;
            }
        }
    }

    /** Each write gets a later lastUpdated than the one before, even within one millisecond. */
    private static Supplier<Instant> strictlyIncreasingClock() {
        AtomicLong last = new AtomicLong();
        return () -> Instant.ofEpochMilli(last.updateAndGet(prev -> Math.max(prev + 1, System.currentTimeMillis())));
    }
}
