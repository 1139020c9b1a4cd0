package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryClients;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.testing.fhir.FhirTestServer;
import dev.kindred.testing.fhir.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.eclipse.jetty.util.Jetty;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connector in a real Connect worker (EmbeddedConnectCluster: one broker, one worker), loaded from the
 * plugin directory built in package (plugin.path; the module's classes are not on this test's classpath),
 * reading alerts in the Confluent wire format (schemas in the in-process registry over HTTP) and writing
 * them to the HAPI test server, which runs on connect-runtime's Jetty 12.0 here.
 */
@Timeout(300)
class FhirSinkIT {

    private static final String TOPIC = "cds.alerts";
    private static final String DLQ = "cds.alerts.fhir-dlq";
    private static final String CONNECTOR = "fhir-sink";
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static FhirTestServer fhir;
    private static InProcessSchemaRegistry registryServer;
    private static SchemaRegistryClient registry;
    private static EmbeddedConnectCluster connect;
    private static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void start() {
        fhir = new FhirTestServer().enforceReferentialIntegrity(true).start();
        for (int p = 1; p <= 5; p++) {
            fhir.resources(Patient.class).put((Patient) new Patient().setId("p" + p));
            fhir.resources(Observation.class).put((Observation) new Observation().setId("obs-p" + p));
        }
        registryServer = InProcessSchemaRegistry.start(0, null);
        registry = SchemaRegistryClients.create(Map.of("schema.registry.url", registryServer.url()));

        Path pluginPath = Path.of(System.getProperty("kindred.connect.plugin.path", "target/connect-plugin"));
        assertThat(pluginPath.resolve("kindred-connect-fhir-sink/lib")).isDirectory();
        Map<String, String> worker = new HashMap<>();
        worker.put("plugin.path", pluginPath.toAbsolutePath().toString());
        worker.put("offset.flush.interval.ms", "1000");
        connect = new EmbeddedConnectCluster.Builder().name("fhir-sink-it").numWorkers(1).numBrokers(1)
            .workerProps(worker).build();
        connect.start();
        connect.kafka().createTopic(TOPIC, 1);
        producer = connect.kafka().createProducer(Map.of());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        if (connect != null) {
            connect.stop();
        }
        if (registry != null) {
            registry.close();
        }
        if (registryServer != null) {
            registryServer.close();
        }
        if (fhir != null) {
            fhir.close();
        }
    }

