package dev.kindred.topology;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FactKind;
import dev.kindred.avro.ImagingFacts;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.index.Quantization;
import java.util.TreeMap;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PatientPipeline;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.fhir.FhirMapper;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.topology.index.VectorIndexStoreBuilder;
import dev.kindred.topology.internals.DeadLetterExceptionHandler;
import dev.kindred.topology.internals.DeadLetters;
import dev.kindred.topology.internals.FhirMappingProcessor;
import dev.kindred.topology.internals.IndexUpdateProcessor;
import dev.kindred.topology.internals.Mapped;
import dev.kindred.topology.internals.MedicationResolver;
import dev.kindred.topology.internals.PatientStateStoreBuilder;
import dev.kindred.topology.internals.OutcomesCodec;
import dev.kindred.topology.internals.PatientStateProcessor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kindred topology, built by one static function that the runnable app and the tests both call.
 *
 * <pre>
 *  input topics ─▶ map-fhir ─┬─ facts ──────────────────────────────┬─▶ repartition by patient ─▶ patient-state ─┬─ vectors ─▶ cds.patient-vectors
 *                            ├─ medication links ─▶ repartition by   │                                           └─ alerts  ─▶ cds.alerts
 *                            │    Medication/id ─▶ resolve-medication ┴─ unresolved ─┐
 *                            └─ rejected ─────────────────────────────────────────────┴─▶ cds.dead-letter
 *  cds.patient-vectors ─▶ index-update ─▶ global index store (searched by patient-state)
 *  when an image model is configured: studies naming DICOM instances ─▶ kindred.imaging-requests ─▶ embedding
 *  worker (off the stream) ─▶ kindred.imaging-embeddings ─▶ merged into the facts before the repartition
 * </pre>
 */
public final class KindredTopology {
    /** Patients by key (in parts beneath, see PatientStateStore); the name changed with that layout. */
    public static final String PATIENT_STATE_STORE = "patient-states";
    public static final String INDEX_STORE = "patient-index";
    /**
     * The patient-state processor's schedule: the stream-time clock, patients by the deadline of their open
     * outcome windows, and patients whose vectors wait to be published.
     */
    public static final String SCHEDULE_STORE = "patient-schedule";
    /** The medication reference table: Medication/<id> → its coding. */
    public static final String MEDICATION_STORE = "medications";
    /** Treatments waiting for the Medication they refer to, under Medication/<id> + NUL + their source. */
    public static final String MEDICATION_WAITING_STORE = "medication-waiting";

    private KindredTopology() {
    }

    public static Topology build(KindredConfig config) {
        FeatureCatalog catalog = catalog(config);
        KindredTopics topics = new KindredTopics(config);
        PipelineSettings settings = config.pipelineSettings();
        PatientPipeline pipeline = new PatientPipeline(catalog, outcomeRules(config), settings);

        StreamsBuilder builder = new StreamsBuilder();

        builder.addGlobalStore(new VectorIndexStoreBuilder<List<TreatmentOutcome>>(INDEX_STORE, settings.metric(),
                        config.hnswParameters())
                        .withPayloadCodec(new OutcomesCodec())
                        .withSourceTopic(topics.vectors().name())
                        .withSnapshots(config.getBoolean(KindredConfig.INDEX_SNAPSHOTS_CONFIG))
                        .withTuning(config.indexTuning())
                        .withQuantization(quantization(config, catalog)),
                topics.vectors().name(),
                topics.vectors().consumed("patient-vectors-source"),
                () -> new IndexUpdateProcessor(INDEX_STORE));

        // A patient's many updates between two commits reach RocksDB and the changelog once, and only the parts
        // they changed (PatientStateStore); the schedule sits in Kafka Streams' byte cache.
        builder.addStateStore(new PatientStateStoreBuilder(PATIENT_STATE_STORE, topics.stateParts(),
                config.getInt(KindredConfig.STATE_CACHE_PATIENTS_CONFIG)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SCHEDULE_STORE),
                Serdes.String(), Serdes.String()).withCachingEnabled());

