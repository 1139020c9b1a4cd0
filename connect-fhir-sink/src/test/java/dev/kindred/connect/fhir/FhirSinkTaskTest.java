package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.registry.MockSchemaRegistryClient;
import dev.kindred.testing.fhir.FhirTestServer;
import dev.kindred.testing.fhir.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Flag;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The task against a real HAPI server over HTTP, without a Connect worker (the IT adds that). */
@Timeout(60)
class FhirSinkTaskTest {

    private static final String REGISTRY_SCOPE = "fhir-sink-task-test";
    private static FhirTestServer fhir;
    private final MockSchemaRegistryClient registry = MockSchemaRegistryClient.forScope(REGISTRY_SCOPE);
    private final FakeContext context = new FakeContext();
    private FhirSinkTask task;
    private long nextOffset;

    @BeforeAll
    static void startServer() {
        fhir = new FhirTestServer().enforceReferentialIntegrity(true).start();
    }

    @AfterAll
    static void stopServer() {
        fhir.close();
    }

    @BeforeEach
    void seed() {
        fhir.faults().clear();
        fhir.clearRequests();
        fhir.resources(DetectedIssue.class).clear();
        fhir.resources(Flag.class).clear();
        for (String id : List.of("pat-1", "pat-2")) {
            fhir.resources(Patient.class).put((Patient) new Patient().setId(id));
            fhir.resources(org.hl7.fhir.r4.model.Observation.class)
                .put((org.hl7.fhir.r4.model.Observation) new org.hl7.fhir.r4.model.Observation().setId("obs-" + id));
        }
    }

    @AfterEach
    void stopTask() {
        if (task != null) {
            task.stop();
        }
    }

    @Test
    void writesEachAlertOnceAsADetectedIssueWithTheAuthHeader() {
        start(Map.of(FhirSinkConfig.AUTH_HEADER_VALUE_CONFIG, "Bearer t0ken"));
        fhir.faults().requireBearerToken("t0ken");
        SinkRecord first = record(Alerts.alert("a-1", "pat-1"));
        task.put(List.of(first, record(Alerts.alert("a-2", "pat-2")), record(Alerts.alert("a-1", "pat-1"))));
        task.put(List.of(first));  // re-delivered after a rebalance: skipped, nothing re-sent

        assertThat(fhir.resources(DetectedIssue.class).all()).extracting(r -> r.getIdElement().getIdPart())
            .containsExactlyInAnyOrder("a-1", "a-2");
        assertThat(fhir.resources(DetectedIssue.class).versions("a-1")).hasSize(1);
        assertThat(fhir.requests()).hasSize(3).allSatisfy(request -> {
            assertThat(request.method()).isEqualTo("PUT");
            assertThat(request.status()).isIn(200, 201);
        });
        assertThat(context.reported).isEmpty();
    }

    @Test
    void conditionalUpdateOnTheIdentifierLetsTheServerChooseTheId() {
        start(Map.of(FhirSinkConfig.ID_STRATEGY_CONFIG, "identifier", FhirSinkConfig.RESOURCE_TYPE_CONFIG, "Flag"));
        task.put(List.of(record(Alerts.alert("a-1", "pat-1"))));
        task.put(List.of(record(Alerts.alert("a-1", "pat-1"))));

        List<Flag> flags = fhir.resources(Flag.class).byIdentifier(FhirSinkConfig.DEFAULT_IDENTIFIER_SYSTEM, "a-1");
        assertThat(flags).singleElement().satisfies(flag -> assertThat(flag.getIdElement().getIdPart()).isNotEqualTo("a-1"));
        assertThat(fhir.requests()).extracting(RecordedRequest::path).containsOnly("/Flag");
        assertThat(fhir.requests().get(0).query()).isEqualTo("identifier=urn%3Akindred%3Aalert-id%7Ca-1");
    }

    @Test
    void throttlingIsRetriedAfterTheServersRetryAfterAndWrittenRecordsAreNotSentAgain() {
        start(Map.of());
        SinkRecord first = record(Alerts.alert("a-1", "pat-1"));
        SinkRecord second = record(Alerts.alert("a-2", "pat-2"));
        fhir.faults().failNext(1, 429, Duration.ofSeconds(2),
            request -> request.path().equals("/DetectedIssue/a-2"));

        assertThatThrownBy(() -> task.put(List.of(first, second))).isInstanceOf(RetriableException.class)
            .hasMessageContaining("PUT DetectedIssue/a-2 answered HTTP 429");
        assertThat(context.timeout).isEqualTo(2_000L);

        task.put(List.of(first, second));  // Connect hands the same batch again
        assertThat(fhir.requests()).extracting(r -> r.path() + " " + r.status())
            .containsExactly("/DetectedIssue/a-1 201", "/DetectedIssue/a-2 429", "/DetectedIssue/a-2 201");
    }

