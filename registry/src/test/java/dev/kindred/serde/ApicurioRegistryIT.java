package dev.kindred.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.PatientVector;
import dev.kindred.registry.RestSchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves the serde and the REST client interoperate with an independent implementation of the Confluent
 * API: Apicurio Registry, unpacked from Maven Central by the build and run here as a child process on a
 * free loopback port (Confluent API under /apis/ccompat/v7, global compatibility BACKWARD).
 */
class ApicurioRegistryIT {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static Process process;
    private static Path log;
    private static String url;

    @BeforeAll
    static void startApicurio() throws Exception {
        String runner = System.getProperty("apicurio.runner");
        assertThat(runner).as("system property apicurio.runner (set by the build; run with mvn verify)").isNotNull();
        Path jar = Path.of(runner);
        assertThat(jar).as("Apicurio runner unpacked by maven-dependency-plugin").exists();
        log = Path.of(System.getProperty("apicurio.log", "target/apicurio-registry.log"));
        int port = freePort();
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dquarkus.http.host=127.0.0.1",
            "-Dquarkus.http.port=" + port,
            // Apicurio 2.x reads registry.*, 3.x apicurio.*: pass both so only the version pin changes
            "-Dregistry.rules.global.compatibility=BACKWARD",
            "-Dregistry.ccompat.use-canonical-hash=true",
            "-Dapicurio.rules.global.compatibility=BACKWARD",
            "-Dapicurio.ccompat.use-canonical-hash=true",
            "-jar", jar.toString())
            .directory(jar.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        Runtime.getRuntime().addShutdownHook(new Thread(ApicurioRegistryIT::stopApicurio));
        url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
        awaitReady();
    }

    @AfterAll
    static void stopApicurio() {
        Process child = process;
        if (child == null) {
            return;
        }
        child.descendants().forEach(ProcessHandle::destroy);
        child.destroy();
        try {
            if (!child.waitFor(20, TimeUnit.SECONDS)) {
                child.descendants().forEach(ProcessHandle::destroyForcibly);
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitReady() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("Apicurio exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + "/subjects"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Apicurio not ready within " + START_TIMEOUT + ":\n" + logTail());
    }

    private static String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static Map<String, Object> config(boolean autoRegister) {
        return Map.of(RegistryAvroSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, url,
            RegistryAvroSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, autoRegister);
    }

    @Test
    void specificRecordsRoundTripAndIdsResolveInApicurio() {
        ClinicalAlert alert = Fixtures.alert();
        PatientVector vector = Fixtures.vector();
        byte[] alertBytes;
        byte[] vectorBytes;
        try (Serde<ClinicalAlert> alerts = RegistryAvroSerde.specific(ClinicalAlert.class, config(true), false);
             Serde<PatientVector> vectors = RegistryAvroSerde.specific(PatientVector.class, config(true), false)) {
            alertBytes = alerts.serializer().serialize("it.alerts", alert);
            vectorBytes = vectors.serializer().serialize("it.vectors", vector);
        }
        int alertId = ByteBuffer.wrap(alertBytes, 1, 4).getInt();
        assertThat(alertBytes[0]).isZero();

        try (RestSchemaRegistryClient client = new RestSchemaRegistryClient(url)) {
            assertThat(client.latest("it.alerts-value").id()).isEqualTo(alertId);
            assertThat(client.getById(alertId)).isEqualTo(ClinicalAlert.getClassSchema());
            assertThat(client.subjects()).contains("it.alerts-value", "it.vectors-value");
        }
        // fresh serdes: cold caches, so the writer schema comes from Apicurio by id
        try (Serde<ClinicalAlert> alerts = RegistryAvroSerde.specific(ClinicalAlert.class, config(false), false);
             Serde<PatientVector> vectors = RegistryAvroSerde.specific(PatientVector.class, config(false), false)) {
            assertThat(alerts.deserializer().deserialize("it.alerts", alertBytes)).isEqualTo(alert);
            assertThat(vectors.deserializer().deserialize("it.vectors", vectorBytes)).isEqualTo(vector);
            assertThat(alerts.serializer().serialize("it.alerts", alert)).isEqualTo(alertBytes);
        }
    }

    @Test
    void sameSchemaUnderTwoSubjectsKeepsItsIdAndLookupsWork() {
        try (RestSchemaRegistryClient client = new RestSchemaRegistryClient(url)) {
            int id = client.register("it.same-a-value", PatientVector.getClassSchema());
            assertThat(client.register("it.same-a-value", PatientVector.getClassSchema())).isEqualTo(id);
            assertThat(client.register("it.same-b-value", PatientVector.getClassSchema())).isEqualTo(id);
        }
        try (RestSchemaRegistryClient cold = new RestSchemaRegistryClient(url)) {
            int id = cold.getId("it.same-b-value", PatientVector.getClassSchema());
            assertThat(cold.getId("it.same-a-value", PatientVector.getClassSchema())).isEqualTo(id);
            assertThatThrownBy(() -> cold.getId("it.same-a-value", ClinicalAlert.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
            assertThatThrownBy(() -> cold.latest("it.no-such-subject"))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        }
    }

    @Test
    void olderWriterSchemaResolvesAndIncompatibleChangesAreRefused() throws Exception {
        Schema older = Fixtures.withoutField(PatientVector.getClassSchema(), "outcomes");
        GenericRecord old = new GenericData.Record(older);
        old.put("patientKey", "patient-old");
        old.put("version", 3L);
        old.put("vectors", Map.of("clinical", List.of(1f, 2f)));
        old.put("catalogVersion", "catalog-2023.4");
        old.put("effectiveTime", 1_700_000_000_000L);

        byte[] oldBytes;
        try (Serde<GenericRecord> generic = RegistryAvroSerde.generic(config(true), false);
             Serde<PatientVector> specific = RegistryAvroSerde.specific(PatientVector.class, config(true), false)) {
            oldBytes = generic.serializer().serialize("it.evolving", old);
            specific.serializer().serialize("it.evolving", Fixtures.vector());  // BACKWARD: outcomes has a default
            PatientVector read = specific.deserializer().deserialize("it.evolving", oldBytes);
            assertThat(read.getPatientKey()).isEqualTo("patient-old");
            assertThat(read.getOutcomes()).isEmpty();
        }
        try (RestSchemaRegistryClient client = new RestSchemaRegistryClient(url)) {
            assertThat(client.latest("it.evolving-value").version()).isEqualTo(2);
            Schema required = new Schema.Parser().parse(PatientVector.getClassSchema().toString()
                .replace("{\"name\":\"catalogVersion\"", "{\"name\":\"ward\",\"type\":\"string\"},{\"name\":\"catalogVersion\""));
            assertThat(client.isCompatible("it.evolving-value", required)).isFalse();
            assertThat(client.isCompatible("it.no-such-subject-value", required)).isTrue();
            assertThatThrownBy(() -> client.register("it.evolving-value", required))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                    assertThat(e.getMessage()).startsWith("schema for subject it.evolving-value is incompatible (409)");
                });
        }
    }

    @Test
    void unknownIdsAreSerializationErrors() {
        byte[] bytes = {0, 0x7f, 0, 0, 1, 2};
        try (Serde<ClinicalAlert> alerts = RegistryAvroSerde.specific(ClinicalAlert.class, config(false), false)) {
            assertThatThrownBy(() -> alerts.deserializer().deserialize("it.alerts", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema id " + 0x7f000001);
        }
    }
}
