package dev.kindred.app;

import dev.kindred.topology.KindredService;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the streams app against an existing Kafka cluster and schema registry. Everything comes from one
 * properties file: Kafka client and Streams settings pass through untouched; Kindred's own keys start
 * with {@code kindred.}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run Kindred against an existing Kafka cluster and schema registry.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Properties file: bootstrap.servers, schema.registry.url, application.id, security"
                    + " settings, kindred.* settings (see README).")
    Path configFile;

    @Override
    public Integer call() throws Exception {
        Properties settings = load(configFile);
        for (String required : new String[] {"bootstrap.servers", "schema.registry.url"}) {
            if (settings.getProperty(required, "").isBlank()) {
                System.err.println("kindred run: " + configFile + " must set " + required);
                return 2;
            }
        }
        KindredService service = KindredService.start(settings, Duration.ofMinutes(5));
        Runtime.getRuntime().addShutdownHook(new Thread(service::close, "kindred-shutdown"));
        System.err.printf("kindred running: application.id=%s, bootstrap.servers=%s%n", service.applicationId(),
                settings.getProperty("bootstrap.servers"));
        service.awaitStopped();
        return service.streams().state() == org.apache.kafka.streams.KafkaStreams.State.ERROR ? 1 : 0;
    }

    static Properties load(Path file) throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        }
        return props;
    }
}