    @Test
    void serverErrorsAndSlowAnswersBackOffDoublingUpToTheCap() {
        start(Map.of(FhirSinkConfig.RETRY_BACKOFF_MS_CONFIG, "100", FhirSinkConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "300",
            FhirSinkConfig.REQUEST_TIMEOUT_MS_CONFIG, "300"));
        SinkRecord record = record(Alerts.alert("a-1", "pat-1"));
        fhir.faults().failNext(3, 503, "PUT");
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> task.put(List.of(record))).isInstanceOf(RetriableException.class)
                .hasMessageContaining("HTTP 503");
            waits.add(context.timeout);
        }
        assertThat(waits).containsExactly(100L, 200L, 300L);

        fhir.faults().delayResponses(Duration.ofSeconds(2));
        assertThatThrownBy(() -> task.put(List.of(record))).isInstanceOf(RetriableException.class)
            .hasMessageContaining("answered nothing");
        fhir.faults().clear();
        task.put(List.of(record));
        assertThat(fhir.resources(DetectedIssue.class).exists("a-1")).isTrue();
    }

    @Test
    void rejectedAndUndecodableRecordsGoToTheReporterAndLaterRecordsStillArrive() {
        start(Map.of());
        SinkRecord unknownPatient = record(Alerts.alert("a-x", "nobody"));
        SinkRecord garbage = new SinkRecord("cds.alerts", 0, null, null, Schema.OPTIONAL_BYTES_SCHEMA,
            new byte[] {0x7b, 0x7d}, nextOffset++);
        SinkRecord good = record(Alerts.alert("a-2", "pat-2"));
        task.put(List.of(unknownPatient, garbage, good));

        assertThat(context.reported).hasSize(2);
        assertThat(context.reported.get(0).record()).isSameAs(unknownPatient);
        assertThat(context.reported.get(0).error()).isInstanceOf(FhirWriteRejectedException.class)
            .hasMessageContaining("PUT DetectedIssue/a-x answered HTTP 400")
            .hasMessageContaining("error/processing");
        assertThat(context.reported.get(1).record()).isSameAs(garbage);
        assertThat(context.reported.get(1).error()).isInstanceOf(UndecodableAlertException.class)
            .hasMessageContaining("cds.alerts-0@1");
        assertThat(fhir.resources(DetectedIssue.class).exists("a-2")).isTrue();
    }

    @Test
    void withoutADeadLetterQueueABadRecordStopsTheTaskWithAClearMessage() {
        context.reporterConfigured = false;
        start(Map.of());
        assertThatThrownBy(() -> task.put(List.of(record(Alerts.alert("a-x", "nobody")))))
            .isInstanceOf(ConnectException.class)
            .isNotInstanceOf(RetriableException.class)
            .hasMessageContaining("HTTP 400")
            .hasMessageContaining("errors.tolerance=all")
            .hasMessageContaining("errors.deadletterqueue.topic.name");
    }

    @Test
    void aValueThatIsNotBytesNamesTheConverterToUse() {
        start(Map.of());
        SinkRecord converted = new SinkRecord("cds.alerts", 0, null, null, null, "a string", 0);
        assertThatThrownBy(() -> task.put(List.of(converted))).isInstanceOf(ConnectException.class)
            .hasMessageContaining("value.converter=org.apache.kafka.connect.converters.ByteArrayConverter");
    }

    private void start(Map<String, String> overrides) {
        Map<String, String> props = new HashMap<>();
        props.put(FhirSinkConfig.FHIR_BASE_URL_CONFIG, fhir.baseUrl());
        props.put(FhirSinkConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + REGISTRY_SCOPE);
        props.putAll(overrides);
        task = new FhirSinkTask();
        task.initialize(context);
        task.start(props);
    }

    private SinkRecord record(dev.kindred.avro.ClinicalAlert alert) {
        return new SinkRecord("cds.alerts", 0, null, null, Schema.OPTIONAL_BYTES_SCHEMA,
            Alerts.wireFormat(registry, alert), nextOffset++);
    }

    record Reported(SinkRecord record, Throwable error) {
    }

    /** What a worker gives a task: here it remembers the requested back-off and the reported records. */
    static final class FakeContext implements SinkTaskContext {
        final List<Reported> reported = new ArrayList<>();
        boolean reporterConfigured = true;
        long timeout = -1;

        @Override
        public Map<String, String> configs() {
            return Map.of();
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
        }

        @Override
        public void timeout(long timeoutMs) {
            timeout = timeoutMs;
        }

        @Override
        public Set<TopicPartition> assignment() {
            return Set.of(new TopicPartition("cds.alerts", 0));
        }

        @Override
        public void pause(TopicPartition... partitions) {
        }

        @Override
        public void resume(TopicPartition... partitions) {
        }

        @Override
        public void requestCommit() {
        }

        @Override
        public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
            throw new UnsupportedOperationException("the FHIR sink records no plugin metrics");
        }

        @Override
        public ErrantRecordReporter errantRecordReporter() {
            if (!reporterConfigured) {
                return null;
            }
            return new ErrantRecordReporter() {
                @Override
                public Future<Void> report(SinkRecord record, Throwable error) {
                    reported.add(new Reported(record, error));
                    return CompletableFuture.completedFuture(null);
                }
            };
        }
    }
}
