package dev.kindred.connect.fhir;

import ca.uhn.fhir.context.FhirContext;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.serde.RegistryAvroDeserializer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each alert record to the FHIR server, in order, one idempotent PUT each.
 *
 * <p>Values are the raw bytes (ByteArrayConverter) of ClinicalAlerts in the Confluent wire format, decoded
 * here with Kindred's registry deserializer into the generated class (schema evolution by Avro resolution).
 * A retriable failure (429, 408, 5xx, no answer, registry unreachable) throws {@link RetriableException}
 * after asking Connect to wait (Retry-After, else a doubling back-off); Connect then hands the same batch
 * again, and records of it already written are skipped. A record the server refuses (other 4xx), that does
 * not decode or cannot be mapped goes to the errant record reporter (the dead-letter queue); without one the
 * task fails, naming the record and the settings that would dead-letter it instead. Logs carry ids only.
 */
public class FhirSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(FhirSinkTask.class);

    private FhirSinkConfig config;
    private AlertMapper mapper;
    private FhirWriter writer;
    private RegistryAvroDeserializer<ClinicalAlert> deserializer;
    private ErrantRecordReporter reporter;
    /** Per partition, the last offset already written or dead-lettered, so a retried batch skips it. */
    private final Map<TopicPartition, Long> doneUpTo = new HashMap<>();
    private int failuresInARow;

    @Override
    public String version() {
        return Versions.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        config = new FhirSinkConfig(props);
        FhirContext fhir = FhirContext.forR4Cached();
        mapper = new AlertMapper(config.resourceType(), config.identifierSystem());
        writer = new FhirWriter(fhir, config);
        deserializer = new RegistryAvroDeserializer<>(ClinicalAlert.class);
        deserializer.configure(config.registryConfigs(), false);
        reporter = errantRecordReporter();
        log.info("Writing alerts to {} as {} ({}, identifier system {}); bad records {}", config.fhirBaseUrl(),
            config.resourceType().fhirType(), config.idStrategy().setting(), config.identifierSystem(),
            reporter == null ? "fail the task (no dead-letter queue configured)" : "go to the errant record reporter");
    }

    private ErrantRecordReporter errantRecordReporter() {
        try {
            return context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError olderWorker) {
            return null;  // Connect before 2.6 has no reporter
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        for (SinkRecord record : records) {
            TopicPartition partition = new TopicPartition(record.topic(), record.kafkaPartition());
            Long done = doneUpTo.get(partition);
            if (done != null && record.kafkaOffset() <= done) {
                continue;
            }
            write(record);
            doneUpTo.put(partition, record.kafkaOffset());
        }
        failuresInARow = 0;
    }

    private void write(SinkRecord record) {
        if (record.value() == null) {
            log.debug("Skipping the tombstone at {}: nothing to write", where(record));
            return;
        }
        if (!(record.value() instanceof byte[] bytes)) {
            throw new ConnectException("The FHIR sink reads the raw Confluent wire-format bytes, but the value at "
                + where(record) + " is a " + record.value().getClass().getName() + ": set value.converter="
                + "org.apache.kafka.connect.converters.ByteArrayConverter");
        }
        ClinicalAlert alert;
        try {
            alert = deserializer.deserialize(record.topic(), bytes);
        } catch (org.apache.kafka.common.errors.TimeoutException registryDown) {
            throw retry(null, "the schema registry cannot be reached (" + registryDown.getMessage() + ")", record);
        } catch (SerializationException e) {
            reject(record, new UndecodableAlertException("The value at " + where(record)
                + " is not a ClinicalAlert in the Confluent wire format: " + e.getMessage(), e));
            return;
        }
        Resource resource;
        try {
            resource = mapper.map(alert);
        } catch (UnmappableAlertException e) {
            reject(record, new UnmappableAlertException("Alert " + alert.getAlertId() + " at " + where(record)
                + " cannot be written as " + mapper.type().fhirType() + ": " + e.getMessage()));
            return;
        }
        FhirWriter.Result result;
        try {
            result = writer.write(resource, mapper.identifier(alert.getAlertId()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while writing alert " + alert.getAlertId(), e);
        }
        switch (result.disposition()) {
            case WRITTEN -> log.debug("{} answered {} for alert {} ({})", result.requestLine(), result.status(),
                alert.getAlertId(), where(record));
            case RETRY -> throw retry(result.retryAfter().orElse(null), result.requestLine() + " answered "
                + (result.status() == 0 ? "nothing" : "HTTP " + result.status()) + suffix(result.problem())
                + " for alert " + alert.getAlertId(), record);
            case REJECTED -> reject(record, new FhirWriteRejectedException("The FHIR server rejected alert "
                + alert.getAlertId() + " from " + where(record) + ": " + result.requestLine() + " answered HTTP "
                + result.status() + suffix(result.problem()), result.status()));
        }
    }

    /** Asks Connect to wait (Retry-After within the cap, else a doubling back-off) and to hand the batch again. */
    private RetriableException retry(Duration retryAfter, String what, SinkRecord record) {
        failuresInARow++;
        long max = config.retryBackoffMax().toMillis();
        long backoff = Math.min(max, config.retryBackoff().toMillis() << Math.min(failuresInARow - 1, 20));
        long wait = retryAfter != null ? Math.min(max, retryAfter.toMillis()) : backoff;
        context.timeout(wait);
        log.warn("{} at {}; retrying in {} ms (failure {} in a row)", what, where(record), wait, failuresInARow);
        return new RetriableException(what);
    }

    private void reject(SinkRecord record, RuntimeException reason) {
        if (reporter == null) {
            throw new ConnectException(reason.getMessage() + ". No dead-letter queue is configured, so the task "
                + "stops here; set errors.tolerance=all and errors.deadletterqueue.topic.name (with "
                + "errors.deadletterqueue.context.headers.enable=true for the reason) to set such records aside "
                + "and go on.", reason);
        }
        log.warn("Dead-lettering the record at {}: {}", where(record), reason.getMessage());
        reporter.report(record, reason);
    }

    private static String where(SinkRecord record) {
        return record.topic() + "-" + record.kafkaPartition() + "@" + record.kafkaOffset();
    }

    private static String suffix(String problem) {
        return problem == null || problem.isEmpty() ? "" : " (" + problem + ")";
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        partitions.forEach(doneUpTo::remove);
    }

    @Override
    public void stop() {
        if (deserializer != null) {
            deserializer.close();
        }
    }
}
