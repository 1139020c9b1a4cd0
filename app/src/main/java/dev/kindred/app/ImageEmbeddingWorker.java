package dev.kindred.app;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.DicomImageRef;
import dev.kindred.avro.ImagingFacts;
import dev.kindred.imaging.DicomWebClient;
import dev.kindred.imaging.EmbeddingRequest;
import dev.kindred.imaging.EmbeddingResult;
import dev.kindred.imaging.EmbeddingService;
import dev.kindred.imaging.ImageEmbedder;
import dev.kindred.imaging.ImagingConfig;
import dev.kindred.imaging.ImagingException;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredTopics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes image embeddings for the stream, off its threads: reads the imaging-request topic (IMAGING facts the
 * topology wrote in its transaction), asks the {@link EmbeddingService} (which fetches from the PACS with its
 * retry policy, batches and times out), and writes each result as the same fact with its embedding to the
 * imaging-embeddings topic, or a dead letter with the failure's reason code ({@code imaging-<reason>}).
 *
 * <p>Results, dead letters and the consumed offsets commit in one transaction, so after a crash a request whose
 * result never committed is read and embedded again; nothing is lost and the stream never waits.
 */
public final class ImageEmbeddingWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageEmbeddingWorker.class);
    private static final String REASON_PREFIX = "imaging-";

    private final KindredTopics topics;
    private final String requestsTopic;
    private final EmbeddingService service;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Serializer<ClinicalFact> factSerializer;
    private final Serializer<DeadLetter> deadLetterSerializer;
    private final Thread thread;
    private final AtomicLong embedded = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private volatile boolean running = true;

    private ImageEmbeddingWorker(KindredConfig config, Map<String, Object> kafka, EmbeddingService service,
            int queueCapacity) {
        this.topics = new KindredTopics(config);
        this.requestsTopic = topics.imagingRequests().name();
        this.service = service;
        this.factSerializer = topics.fact().serializer();
        this.deadLetterSerializer = topics.deadLetters().valueSerde().serializer();
        String appId = String.valueOf(kafka.getOrDefault("application.id", "kindred"));

        Map<String, Object> consumerProps = new HashMap<>(clientSettings(kafka));
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, appId + "-imaging");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A poll's requests all fit the service's queue, so none is rejected for a full queue.
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, Math.min(64, queueCapacity)));
        this.consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());

        Map<String, Object> producerProps = new HashMap<>(clientSettings(kafka));
        producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, appId + "-imaging-" + UUID.randomUUID());
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        this.thread = new Thread(this::run, "kindred-imaging-worker");
        thread.setDaemon(true);
    }

    /**
     * Starts a worker when {@code kindred.imaging.model.path} is set, else returns null. Loads the model (a
     * model that cannot load fails here, at start-up, not per study).
     *
     * @param settings Kindred's settings: Kafka clients' (bootstrap.servers, security), schema.registry.url and
     *     kindred.imaging.*
     */
    public static ImageEmbeddingWorker startIfConfigured(KindredConfig config, Map<?, ?> settings)
            throws ImagingException {
        Properties properties = new Properties();
        settings.forEach((k, v) -> properties.setProperty(String.valueOf(k), String.valueOf(v)));
        ImagingConfig imaging = ImagingConfig.fromProperties(properties).orElse(null);
        if (imaging == null) {
            return null;
        }
        ImageEmbedder embedder = ImageEmbedder.load(imaging.embedder());
        DicomWebClient pacs = imaging.dicomWeb() == null ? null : new DicomWebClient(imaging.dicomWeb());
        EmbeddingService service = new EmbeddingService(embedder, pacs, imaging.service()).start();
        Map<String, Object> kafka = new HashMap<>();
        settings.forEach((k, v) -> kafka.put(String.valueOf(k), v));
        ImageEmbeddingWorker worker = new ImageEmbeddingWorker(config, kafka, service,
                imaging.service().queueCapacity());
        worker.thread.start();
        LOG.info("imaging embedding worker started: requests from {}, embeddings to {}", worker.requestsTopic,
                worker.topics.imagingEmbeddings().name());
        return worker;
    }

    /** Only the settings the Kafka clients know (the rest would be logged as unknown). */
    private static Map<String, Object> clientSettings(Map<String, Object> kafka) {
        Map<String, Object> out = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (!key.startsWith("kindred.") && !key.startsWith("schema.registry") && !key.equals("application.id")
                    && (ConsumerConfig.configNames().contains(key) || ProducerConfig.configNames().contains(key))
                    && !key.startsWith("key.") && !key.startsWith("value.")) {
                out.put(key, value);
            }
        });
        return out;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(requestsTopic));
            producer.initTransactions();
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    handle(records);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("imaging embedding worker stopped; studies wait on {} until a restart: {}", requestsTopic,
                    dev.kindred.topology.internals.Scrubbed.describe(e));
        } finally {
            consumer.close();
            producer.close();
        }
    }

    /** Embeds a poll's requests concurrently, then commits their results and offsets in one transaction. */
    private void handle(ConsumerRecords<byte[], byte[]> records) {
        Map<ConsumerRecord<byte[], byte[]>, CompletableFuture<EmbeddingResult>> pending = new LinkedHashMap<>();
        Map<ConsumerRecord<byte[], byte[]>, ClinicalFact> facts = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ClinicalFact fact;
            try {
                fact = topics.fact().deserializer().deserialize(record.topic(), record.value());
            } catch (RuntimeException e) {
                out.add(deadLetter(record, null, "imaging-bad-request", "unreadable request: " + e.getClass().getSimpleName()));
                continue;
            }
            facts.put(record, fact);
            pending.put(record, service.submit(request(fact)));
        }
        pending.forEach((record, future) -> {
            ClinicalFact fact = facts.get(record);
            EmbeddingResult result = future.join(); // always completes: the service times requests out
            if (result instanceof EmbeddingResult.Embedded e) {
                out.add(new ProducerRecord<>(topics.imagingEmbeddings().name(), record.key(),
                        factSerializer.serialize(topics.imagingEmbeddings().name(), withEmbedding(fact, e.embedding()))));
                embedded.incrementAndGet();
            } else if (result instanceof EmbeddingResult.Failed f) {
                LOG.warn("no image embedding for study {} of ImagingStudy/{}: {} after {} attempt(s)", f.requestId(),
                        fact.getSourceResourceId(), f.reason().code(), f.attempts());
                out.add(deadLetter(record, fact, REASON_PREFIX + f.reason().code(), f.message()));
            }
        });
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> list = records.records(partition);
            offsets.put(partition, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
        }
        producer.beginTransaction();
        out.forEach(producer::send);
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        producer.commitTransaction();
    }

    /** The request for a fact's study: its series and instances as the ImagingStudy listed them. */
    static EmbeddingRequest request(ClinicalFact fact) {
        ImagingFacts imaging = fact.getImaging();
        Map<String, List<EmbeddingRequest.Instance>> bySeries = new LinkedHashMap<>();
        Map<String, String> modality = new HashMap<>();
        for (DicomImageRef ref : imaging.getImages()) {
            bySeries.computeIfAbsent(ref.getSeriesUid(), s -> new ArrayList<>())
                    .add(new EmbeddingRequest.Instance(ref.getSopInstanceUid(), ref.getNumber()));
            if (ref.getModality() != null) {
                modality.putIfAbsent(ref.getSeriesUid(), ref.getModality());
            }
        }
        List<EmbeddingRequest.Series> series = new ArrayList<>();
        bySeries.forEach((uid, instances) -> series.add(new EmbeddingRequest.Series(uid, modality.get(uid), instances)));
        return new EmbeddingRequest.DicomStudy(imaging.getStudyUid(), series);
    }

    private static ClinicalFact withEmbedding(ClinicalFact fact, float[] embedding) {
        List<Float> values = new ArrayList<>(embedding.length);
        for (float v : embedding) {
            values.add(v);
        }
        ClinicalFact copy = ClinicalFact.newBuilder(fact).build();
        copy.setImaging(ImagingFacts.newBuilder(fact.getImaging()).setEmbedding(values).build());
        return copy;
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, ClinicalFact fact,
            String reasonCode, String reason) {
        deadLettered.incrementAndGet();
        DeadLetter letter = DeadLetter.newBuilder()
                .setReasonCode(reasonCode)
                .setReason(reason)
                .setSourceTopic(record.topic())
                .setSourcePartition(record.partition())
                .setSourceOffset(record.offset())
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setResourceType(fact == null ? null : fact.getSourceResourceType())
                .setResourceId(fact == null ? null : fact.getSourceResourceId())
                .setFailedAt(Instant.now())
                .build();
        String topic = topics.deadLetters().name();
        return new ProducerRecord<>(topic, record.key(), deadLetterSerializer.serialize(topic, letter));
    }

    /** Studies embedded and written back so far. */
    public long embedded() {
        return embedded.get();
    }

    /** Requests dead-lettered so far. */
    public long deadLettered() {
        return deadLettered.get();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        service.close();
    }
}
