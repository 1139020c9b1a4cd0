package dev.kindred.connectors.replay;

import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.fhir.PatientReferences;
import dev.kindred.connectors.files.FhirFileReader;
import dev.kindred.connectors.files.FhirResourceRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Sends FHIR resources read from files to Kafka in event-time order, one topic per resource type, so a
 * demo or a test sees a hospital's history unfold as it happened (Patients first, then everything else
 * by effective time).
 *
 * <p>Order: Medication resources first (what requests refer to, see {@link FhirMapper#REFERENCE_TYPES}), then a
 * stable sort by {@link FhirResourceRecord#eventTime()}, records without a time first (Patients, unparseable
 * input), ties in reading order. Routing: {@code topicByType} maps {@code resourceType} to a
 * topic; types not in the map are skipped and counted; unparseable input goes to its own topic (where the
 * stream dead-letters it) or, when there is none, is skipped and counted. Key: the id part of the patient reference ({@code Patient/123},
 * {@code https://x/fhir/Patient/123/_history/2}, {@code urn:uuid:123} all give {@code 123}), else null;
 * keys are advisory, consumers must not trust them for identity. Value: the resource JSON. Header
 * {@value #ORIGIN_HEADER}: the file and line or entry it came from. The Kafka timestamp is left to the
 * producer (send time): old event times as record timestamps would make the broker's time-based retention
 * delete the data at once; the event time stays inside the resource.
 *
 * <p>Nothing is lost quietly: a send that fails (synchronously or in its callback) stops the replay with a
 * {@link ReplayException} naming the record's origin and topic; the producer is flushed before returning.
 * The one exception is a record too large for Kafka (over {@code maxRecordBytes}, or refused as too large by
 * the producer or broker): one bad file must not stop a hospital's replay, so it is skipped, logged with its
 * origin and size and listed in {@link Summary#oversized()}. Bundles never reach this check whole: the file
 * reader already splits them into their entries, so only a single huge resource (or a huge unreadable file)
 * is oversize.
 *
 * <p>Memory: sorting needs every routed record at once; records that will be skipped are dropped while
 * reading. Each record holds its compact JSON bytes plus ~150 bytes. Measured: 100 Synthea patients (112
 * bundles, 576 MB pretty-printed on disk, 200k resources) with {@link FhirTopics#BY_TYPE} keep 121k routed
 * records in ~180 MB of heap; reading and sorting them takes 3–7 s on 2 cores.
 */
public final class EventTimeReplayer {

    private static final Logger log = LoggerFactory.getLogger(EventTimeReplayer.class);

    /** Header carrying the record's origin (file and line or entry), for dead-letter reports. */
    public static final String ORIGIN_HEADER = "kindred-origin";

    /** Receives progress: records handed to the producer so far, out of the total to send. */
    @FunctionalInterface
    public interface Progress {
        void onProgress(long sent, long total);

        /** A listener that ignores progress. */
        static Progress none() {
            return (sent, total) -> { };
        }
    }

    /**
     * What a replay did.
     *
     * @param sentPerTopic      records sent (and acknowledged) per topic, sorted by topic
     * @param skipped           records not sent because their type has no topic (or unparseable with no topic for it)
     * @param unparseable       unreadable inputs seen (sent to the unparseable topic, or skipped without one)
     * @param distinctPatients  distinct patient keys among the sent records
     * @param read              what the file reader counted, or null when records were passed in directly
     * @param oversized         records skipped as too large for Kafka: origin (file and line or entry) and size
     */
    public record Summary(Map<String, Long> sentPerTopic, long skipped, long unparseable, long distinctPatients,
                          FhirFileReader.Stats read, List<String> oversized) {
        /** Total records sent. */
        public long sent() {
            return sentPerTopic.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** A record could not be sent; the replay stopped. */
    public static final class ReplayException extends RuntimeException {
        ReplayException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Producer<byte[], byte[]> producer;
    private final Map<String, String> topicByType;
    private final String unparseableTopic;
    private final int maxRecordBytes;

    /**
     * Records larger than this are skipped as oversize: Kafka's default {@code max.request.size} (1 MiB) less
     * room for the key, headers and batch overhead.
     */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024 - 8 * 1024;

    /**
     * @param producer         used as given and not closed here
     * @param topicByType      resourceType → topic; other types are skipped and counted
     * @param unparseableTopic topic for input that is not readable FHIR, so that the stream reports it on
     *                         the dead-letter topic; null to skip it (counted, and logged with its origin)
     */
    public EventTimeReplayer(Producer<byte[], byte[]> producer, Map<String, String> topicByType, String unparseableTopic) {
        this(producer, topicByType, unparseableTopic, DEFAULT_MAX_RECORD_BYTES);
    }

    /** As above, skipping (and reporting) records whose JSON exceeds {@code maxRecordBytes}. */
    public EventTimeReplayer(Producer<byte[], byte[]> producer, Map<String, String> topicByType, String unparseableTopic,
            int maxRecordBytes) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topicByType = Map.copyOf(topicByType);
        this.unparseableTopic = unparseableTopic;
        if (maxRecordBytes <= 0) {
            throw new IllegalArgumentException("maxRecordBytes must be positive: " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * A producer tuned for bulk replay: acks=all with idempotence, linger 20 ms, 256 KB batches, lz4.
     * {@code overrides} (e.g. security settings) are applied last. The caller closes it.
     */
    public static Producer<byte[], byte[]> newProducer(String bootstrapServers, Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "kindred-replay");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.putAll(overrides);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Reads every path (file or directory, in the order given) and replays their resources. */
    public Summary replay(List<Path> paths, Progress progress) throws IOException {
        FhirFileReader reader = new FhirFileReader();
        Collector collector = new Collector();
        for (Path path : paths) {
            try (Stream<FhirResourceRecord> records = reader.stream(path)) {
                records.forEach(collector::accept);
            }
        }
        return send(collector, progress, reader.stats());
    }

    /** Replays records already read (consumed once, in the given order for ties). */
    public Summary replay(Stream<FhirResourceRecord> records, Progress progress) {
        Collector collector = new Collector();
        records.forEach(collector::accept);
        return send(collector, progress, null);
    }

    /** Keeps what will be sent, counts what will not. */
    private final class Collector {
        final List<Routed> routed = new ArrayList<>();
        long skipped;
        long unparseable;
        final Map<String, Long> skippedTypes = new TreeMap<>();

        void accept(FhirResourceRecord r) {
            if (r.unparseable()) {
                unparseable++;
            }
            String topic = r.unparseable() ? unparseableTopic : topicByType.get(r.resourceType());
            if (topic == null) {
                skipped++;
                skippedTypes.merge(r.unparseable() ? "(unparseable)" : r.resourceType(), 1L, Long::sum);
                if (r.unparseable()) {
                    log.warn("Unparseable input at {} not sent: no topic for unparseable input", r.origin());
                }
                return;
            }
            routed.add(new Routed(topic, r));
        }
    }

    /** Unparseable records have no type; the immutable set would throw on null. */
    private static boolean isReferenceType(String resourceType) {
        return resourceType != null && FhirMapper.REFERENCE_TYPES.contains(resourceType);
    }

    private record Routed(String topic, FhirResourceRecord record) {
        Instant eventTime() {
            return record.eventTime();
        }
    }

    private Summary send(Collector collector, Progress progress, FhirFileReader.Stats readStats) {
        List<Routed> routed = collector.routed;
        // Medications first, whatever time they carry: the requests that name them resolve on arrival instead
        // of waiting in the stream's medication store.
        routed.sort(Comparator.comparing((Routed r) -> !isReferenceType(r.record().resourceType()))
                .thenComparing(Routed::eventTime, Comparator.nullsFirst(Comparator.naturalOrder())));
        if (!collector.skippedTypes.isEmpty()) {
            log.info("Skipping {} records without a topic: {}", collector.skipped, collector.skippedTypes);
        }

        long total = routed.size();
        long step = Math.max(1, total / 100);
        Map<String, Long> perTopic = new LinkedHashMap<>();
        Set<String> patients = new HashSet<>();
        AtomicReference<ReplayException> failure = new AtomicReference<>();
        // Appended from the producer's callback thread too (broker-side refusals).
        List<String> oversized = new CopyOnWriteArrayList<>();
        List<String> refusedAfterSend = new CopyOnWriteArrayList<>();
        long sent = 0;
        long handled = 0;
        for (Routed r : routed) {
            throwIfFailed(failure);
            handled++;
            FhirResourceRecord rec = r.record();
            if (rec.json().length > maxRecordBytes) {
                reportOversize(oversized, rec, r.topic());
                continue;
            }
            String key = PatientReferences.patientKey(rec.patientRef());
            RecordHeaders headers = new RecordHeaders();
            headers.add(ORIGIN_HEADER, rec.origin().getBytes(StandardCharsets.UTF_8));
            ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(r.topic(), null, null,
                    key == null ? null : key.getBytes(StandardCharsets.UTF_8), rec.json(), headers);
            try {
                producer.send(out, (metadata, e) -> {
                    if (e instanceof RecordTooLargeException) {
                        reportOversize(oversized, rec, r.topic());
                        refusedAfterSend.add(r.topic());
                    } else if (e != null) {
                        failure.compareAndSet(null, new ReplayException(
                                "Kafka did not accept the record from " + rec.origin() + " for topic " + r.topic()
                                        + ": " + e, e));
                    }
                });
            } catch (RecordTooLargeException e) {
                reportOversize(oversized, rec, r.topic());
                continue;
            } catch (RuntimeException e) {
                throw new ReplayException("Could not send the record from " + rec.origin() + " to topic " + r.topic()
                        + " (" + sent + " of " + total + " handed to the producer before): " + e, e);
            }
            sent++;
            perTopic.merge(r.topic(), 1L, Long::sum);
            if (key != null) {
                patients.add(key);
            }
            if (handled % step == 0 && handled < total) {
                progress.onProgress(handled, total);
            }
        }
        producer.flush();
        throwIfFailed(failure);
        progress.onProgress(handled, total);
        // A record the broker refused as too large was counted as sent before its callback said so.
        for (String topic : refusedAfterSend) {
            perTopic.merge(topic, -1L, Long::sum);
        }
        perTopic.values().removeIf(n -> n == 0);
        Summary summary = new Summary(Collections.unmodifiableMap(new TreeMap<>(perTopic)), collector.skipped, collector.unparseable, patients.size(),
                readStats, List.copyOf(oversized));
        log.info("Replayed {} records ({} patients) to {}; skipped {}, unparseable {}, oversize {}",
                summary.sent(), patients.size(), summary.sentPerTopic(), collector.skipped, collector.unparseable,
                oversized.size());
        return summary;
    }

    /** Logs the origin and size only: the content is patient data. */
    private static void reportOversize(List<String> oversized, FhirResourceRecord rec, String topic) {
        String report = rec.origin() + " (" + rec.json().length + " bytes, " + describe(rec) + ")";
        oversized.add(report);
        log.warn("Oversize record skipped, too large for Kafka: {} for topic {}", report, topic);
    }

    private static String describe(FhirResourceRecord rec) {
        return rec.unparseable() ? "unreadable input" : rec.resourceType() + (rec.id() == null ? "" : "/" + rec.id());
    }

    private static void throwIfFailed(AtomicReference<ReplayException> failure) {
        ReplayException e = failure.get();
        if (e != null) {
            throw e;
        }
    }
}
