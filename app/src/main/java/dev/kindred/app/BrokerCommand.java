package dev.kindred.app;

import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The dev broker and schema registry alone, in their own process, so that the app ({@code kindred run}) and
 * the replayer ({@code kindred send}) can be started, killed and restarted around them.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Start the in-process Kafka broker (KRaft) and schema registry alone, print their addresses"
                + " and run until stopped (Ctrl-C or SIGTERM).")
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Broker and registry data; reused on restart, so topics and offsets survive.")
    Path dataDir;

    @Option(names = "--kafka-port", defaultValue = "0", description = "Kafka port on 127.0.0.1 (default: a free port).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "0", description = "Schema registry port on 127.0.0.1 (default: a free port).")
    int registryPort;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Files.createDirectories(dataDir);
        InProcessSchemaRegistry registry = InProcessSchemaRegistry.start(registryPort, dataDir.resolve("registry"));
        EmbeddedKafkaBroker broker;
        try {
            broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), kafkaPort);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        CountDownLatch stopping = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // Stop cleanly on SIGTERM/Ctrl-C: the hook lets main close the broker and waits for it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.countDown();
            try {
                closed.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kindred-broker-stop"));
        try {
            // Machine-readable lines first: tests and scripts read them.
            out.println("Kafka bootstrap servers: " + broker.bootstrapServers());
            out.println("Schema registry:         " + registry.url());
            out.flush();
            System.err.println("broker running (Ctrl-C to stop)");
            stopping.await();
            return 0;
        } finally {
            try {
                broker.close();
                registry.close();
            } finally {
                closed.countDown();
            }
        }
    }
}
