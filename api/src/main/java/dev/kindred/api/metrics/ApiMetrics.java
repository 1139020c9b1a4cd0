package dev.kindred.api.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The server's Prometheus registry: Kafka Streams metrics (which include the index stores' own, group
 * {@code kindred-index-metrics}: size, deleted fraction, memory, sampled recall, search latency) through
 * Micrometer's {@link KafkaStreamsMetrics} binder, the API's own Kafka clients through {@link KafkaClientMetrics},
 * JVM metrics, HTTP request latencies by route and status, and counters of CDS calls and feedback.
 */
public final class ApiMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();

    /** Metrics that appear later (an index space's, on its first vector) are picked up this often. */
    static final Duration REFRESH = Duration.ofSeconds(5);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kindred-api-metrics");
        t.setDaemon(true);
        return t;
    });

    public ApiMetrics(KafkaStreams streams) {
        KafkaStreamsMetrics s = new KafkaStreamsMetrics(streams, List.of(), scheduler, REFRESH);
        s.bindTo(registry);
        binders.add(s);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
        new ProcessorMetrics().bindTo(registry);
    }

    public void bindConsumer(Consumer<?, ?> consumer) {
        KafkaClientMetrics m = new KafkaClientMetrics(consumer);
        m.bindTo(registry);
        binders.add(m);
    }

    public void bindProducer(Producer<?, ?> producer) {
        KafkaClientMetrics m = new KafkaClientMetrics(producer);
        m.bindTo(registry);
        binders.add(m);
    }

    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /** A gauge with one tag; registering the same name and tag again keeps the first. */
    public void gauge(String name, String description, String tag, String tagValue, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).tag(tag, tagValue).register(registry);
    }

    /** One HTTP request's latency, by method, route template and status. */
    public void request(String method, String route, int status, long nanos) {
        Timer.builder("kindred.http.server.requests")
                .description("HTTP requests served, by method, route and status")
                .tags("method", method, "route", route, "status", String.valueOf(status))
                .publishPercentileHistogram()
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    public void cdsCall(String service, int status) {
        Counter.builder("kindred.cds.calls").description("CDS Hooks service calls, by service and status")
                .tags("service", service, "status", String.valueOf(status)).register(registry).increment();
    }

    public void feedback(String service, String outcome) {
        Counter.builder("kindred.cds.feedback").description("Card feedback recorded, by service and outcome")
                .tags("service", service, "outcome", outcome).register(registry).increment();
    }

    public String scrape() {
        return registry.scrape();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        for (AutoCloseable b : binders) {
            try {
                b.close();
            } catch (Exception e) {
                // closing metrics only
            }
        }
        scheduler.shutdownNow();
        registry.close();
    }
}
