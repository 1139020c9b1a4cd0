package dev.kindred.app;

import dev.kindred.topology.KindredConfig;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryClientConfig;
import dev.kindred.registry.SchemaRegistryClients;
import dev.kindred.registry.SchemaRegistryException;
import dev.kindred.serde.RegistryAvroDeserializer;
import dev.kindred.clinical.cards.CdsCards;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kindred alerts}: reads the Avro alerts of {@code cds.alerts} (or another topic) and prints each as one
 * JSON line on stdout, the whole alert or, with {@code --card}, its CDS Hooks card. Each record is decoded with
 * the schema it was written with, fetched by id from the registry. It is a plain reader: the partitions are
 * assigned, not subscribed, so there is no consumer group and nothing is committed; with read_committed it
 * sees only the alerts of committed transactions, as the exactly-once app publishes them. A record that cannot
 * be decoded is reported on stderr by topic, partition and offset and skipped. Nothing on stderr quotes a
 * patient value.
 */
@Command(name = "alerts", mixinStandardHelpOptions = true,
        description = "Print the alerts of cds.alerts as JSON lines on stdout (new ones, or from the beginning),"
                + " decoded with their writer schema from the schema registry; errors and progress on stderr.")
final class AlertsCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(200);

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers (kindred demo prints them).")
    String bootstrapServers;

    @Option(names = "--registry-url", required = true, paramLabel = "URL",
            description = "Schema registry URL (kindred demo prints it).")
    String registryUrl;

    @Option(names = "--topic", defaultValue = KindredConfig.DEFAULT_ALERTS_TOPIC, paramLabel = "TOPIC",
            description = "Alerts topic (default ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--from-beginning", description = "Read the alerts already published and stop at the end the"
            + " topic had at start (default: only new ones, until Ctrl-C).")
    boolean fromBeginning;

    @Option(names = "--max", paramLabel = "N", description = "Stop after N alerts (default: no limit).")
    Long max;

    @Option(names = "--patient", paramLabel = "KEY", description = "Only the alerts of this patient key.")
    String patient;

    @Option(names = "--card", description = "Print each alert's CDS Hooks card instead of the whole alert.")
    boolean card;

    @Option(names = "--timeout-ms", paramLabel = "MS",
            description = "Also stop (exit 0) when no record arrives for this long (default: wait until Ctrl-C, or"
                    + " with --from-beginning until the end seen at start).")
    Long timeoutMs;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file of extra Kafka consumer settings (security.protocol, sasl.*, ssl.*) and"
                    + " registry client settings (basic.auth.*).")
    Path configFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (max != null && max < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max must be at least 1");
        }
        if (timeoutMs != null && timeoutMs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout-ms must be at least 1");
        }
        Long idleLimit = timeoutMs;

        Properties extra = new Properties();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                err.println("kindred alerts: config file " + configFile + " does not exist");
                return 2;
            }
            extra = RunCommand.load(configFile);
        }
        Map<String, Object> registrySettings = new HashMap<>();
        extra.forEach((k, v) -> registrySettings.put(k.toString(), v));
        registrySettings.put(SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl);

        SchemaRegistryClient registry;
        KafkaConsumer<byte[], byte[]> consumer;
        try {
            registry = SchemaRegistryClients.create(registrySettings);
        } catch (ConfigException e) {
            err.println("kindred alerts: invalid schema registry settings: " + e.getMessage());
            return 2;
        }
        try {
            consumer = new KafkaConsumer<>(consumerProperties(extra), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
        } catch (KafkaException e) {
            registry.close();
            err.println("kindred alerts: invalid Kafka consumer settings: " + e.getMessage()
                    + (e.getCause() != null ? ": " + e.getCause().getMessage() : ""));
            return 2;
        }
        CountDownLatch finished = new CountDownLatch(1);
        try (registry; consumer) {
            try {
                registry.subjects();
            } catch (SchemaRegistryException e) {
                // unreachable or failing: every record would fail; a refusal (401, 403) may still allow reading ids
                if (e.isRetriable()) {
                    err.println("kindred alerts: " + e.getMessage());
                    return 1;
                }
            }
            Thread stopper = new Thread(() -> {
                consumer.wakeup();
                try {
                    finished.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "kindred-alerts-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            try {
                return read(consumer, registry, idleLimit, out, err);
            } finally {
                out.flush();
                err.flush();
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it waits for the latch just counted down
                }
            }
        }
    }

    private Properties consumerProperties(Properties extra) {
        Properties props = new Properties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        extra.forEach((k, v) -> {
            // registry client keys (schema.registry.url, basic.auth.*) are not consumer settings
            if (!SchemaRegistryClientConfig.baseConfigDef().names().contains(k.toString())) {
                props.put(k, v);
            }
        });
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // a reader, not a member: partitions are assigned, no group, no offsets committed, no topic created
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "kindred-alerts");
        return props;
    }

    private int read(KafkaConsumer<byte[], byte[]> consumer, SchemaRegistryClient registry, Long idleLimit,
            PrintWriter out, PrintWriter err) {
        List<TopicPartition> partitions;
        Map<TopicPartition, Long> endAtStart = Map.of();
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                err.println("kindred alerts: topic " + topic + " does not exist at " + bootstrapServers);
                return 1;
            }
            partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
                // The end to stop at: an idle limit alone would end early (exit 0, alerts missing) on a stall.
                endAtStart = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            } else {
                consumer.seekToEnd(partitions);
            }
            // resolve the start now, so an alert published before the first poll is not skipped
            partitions.forEach(consumer::position);
        } catch (WakeupException e) {
            return 0;
        } catch (KafkaException e) {
            err.println("kindred alerts: cannot read topic " + topic + " at " + bootstrapServers + ": " + e.getMessage());
            return 1;
        }
        err.printf(Locale.ROOT, "kindred alerts: reading %s (%d partitions) %s%s%s%n", topic, partitions.size(),
                fromBeginning ? "from the beginning" : "from now on (new alerts only)",
                fromBeginning ? " to the end seen now" : "",
                idleLimit != null ? "; stopping after " + idleLimit + " ms without a record"
                        : fromBeginning ? "" : "; Ctrl-C to stop");
        err.flush();

        // --card needs the generated class (CdsCards maps it); otherwise read in the writer's own schema, so
        // fields added by a newer Kindred are printed too
        RegistryAvroDeserializer<ClinicalAlert> cards = new RegistryAvroDeserializer<>(registry, ClinicalAlert.class);
        RegistryAvroDeserializer<GenericRecord> alerts = new RegistryAvroDeserializer<>(registry, null);
        long printed = 0;
        long failed = 0;
        long lastRecord = System.nanoTime();
        String stopReason = "stopped";
        try {
            reading:
            while (true) {
                if (fromBeginning && reached(consumer, endAtStart)) {
                    stopReason = "reached the end seen at start";
                    break;
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (records.isEmpty()) {
                    if (idleLimit != null && System.nanoTime() - lastRecord >= TimeUnit.MILLISECONDS.toNanos(idleLimit)) {
                        stopReason = "no record for " + idleLimit + " ms";
                        break;
                    }
                    continue;
                }
                lastRecord = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (record.value() == null) {
                        continue;
                    }
                    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
                    if (patient != null && key != null && !patient.equals(key)) {
                        continue;
                    }
                    String line;
                    try {
                        line = card ? cardLine(cards.deserialize(record.topic(), record.value()), key)
                                : alertLine(alerts.deserialize(record.topic(), record.value()), key);
                    } catch (SerializationException | org.apache.kafka.common.errors.TimeoutException e) {
                        // the deserializer's messages never quote record contents
                        failed++;
                        err.printf(Locale.ROOT, "kindred alerts: cannot decode the record at %s partition %d offset %d,"
                                + " skipped: %s%n", record.topic(), record.partition(), record.offset(), e.getMessage());
                        continue;
                    } catch (RuntimeException | JsonProcessingException e) {
                        // other messages may quote values: the type only
                        failed++;
                        err.printf(Locale.ROOT, "kindred alerts: cannot print the record at %s partition %d offset %d,"
                                + " skipped: %s%n", record.topic(), record.partition(), record.offset(),
                                e.getClass().getName());
                        continue;
                    }
                    if (line == null) {
                        continue;  // another patient's alert, found so only after decoding (no record key)
                    }
                    out.println(line);
                    if (out.checkError()) {
                        stopReason = "stdout closed";
                        break reading;
                    }
                    printed++;
                    if (max != null && printed >= max) {
                        stopReason = "--max " + max + " reached";
                        break reading;
                    }
                }
            }
        } catch (WakeupException e) {
            stopReason = "interrupted";
        } catch (KafkaException e) {
            err.println("kindred alerts: reading " + topic + " failed: " + e.getMessage());
            return 1;
        }
        out.flush();
        err.printf(Locale.ROOT, "kindred alerts: %,d alert%s printed%s (%s)%n", printed, printed == 1 ? "" : "s",
                failed == 0 ? "" : String.format(Locale.ROOT, ", %,d records skipped", failed), stopReason);
        return 0;
    }

    /** True when the consumer's position is at or past {@code end} on every partition. */
    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    /** The whole alert as one JSON line, or null when it is another patient's. */
    private String alertLine(GenericRecord alert, String key) throws JsonProcessingException {
        if (patient != null && key == null && !patient.equals(String.valueOf(alert.get("patientKey")))) {
            return null;
        }
        return json.writeValueAsString(AvroJson.toJson(alert));
    }

    /** The alert's CDS Hooks card as one JSON line, or null when it is another patient's. */
    private String cardLine(ClinicalAlert alert, String key) throws JsonProcessingException {
        if (patient != null && key == null && !patient.equals(alert.getPatientKey())) {
            return null;
        }
        return json.writeValueAsString(CdsCards.card(alert));
    }
}