    @Test
    void writesOneDetectedIssuePerAlertThroughFaultsRestartsAndRedelivery() throws Exception {
        assertThat(Jetty.VERSION).as("the test server runs on connect-runtime's Jetty").startsWith("12.0.");
        assertThat(classVisible("dev.kindred.connect.fhir.FhirSinkTask")).as("the connector comes from plugin.path only")
            .isFalse();

        // The first writes meet two 503s, then a 429 with Retry-After: all retried until they succeed.
        fhir.faults().failNext(2, 503, "PUT").failNext(1, 429, Duration.ofSeconds(1), r -> r.method().equals("PUT"));
        connect.configureConnector(CONNECTOR, connectorConfig());
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(CONNECTOR, 1, "the FHIR sink did not start");

        List<String> firstIds = alertIds(1, 10);
        firstIds.forEach(id -> send(alert(id)));
        send(alert(firstIds.get(0)));                       // the same alert twice
        send(Alerts.alert("alert-ghost", "ghost"));          // 400: the server knows no Patient/ghost
        produce(new byte[] {0, 0, 0, 0x7f, 0x7f, 1, 2, 3});  // unknown schema id: undecodable
        List<String> laterIds = alertIds(11, 12);
        laterIds.forEach(id -> send(alert(id)));

        List<String> expected = new ArrayList<>(firstIds);
        expected.addAll(laterIds);
        awaitDetectedIssues(expected);
        assertThat(fhir.faults().pendingFailures()).isZero();
        assertThat(statusesOf("/DetectedIssue/" + firstIds.get(0))).startsWith(503, 503, 429).contains(201);

        List<ConsumerRecord<byte[], byte[]>> deadLetters = deadLetters(2);
        assertThat(header(deadLetters.get(0), "__connect.errors.exception.class.name"))
            .isEqualTo("dev.kindred.connect.fhir.FhirWriteRejectedException");
        assertThat(header(deadLetters.get(0), "__connect.errors.exception.message"))
            .contains("alert-ghost").contains("HTTP 400");
        assertThat(header(deadLetters.get(1), "__connect.errors.exception.class.name"))
            .isEqualTo("dev.kindred.connect.fhir.UndecodableAlertException");
        assertThat(deadLetters.get(1).value()).containsExactly(0, 0, 0, 0x7f, 0x7f, 1, 2, 3);

        // Restart the task while alerts keep coming.
        connect.restartConnectorAndTasks(CONNECTOR, false, true, false);
        List<String> duringRestart = alertIds(13, 15);
        duringRestart.forEach(id -> send(alert(id)));
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(CONNECTOR, 1, "no restart");
        expected.addAll(duringRestart);
        awaitDetectedIssues(expected);

        // Re-deliver everything: stop, rewind the sink's offset to the start, resume.
        int putsBefore = puts().size();
        connect.stopConnector(CONNECTOR);
        connect.assertions().assertConnectorIsStopped(CONNECTOR, "the connector did not stop");
        connect.alterSinkConnectorOffset(CONNECTOR, new TopicPartition(TOPIC, 0), 0L);
        connect.resumeConnector(CONNECTOR);
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(CONNECTOR, 1, "no resume");
        await().atMost(WAIT).untilAsserted(() ->
            assertThat(puts().size() - putsBefore).as("PUTs of the re-delivered alerts").isGreaterThanOrEqualTo(expected.size()));
        deadLetters(4);

        awaitDetectedIssues(expected);
        for (String id : expected) {
            assertThat(fhir.resources(DetectedIssue.class).versions(id)).as("versions of " + id).hasSize(1);
            assertThat(fhir.resources(DetectedIssue.class).byIdentifier("urn:kindred:alert-id", id))
                .hasSize(1);
        }
        assertThat(statusesOf("/DetectedIssue/" + firstIds.get(5))).as("a re-delivered alert was written again")
            .filteredOn(status -> status == 200 || status == 201).hasSizeGreaterThanOrEqualTo(2);
    }

    private static Map<String, String> connectorConfig() {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", "dev.kindred.connect.fhir.FhirSinkConnector");
        config.put("tasks.max", "1");
        config.put("topics", TOPIC);
        config.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put("fhir.base.url", fhir.baseUrl());
        config.put("fhir.resource.type", "DetectedIssue");
        config.put("fhir.retry.backoff.ms", "200");
        config.put("schema.registry.url", registryServer.url());
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", DLQ);
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");
        return config;
    }

    private static void awaitDetectedIssues(List<String> ids) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
            assertThat(fhir.resources(DetectedIssue.class).all()).extracting(r -> r.getIdElement().getIdPart())
                .containsExactlyInAnyOrderElementsOf(ids));
    }

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters(int count) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            records.clear();
            StreamSupport.stream(connect.kafka().consumeAll(10_000, DLQ).spliterator(), false).forEach(records::add);
            assertThat(records).hasSize(count);
        });
        return records;
    }

    private static List<RecordedRequest> puts() {
        return fhir.requests().stream().filter(r -> r.method().equals("PUT")).toList();
    }

    private static List<Integer> statusesOf(String path) {
        return fhir.requests().stream().filter(r -> r.path().equals(path)).map(RecordedRequest::status).toList();
    }

    private static List<String> alertIds(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "8f2c6a10-0000-3000-8000-" + String.format("%012d", i))
            .toList();
    }

    /** Alert number n of the id list, for one of the five seeded patients. */
    private static ClinicalAlert alert(String id) {
        int n = Integer.parseInt(id.substring(id.length() - 3));
        return Alerts.alert(id, "p" + (n % 5 + 1));
    }

    private static void send(ClinicalAlert alert) {
        produce(Alerts.wireFormat(registry, alert));
    }

    private static void produce(byte[] value) {
        try {
            producer.send(new ProducerRecord<>(TOPIC, null, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException("could not produce to " + TOPIC, e);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static boolean classVisible(String name) {
        try {
            Class.forName(name, false, FhirSinkIT.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