        FhirMapper mapper = new FhirMapper(catalog, config.resourceFetcher());
        int deadLetterOriginalBytes = DeadLetters.originalBytesBudget(config.originals());
        KStream<String, Mapped> mapped = builder
                .stream(topics.inputs(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("fhir-input"))
                .process(() -> new FhirMappingProcessor(mapper, deadLetterOriginalBytes), Named.as("map-fhir"));

        Map<String, KStream<String, Mapped>> byOutcome = mapped.split(Named.as("mapped-"))
                .branch((key, value) -> value.isFact(), Branched.as("facts"))
                .branch((key, value) -> value.isMedicationLink(), Branched.as("medication-links"))
                .defaultBranch(Branched.as("rejected"));

        // Medication references: Medications and the treatments that name them meet on one partition by
        // Medication/<id>, in a partitioned table, rather than in a global table. A global store is written
        // only from its own source topic (Medications arrive on any input topic and in Bundles), and it is
        // filled on another thread, so a request could not wait for "its" Medication deterministically; here
        // the table and the waiting treatments are changelogged stores of one task, exactly-once with the rest.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MEDICATION_STORE),
                Serdes.String(), topics.medicationLink()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MEDICATION_WAITING_STORE),
                Serdes.String(), topics.medicationLink()));
        Map<String, KStream<String, Mapped>> resolved = byOutcome.get("mapped-medication-links")
                .mapValues(Mapped::medicationLink, Named.as("medication-link"))
                .repartition(Repartitioned.with(Serdes.String(), topics.medicationLink()).withName("medications-by-id"))
                .process(() -> new MedicationResolver(MEDICATION_STORE, MEDICATION_WAITING_STORE,
                                config.medicationWait(), config.getInt(KindredConfig.MEDICATION_WAIT_MAX_CONFIG)),
                        Named.as("resolve-medication"), MEDICATION_STORE, MEDICATION_WAITING_STORE)
                .split(Named.as("medication-"))
                .branch((key, value) -> value.isFact(), Branched.as("facts"))
                .defaultBranch(Branched.as("rejected"));

        byOutcome.get("mapped-rejected")
                .merge(resolved.get("medication-rejected"), Named.as("all-rejected"))
                .mapValues(Mapped::deadLetter, Named.as("dead-letter-record"))
                .to(topics.deadLetters().name(), topics.deadLetters().produced("dead-letter-sink"));

        KStream<String, ClinicalFact> facts = byOutcome.get("mapped-facts")
                .merge(resolved.get("medication-facts"), Named.as("all-facts"))
                .mapValues(Mapped::fact, Named.as("fact"));
        if (config.imagingEmbedding()) {
            // Requests leave in the stream's transaction and results come back as facts: what is durable is the
            // request (re-read by the embedder until its result or dead letter is committed), not a callback.
            facts.filter((key, fact) -> awaitsEmbedding(fact), Named.as("awaits-image-embedding"))
                    .to(topics.imagingRequests().name(), topics.imagingRequests().produced("imaging-requests-sink"));
            facts = facts.merge(builder.stream(topics.imagingEmbeddings().name(),
                    topics.imagingEmbeddings().consumed("imaging-embeddings-source")), Named.as("with-image-embeddings"));
        }
        KStream<String, SpecificRecord> changes = facts
                .repartition(Repartitioned.with(Serdes.String(), topics.fact()).withName("facts-by-patient"))
                .process(() -> new PatientStateProcessor(PATIENT_STATE_STORE, INDEX_STORE, SCHEDULE_STORE, pipeline,
                        config.vectorPublishInterval()), Named.as("patient-state"), PATIENT_STATE_STORE, SCHEDULE_STORE);

        Map<String, KStream<String, SpecificRecord>> byType = changes.split(Named.as("change-"))
                .branch((key, value) -> value instanceof PatientVector, Branched.as("vector"))
                .branch((key, value) -> value instanceof ClinicalAlert, Branched.as("alert"))
                .noDefaultBranch();
        byType.get("change-vector")
                .mapValues(v -> (PatientVector) v, Named.as("as-vector"))
                .to(topics.vectors().name(), topics.vectors().produced("vectors-sink"));
        byType.get("change-alert")
                .mapValues(v -> (ClinicalAlert) v, Named.as("as-alert"))
                .to(topics.alerts().name(), topics.alerts().produced("alerts-sink"));

        return builder.build();
    }

    /** An IMAGING fact naming DICOM instances but carrying no embedding: the embedder is asked for one. */
    static boolean awaitsEmbedding(ClinicalFact fact) {
        ImagingFacts imaging = fact.getImaging();
        return fact.getKind() == FactKind.IMAGING && !fact.getRetracted() && imaging != null
                && imaging.getStudyUid() != null && !imaging.getImages().isEmpty()
                && (imaging.getEmbedding() == null || imaging.getEmbedding().isEmpty());
    }

    /**
     * Quantization per space as configured; with imaging embedding on, the image-embedding space defaults to int8
     * (a 2,048-d float vector is 8 KB; int8 with float rescoring keeps about a quarter of that in the graph).
     */
    static Map<String, Quantization> quantization(KindredConfig config, FeatureCatalog catalog) {
        Map<String, Quantization> bySpace = new TreeMap<>(config.indexQuantization());
        if (config.imagingEmbedding()) {
            bySpace.putIfAbsent(new PatientVectorizer(catalog).embeddingSpace(),
                    Quantization.int8());
        }
        return bySpace;
    }

    /** The catalog named by kindred.catalog.path, or the built-in one. */
    public static FeatureCatalog catalog(KindredConfig config) {
        String path = config.getString(KindredConfig.CATALOG_PATH_CONFIG);
        return path == null || path.isBlank() ? FeatureCatalog.builtIn() : FeatureCatalog.load(Path.of(path));
    }

    /** The outcome rules named by kindred.outcomes.rules.path, or the built-in ones. */
    public static OutcomeRules outcomeRules(KindredConfig config) {
        String path = config.getString(KindredConfig.OUTCOME_RULES_PATH_CONFIG);
        return path == null || path.isBlank() ? OutcomeRules.builtIn() : OutcomeRules.load(Path.of(path));
    }

    /**
     * Kafka Streams properties for the topology: the user's settings, with Kindred's defaults where the user
     * set nothing (exactly-once, the dead-letter handlers).
     */
    public static Properties streamsProperties(Map<?, ?> userSettings) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "kindred");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class.getName());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class.getName());
        // A failure while indexing one vector record is logged and skipped instead of stopping the instance
        // (Kafka 4.3 cannot send dead letters from the global thread).
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // One stream thread per core: the work is CPU-bound (FHIR parsing, patient state, search).
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Runtime.getRuntime().availableProcessors());
        props.putAll(userSettings);
        return props;
    }
}
