package dev.kindred.app;

import dev.kindred.connectors.replay.EventTimeReplayer;
import dev.kindred.fhir.FhirTopics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The replayer alone: FHIR files to the input topics in event-time order, with a progress bar and a summary
 * line. A record too large for Kafka is reported by file and entry and skipped (a Bundle never is: the reader
 * splits it into its entries), so one bad file never stops the rest.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Replay FHIR files (Bundle JSON, NDJSON, directories, gzip) to Kindred's input topics in"
                + " event-time order.")
final class SendCommand implements Callable<Integer> {

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "File or directory; repeatable.")
    List<Path> inputs;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers.")
    String bootstrapServers;

    @Option(names = "--max-record-bytes", paramLabel = "BYTES", defaultValue = "" + EventTimeReplayer.DEFAULT_MAX_RECORD_BYTES,
            description = "Skip and report records larger than this (default ${DEFAULT-VALUE}, i.e. under Kafka's"
                    + " default 1 MiB max.request.size).")
    int maxRecordBytes;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file of extra Kafka producer settings (security.protocol, sasl.*, ssl.*,"
                    + " max.request.size).")
    Path configFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxRecordBytes < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-record-bytes must be at least 1");
        }
        for (Path input : inputs) {
            if (!Files.exists(input)) {
                err.println("kindred send: input " + input + " does not exist");
                return 2;
            }
        }
        Map<String, Object> overrides = new HashMap<>();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                err.println("kindred send: config file " + configFile + " does not exist");
                return 2;
            }
            Properties extra = RunCommand.load(configFile);
            extra.forEach((k, v) -> overrides.put(k.toString(), v));
        }
        int limit = maxRecordBytes;
        Object maxRequest = overrides.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (maxRequest != null && !spec.commandLine().getParseResult().hasMatchedOption("--max-record-bytes")) {
            // A raised max.request.size raises the skip limit with it, keeping the same margin for headers.
            limit = Integer.parseInt(maxRequest.toString().trim())
                    - (1024 * 1024 - EventTimeReplayer.DEFAULT_MAX_RECORD_BYTES);
        }

        EventTimeReplayer.Summary summary;
        try (Producer<byte[], byte[]> producer = EventTimeReplayer.newProducer(bootstrapServers, overrides)) {
            ProgressBar bar = new ProgressBar(System.err, "sending");
            summary = new EventTimeReplayer(producer, DemoCommand.REPLAYED_TYPES, FhirTopics.forType("Observation"), limit)
                    .replay(inputs, bar::update);
        } catch (EventTimeReplayer.ReplayException e) {
            err.println("kindred send: " + e.getMessage());
            return 1;
        }
        for (String oversize : summary.oversized()) {
            err.println("oversize, skipped: " + oversize);
        }
        out.println(summaryLine(summary));
        out.flush();
        return 0;
    }

    /** One line a script can grep: sent, patients, per topic, skipped, unparseable, oversize. */
    static String summaryLine(EventTimeReplayer.Summary summary) {
        return String.format(java.util.Locale.ROOT,
                "sent %d records of %d patients %s; skipped %d (no topic), unparseable %d, oversize %d",
                summary.sent(), summary.distinctPatients(), summary.sentPerTopic(), summary.skipped(),
                summary.unparseable(), summary.oversized().size());
    }
}
