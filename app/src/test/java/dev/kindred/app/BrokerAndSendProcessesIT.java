package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.connectors.synthea.SyntheaFeed;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kindred broker} and {@code kindred send} as separate OS processes, as an operator (or the reliability
 * harness) runs them: the broker prints its addresses, send replays Synthea patients plus a Bundle larger than
 * Kafka's 1 MiB limit (split into its entries, all sent) and one oversize Observation (reported by file and
 * skipped), and the broker stops cleanly on SIGTERM.
 */
class BrokerAndSendProcessesIT {

    private static final int BUNDLE_ENTRIES = 3_000;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sendReplaysIntoASeparateBrokerAndReportsOversizeRecordsWithoutFailing() throws Exception {
        Path input = Files.createDirectories(tmp.resolve("input"));
        Path synthea = SyntheaFeed.generate(3, 42, Path.of("target", "synthea-cache"));
        Path bigBundle = writeBigBundle(input.resolve("big-bundle.json"));
        Path hugeObservation = writeHugeObservation(input.resolve("huge-observation.json"));
        assertThat(Files.size(bigBundle)).isGreaterThan(EventTimeReplayer.DEFAULT_MAX_RECORD_BYTES);

        Process broker = kindred(List.of("broker", "--data-dir", tmp.resolve("data").toString()), null,
                tmp.resolve("broker.err"));
        try {
            BufferedReader brokerOut = new BufferedReader(new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8));
            String bootstrap = awaitLine(brokerOut, "Kafka bootstrap servers: ");
            String registry = awaitLine(brokerOut, "Schema registry:         ");
            assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");
            assertThat(registry).startsWith("http://");

            Path sendOut = tmp.resolve("send.out");
            Path sendErr = tmp.resolve("send.err");
            Process send = kindred(List.of("send", "--input", input.toString(), "--input", synthea.toString(),
                    "--bootstrap-servers", bootstrap), sendOut, sendErr);
            assertThat(send.waitFor(3, TimeUnit.MINUTES)).as("send finished").isTrue();
            String out = Files.readString(sendOut);
            String err = Files.readString(sendErr);
            assertThat(send.exitValue()).as("send exit code; stderr:%n%s", err).isZero();
            assertThat(out).contains("oversize 1").containsPattern("sent \\d+ records of \\d+ patients");
            assertThat(err).contains("oversize, skipped: " + hugeObservation + " (")
                    .contains("Observation/huge-1");
            // The report names the record, never its content.
            assertThat(err).doesNotContain("PADDING");

            List<ConsumerRecord<byte[], byte[]>> observations = readAll(bootstrap, "fhir.observation");
            long fromBundle = observations.stream().filter(r -> origin(r).startsWith(bigBundle + "#entry")).count();
            assertThat(fromBundle).as("every entry of the over-limit Bundle").isEqualTo(BUNDLE_ENTRIES);
            assertThat(observations).noneMatch(r -> origin(r).startsWith(hugeObservation.toString()));
            assertThat(observations.size()).isGreaterThan(BUNDLE_ENTRIES); // Synthea's too
        } finally {
            broker.destroy(); // SIGTERM: the broker's shutdown hook closes it
            boolean exited = broker.waitFor(90, TimeUnit.SECONDS);
            if (!exited) {
                broker.destroyForcibly();
            }
            assertThat(exited).as("broker stopped on SIGTERM").isTrue();
        }
    }

    /** A transaction-style Bundle of small Observations, together over 1 MiB. */
    private static Path writeBigBundle(Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[");
            for (int i = 0; i < BUNDLE_ENTRIES; i++) {
                w.write((i == 0 ? "" : ",") + "{\"fullUrl\":\"urn:uuid:obs-" + i + "\",\"resource\":"
                        + "{\"resourceType\":\"Observation\",\"id\":\"big-" + i + "\",\"status\":\"final\","
                        + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8867-4\","
                        + "\"display\":\"Heart rate\"}]},\"subject\":{\"reference\":\"Patient/bundle-p" + (i % 20)
                        + "\"},\"effectiveDateTime\":\"2020-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":"
                        + (60 + i % 40) + ",\"unit\":\"/min\",\"system\":\"http://unitsofmeasure.org\","
                        + "\"code\":\"/min\"},\"note\":[{\"text\":\"" + "n".repeat(300) + "\"}]}}");
            }
            w.write("]}");
        }
        return file;
    }

    /** One Observation of about 1.5 MB (a huge note), which Kafka would refuse. */
    private static Path writeHugeObservation(Path file) throws IOException {
        Files.writeString(file, "{\"resourceType\":\"Observation\",\"id\":\"huge-1\",\"status\":\"final\","
                + "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8867-4\"}]},"
                + "\"subject\":{\"reference\":\"Patient/huge-p\"},\"effectiveDateTime\":\"2020-01-02T00:00:00Z\","
                + "\"valueQuantity\":{\"value\":72,\"unit\":\"/min\"},\"note\":[{\"text\":\""
                + "PADDING".repeat(220_000) + "\"}]}", StandardCharsets.UTF_8);
        return file;
    }

    /** Starts {@code kindred ARGS} in its own JVM on this test's classpath; stdout to a file, or piped when null. */
    static Process kindred(List<String> args, Path stdout, Path stderr) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g"); // Synthea writes a patient's whole life as one Bundle of several MB
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Kindred.class.getName());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile());
        if (stdout != null) {
            pb.redirectOutput(stdout.toFile());
        }
        return pb.start();
    }

    /** Reads the process's stdout up to the line starting with {@code prefix}; returns the rest of that line. */
    static String awaitLine(BufferedReader lines, String prefix) throws IOException {
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
        throw new IllegalStateException("process ended before printing " + prefix);
    }

    private static String origin(ConsumerRecord<byte[], byte[]> record) {
        var header = record.headers().lastHeader(EventTimeReplayer.ORIGIN_HEADER);
        return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Every committed record of the topic, read from the beginning to the end offsets seen at start. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
