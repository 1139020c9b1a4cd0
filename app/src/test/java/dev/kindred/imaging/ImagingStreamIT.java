package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.app.ImageEmbeddingWorker;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TriggerType;
import dev.kindred.devstack.EmbeddedKafkaBroker;
import dev.kindred.devstack.registry.InProcessSchemaRegistry;
import dev.kindred.serde.RegistryAvroSerde;
import dev.kindred.topology.KindredConfig;
import dev.kindred.topology.KindredService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Imaging in the stream, end to end on the in-process KRaft broker: ImagingStudies that list DICOM instances
 * are embedded by a model built here with DJL from PNG X-rays an in-test DICOMweb origin renders; the
 * embeddings come back as facts, fill the image-embedding index, and the studies' alerts name imaging
 * neighbours. A study whose instance the PACS does not have is dead-lettered with the reason.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ImagingStreamIT {
    private static final int PATIENTS = 4;
    private static final String EMBEDDING_SPACE = "imaging-embedding";

    @TempDir
    static Path tmp;

    static TestModels network;
    static FakePacs pacs;
    static InProcessSchemaRegistry registry;
    static EmbeddedKafkaBroker broker;
    static KindredService service;
    static ImageEmbeddingWorker worker;

    @BeforeAll
    static void start() throws Exception {
        network = TestModels.build();
        Path model = network.writeOnnx(tmp);
        pacs = new FakePacs();
        registry = InProcessSchemaRegistry.start(0, tmp.resolve("registry"));
        broker = EmbeddedKafkaBroker.start(tmp.resolve("kafka"), 0);
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred-imaging-it");
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("streams").toString());
        settings.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        settings.put(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(KindredConfig.VECTORS_PUBLISH_INTERVAL_CONFIG, 100L);
        settings.put(KindredConfig.IMAGING_MODEL_PATH_CONFIG, model.toString());
        settings.put("kindred.imaging.model.input-size", String.valueOf(TestModels.INPUT_SIZE));
        settings.put("kindred.imaging.dicomweb.base-url", pacs.baseUrl().toString());
        settings.put("kindred.imaging.retry.backoff.ms", "10");
        service = KindredService.start(settings, Duration.ofMinutes(2));
        worker = ImageEmbeddingWorker.startIfConfigured(service.config(), settings);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {worker, service, broker, registry, pacs, network}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void studiesWithDicomWebInstancesGetEmbeddingsAndImagingNeighboursInAlerts() throws Exception {
        for (int i = 0; i < PATIENTS; i++) {
            String study = "1.2.826.0.1.3680043.8.498." + (100 + i);
            pacs.on(study, study + ".1", study + ".1.1",
                    new FakePacs.Frame(TestImages.chestPng(256, i), "image/png"));
            send("fhir.imagingstudy", imagingStudy("img-" + i, "imaging-it-" + i, study));
            int indexed = i + 1;
            // One study at a time, so each later patient's alert can find the earlier ones.
            await(() -> service.indexSize(EMBEDDING_SPACE) == indexed, "patient " + i + " in the imaging index");
        }
        await(() -> alerts().stream().filter(a -> a.getTrigger().getType() == TriggerType.NEW_IMAGING_STUDY).count()
                == PATIENTS, "one new-study alert per patient");

        List<ClinicalAlert> alerts = alerts();
        for (ClinicalAlert alert : alerts) {
            assertThat(alert.getTrigger().getSourceResource()).startsWith("ImagingStudy/img-");
            for (SimilarPatient s : alert.getSimilarPatients()) {
                assertThat(s.getPatientKey()).isNotEqualTo(alert.getPatientKey()).startsWith("imaging-it-");
            }
        }
        ClinicalAlert last = alerts.stream().filter(a -> a.getPatientKey().equals("imaging-it-" + (PATIENTS - 1)))
                .findFirst().orElseThrow();
        // Fused: the other patients, each said to be found in the image-embedding space or the clinical one
        // (whose vector carries the modality counts), and at least one by its image.
        assertThat(last.getSimilarPatients()).extracting(SimilarPatient::getPatientKey)
                .containsExactlyInAnyOrder("imaging-it-0", "imaging-it-1", "imaging-it-2");
        assertThat(last.getSimilarPatients()).extracting(SimilarPatient::getFeatureSpace)
                .contains(EMBEDDING_SPACE).isSubsetOf(EMBEDDING_SPACE, "clinical");
        assertThat(last.getIndexVersion()).startsWith(EMBEDDING_SPACE + ":");
        assertThat(pacs.requests()).allSatisfy(r -> assertThat(r.accept()).contains("image/"));
        assertThat(worker.embedded()).isGreaterThanOrEqualTo(PATIENTS);
    }

    @Test
    void aStudyThePacsDoesNotHaveIsDeadLetteredWithTheReason() throws Exception {
        String study = "1.2.826.0.1.3680043.8.498.999";
        pacs.on(study, study + ".1", study + ".1.1", new FakePacs.Status(404));
        send("fhir.imagingstudy", imagingStudy("img-missing", "imaging-it-missing", study));
        await(() -> deadLetters().stream().anyMatch(d -> "img-missing".equals(d.getResourceId())),
                "the dead letter of the missing study");
        DeadLetter letter = deadLetters().stream().filter(d -> "img-missing".equals(d.getResourceId())).findFirst()
                .orElseThrow();
        assertThat(letter.getReasonCode()).isEqualTo("imaging-pacs-not-found");
        assertThat(letter.getResourceType()).isEqualTo("ImagingStudy");
        assertThat(letter.getSourceTopic()).isEqualTo("kindred.imaging-requests");
    }

    private static String imagingStudy(String id, String patient, String studyUid) {
        return """
                {"resourceType": "ImagingStudy", "id": "%s", "status": "available",
                 "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:%s"}],
                 "subject": {"reference": "Patient/%s"},
                 "started": "2026-11-0%dT10:00:00Z",
                 "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "DX"}],
                 "numberOfSeries": 1, "numberOfInstances": 1,
                 "series": [{"uid": "%s.1", "number": 1,
                   "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "DX"},
                   "instance": [{"uid": "%s.1.1", "number": 1,
                     "sopClass": {"system": "urn:ietf:rfc:3986", "code": "urn:oid:1.2.840.10008.5.1.4.1.1.1.1"}}]}]}
                """.formatted(id, studyUid, patient, 1 + Math.abs(id.hashCode() % 8), studyUid, studyUid);
    }

    private static void send(String topic, String json) throws Exception {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, json.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    private static List<ClinicalAlert> alerts() {
        return readAll("cds.alerts", RegistryAvroSerde.specific(ClinicalAlert.class,
                Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false).deserializer());
    }

    private static List<DeadLetter> deadLetters() {
        return readAll("cds.dead-letter", RegistryAvroSerde.specific(DeadLetter.class,
                Map.of(KindredConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false).deserializer());
    }

    /** Every committed record of the topic (none while the topic does not exist yet). */
    private static <V> List<V> readAll(String topic, Deserializer<V> values) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            var infos = consumer.partitionsFor(topic);
            if (infos == null || infos.isEmpty()) {
                return out;
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
