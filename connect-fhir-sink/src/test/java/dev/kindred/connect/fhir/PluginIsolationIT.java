package dev.kindred.connect.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryClients;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.testing.fhir.FhirTestServer;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.DetectedIssue;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The plugin directory is complete: the task decodes, maps, encodes and writes an alert with nothing but
 * the plugin's jars and what a worker provides (connect-api, kafka-clients, slf4j-api) on its class path.
 * A Connect worker would quietly fall back to its own class path for a class missing from the plugin, so
 * FhirSinkIT alone cannot show this.
 */
@Timeout(120)
class PluginIsolationIT {

    private static final List<String> WORKER_PROVIDED = List.of("connect-api-", "kafka-clients-", "slf4j-api-");

    @Test
    void theTaskRunsFromThePluginJarsAlone() throws Exception {
        Path lib = Path.of(System.getProperty("kindred.connect.plugin.path", "target/connect-plugin"))
            .resolve("kindred-connect-fhir-sink/lib");
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path jar : jars.toList()) {
                assertThat(WORKER_PROVIDED).as("the plugin must not ship what the worker provides")
                    .noneMatch(prefix -> jar.getFileName().toString().startsWith(prefix));
                urls.add(jar.toUri().toURL());
            }
        }
        urls.addAll(workerProvidedJars());

        try (FhirTestServer fhir = new FhirTestServer().enforceReferentialIntegrity(true).start();
             InProcessSchemaRegistry registryServer = InProcessSchemaRegistry.start(0, null);
             SchemaRegistryClient registry = SchemaRegistryClients.create(Map.of("schema.registry.url",
                 registryServer.url()));
             URLClassLoader plugin = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            fhir.resources(Patient.class).put((Patient) new Patient().setId("p1"));
            fhir.resources(Observation.class).put((Observation) new Observation().setId("obs-p1"));
            byte[] value = Alerts.wireFormat(registry, Alerts.alert("isolated-1", "p1"));

            Class<?> taskType = plugin.loadClass("dev.kindred.connect.fhir.FhirSinkTask");
            Class<?> contextType = plugin.loadClass("org.apache.kafka.connect.sink.SinkTaskContext");
            Class<?> schemaType = plugin.loadClass("org.apache.kafka.connect.data.Schema");
            Class<?> recordType = plugin.loadClass("org.apache.kafka.connect.sink.SinkRecord");
            Object context = Proxy.newProxyInstance(plugin, new Class<?>[] {contextType}, (proxy, method, args) -> null);
            Object task = taskType.getConstructor().newInstance();
            Object record = recordType.getConstructor(String.class, int.class, schemaType, Object.class, schemaType,
                Object.class, long.class).newInstance("cds.alerts", 0, null, null, null, value, 0L);

            taskType.getMethod("initialize", contextType).invoke(task, context);
            taskType.getMethod("start", Map.class).invoke(task, Map.of("fhir.base.url", fhir.baseUrl(),
                "schema.registry.url", registryServer.url()));
            taskType.getMethod("put", java.util.Collection.class).invoke(task, List.of(record));
            // and a refusal, whose OperationOutcome the task reads (no dead-letter queue here: the task stops)
            Object refused = recordType.getConstructor(String.class, int.class, schemaType, Object.class, schemaType,
                Object.class, long.class).newInstance("cds.alerts", 0, null, null, null,
                Alerts.wireFormat(registry, Alerts.alert("isolated-2", "nobody")), 1L);
            assertThatThrownBy(() -> taskType.getMethod("put", java.util.Collection.class).invoke(task, List.of(refused)))
                .isInstanceOf(InvocationTargetException.class).cause()
                .hasMessageContaining("HTTP 400 (OperationOutcome issues: error/processing)");
            taskType.getMethod("stop").invoke(task);

            assertThat(taskType.getClassLoader()).isSameAs(plugin);
            assertThat(fhir.resources(DetectedIssue.class).current("isolated-1")).hasValueSatisfying(issue ->
                assertThat(issue.getPatient().getReference()).isEqualTo("Patient/p1"));
        }
    }

    private static List<URL> workerProvidedJars() throws IOException {
        List<URL> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.endsWith(".jar") && !name.contains("-test") && WORKER_PROVIDED.stream().anyMatch(name::startsWith)) {
                jars.add(Path.of(entry).toUri().toURL());
            }
        }
        assertThat(jars).as("connect-api, kafka-clients and slf4j-api on the test class path: " + jars).hasSize(3);
        return jars;
    }
}
