package dev.kindred.app;

import dev.kindred.api.ApiConfig;
import dev.kindred.api.ApiServer;
import dev.kindred.topology.KindredService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the streams app against an existing Kafka cluster and schema registry, with the HTTP server (API, CDS
 * Hooks, dashboard, /health, /metrics) beside it. Everything comes from one properties file: Kafka client and
 * Streams settings pass through untouched; Kindred's own keys start with {@code kindred.}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run Kindred against an existing Kafka cluster and schema registry.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Properties file: bootstrap.servers, schema.registry.url, application.id, security"
                    + " settings, kindred.* settings (see README). Repeatable: a later file overrides an earlier"
                    + " one, e.g. shared settings, then one instance's application.server.")
    List<Path> configFiles;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "Port of the HTTP server (overrides kindred.http.port; 0: a free port).")
    Integer httpPort;

    @Override
    public Integer call() throws Exception {
        Properties settings = new Properties();
        for (Path file : configFiles) {
            settings.putAll(load(file));
        }
        for (String required : new String[] {"bootstrap.servers", "schema.registry.url"}) {
            if (settings.getProperty(required, "").isBlank()) {
                System.err.println("kindred run: " + configFiles + " must set " + required);
                return 2;
            }
        }
        if (httpPort != null) {
            settings.setProperty(ApiConfig.PORT_CONFIG, String.valueOf(httpPort));
        }
        ApiConfig api;
        try {
            api = new ApiConfig(settings);
            if (api.enabled() && api.tokens().isEmpty()) {
                System.err.println("kindred run: no bearer token configured (" + ApiConfig.TOKENS_CONFIG + " or "
                        + ApiConfig.TOKENS_FILE_CONFIG + ", role:token entries): the API, /metrics and the"
                        + " dashboard's data will refuse every call");
            }
            api.issuers();
        } catch (ConfigException e) {
            System.err.println("kindred run: " + e.getMessage());
            return 2;
        }
        if (api.enabled()) {
            applicationServer(settings, api);
        }
        KindredService service = KindredService.start(settings, Duration.ofMinutes(5));
        ApiServer server = null;
        if (api.enabled()) {
            try {
                server = ApiServer.start(service, settings, ApiServer.Options.SECURE);
            } catch (RuntimeException e) {
                service.close();
                throw e;
            }
        }
        ApiServer http = server;
        ImageEmbeddingWorker imaging;
        try {
            imaging = ImageEmbeddingWorker.startIfConfigured(service.config(), settings);
        } catch (dev.kindred.imaging.ImagingException | RuntimeException e) {
            System.err.println("kindred run: the image model cannot be used: " + e.getMessage());
            if (http != null) {
                http.close();
            }
            service.close();
            return 2;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (http != null) {
                http.close();
            }
            if (imaging != null) {
                imaging.close();
            }
            service.close();
        }, "kindred-shutdown"));
        System.err.printf("kindred running: application.id=%s, bootstrap.servers=%s%s%n", service.applicationId(),
                settings.getProperty("bootstrap.servers"), http == null ? "" : ", HTTP " + http.url());
        service.awaitStopped();
        return service.streams().state() == org.apache.kafka.streams.KafkaStreams.State.ERROR ? 1 : 0;
    }

    /**
     * Interactive queries need each instance's address: without {@code application.server}, it becomes the HTTP
     * server's host and port (a free port is picked now when the port is 0). A wildcard host cannot be reached by
     * other instances, so it must then be set by hand.
     */
    static void applicationServer(Properties settings, ApiConfig api) throws IOException {
        if (!settings.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, "").isBlank()) {
            return;
        }
        String host = api.host();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            System.err.println("kindred run: " + ApiConfig.HOST_CONFIG + " is a wildcard address; set "
                    + StreamsConfig.APPLICATION_SERVER_CONFIG + " to this instance's reachable host:port so other"
                    + " instances can forward patient requests to it");
            return;
        }
        int port = api.port();
        if (port == 0) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
                port = socket.getLocalPort();
            }
            settings.setProperty(ApiConfig.PORT_CONFIG, String.valueOf(port));
        }
        settings.setProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, host + ":" + port);
    }

    static Properties load(Path file) throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        }
        return props;
    }
}
