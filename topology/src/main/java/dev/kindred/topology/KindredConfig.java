package dev.kindred.topology;

import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.clinical.recommend.Recommender;
import dev.kindred.fhir.FhirTopics;
import dev.kindred.fhir.HttpResourceFetcher;
import dev.kindred.fhir.ResourceFetcher;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.Quantization;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Kindred's own settings, all under the {@code kindred.} prefix, plus {@code schema.registry.url}. Every
 * other key in the same properties file (bootstrap.servers, security.protocol, sasl.*, ssl.*, any Kafka
 * Streams or client setting) passes through to Kafka Streams untouched.
 */
public final class KindredConfig extends AbstractConfig {

    public static final String INPUT_TOPICS_CONFIG = "kindred.topics.input";
    private static final String INPUT_TOPICS_DOC = "Topics carrying FHIR R4 JSON (resources or Bundles). Any topic"
            + " may carry any resource type: records are routed by resourceType, not by topic.";

    public static final String DEFAULT_VECTORS_TOPIC = "cds.patient-vectors";
    public static final String DEFAULT_ALERTS_TOPIC = "cds.alerts";
    public static final String DEFAULT_DEAD_LETTER_TOPIC = "cds.dead-letter";
    public static final String DEFAULT_FEEDBACK_TOPIC = "cds.feedback";

    public static final String IMAGING_MODEL_PATH_CONFIG = "kindred.imaging.model.path";
    private static final String IMAGING_MODEL_PATH_DOC = "The image model (TorchScript or ONNX) of the imaging"
            + " embedder; set, ImagingStudies that list DICOM instances get an embedding computed off the stream"
            + " (the other kindred.imaging.* settings: imaging/README.md). Empty: imaging embedding is off.";
    public static final String IMAGING_REQUESTS_TOPIC_CONFIG = "kindred.imaging.topic.requests";
    private static final String IMAGING_REQUESTS_TOPIC_DOC = "Internal topic of IMAGING facts awaiting an image"
            + " embedding, keyed by patient: written in the stream's transaction, so a request survives a crash.";
    public static final String IMAGING_EMBEDDINGS_TOPIC_CONFIG = "kindred.imaging.topic.embeddings";
    private static final String IMAGING_EMBEDDINGS_TOPIC_DOC = "Internal topic of IMAGING facts with their computed"
            + " embedding, keyed by patient; the topology reads it like any other fact.";

    public static final String VECTORS_TOPIC_CONFIG = "kindred.topic.patient-vectors";
    private static final String VECTORS_TOPIC_DOC = "Compacted topic of patient vectors, keyed by patient key;"
            + " a tombstone erases the patient. Feeds the index stores of every instance.";

    public static final String ALERTS_TOPIC_CONFIG = "kindred.topic.alerts";
    private static final String ALERTS_TOPIC_DOC = "Topic of ClinicalAlert records (Avro, Confluent wire format),"
            + " keyed by patient key.";

    public static final String DEAD_LETTER_TOPIC_CONFIG = "kindred.topic.dead-letter";
    private static final String DEAD_LETTER_TOPIC_DOC = "Topic of DeadLetter records: input that could not be"
            + " processed, with the original bytes, where it came from and why.";

    public static final String FEEDBACK_TOPIC_CONFIG = "kindred.topic.feedback";
    private static final String FEEDBACK_TOPIC_DOC = "Compacted topic of Feedback records (Avro): what clinicians did"
            + " with cards (CDS Hooks feedback and the dashboard's buttons), keyed by a feedback id derived from the"
            + " content, so the same feedback sent twice is one record.";

    public static final String ALERT_NEIGHBOURS_CONFIG = "kindred.alert.k";
    private static final String ALERT_NEIGHBOURS_DOC = "How many similar patients an alert lists.";

    public static final String INDEX_METRIC_CONFIG = "kindred.index.metric";
    private static final String INDEX_METRIC_DOC = "Distance of the patient indexes: euclidean, cosine or"
            + " inner_product.";

    public static final String INDEX_M_CONFIG = "kindred.index.m";
    private static final String INDEX_M_DOC = "HNSW links per node.";

    public static final String INDEX_EF_CONSTRUCTION_CONFIG = "kindred.index.ef-construction";
    private static final String INDEX_EF_CONSTRUCTION_DOC = "HNSW candidate list size while inserting.";

    public static final String INDEX_EF_CONFIG = "kindred.index.ef";
    private static final String INDEX_EF_DOC = "HNSW candidate list size while searching (recall against speed).";

    public static final String INDEX_SNAPSHOTS_CONFIG = "kindred.index.snapshots";
    private static final String INDEX_SNAPSHOTS_DOC = "Snapshot the index graphs into the state directory, so a"
            + " restart loads them and replays only the newer part of the patient-vectors topic. Off: every start"
            + " replays the whole topic.";

    public static final String INDEX_COMPACTION_THRESHOLD_CONFIG = "kindred.index.compaction.threshold";
    private static final String INDEX_COMPACTION_THRESHOLD_DOC = "Fraction of deleted (tombstoned) graph slots at"
            + " which an index is rebuilt without them, in the background.";

    public static final String INDEX_RECALL_SAMPLE_EVERY_CONFIG = "kindred.index.recall.sample-every";
    private static final String INDEX_RECALL_SAMPLE_EVERY_DOC = "Repeat one search in this many as an exact"
            + " search to measure recall (the recall-sampled metric); 0 turns sampling off.";

    public static final String STATE_CACHE_PATIENTS_CONFIG = "kindred.state.cache.patients";
    private static final String STATE_CACHE_PATIENTS_DOC = "Patient states each stream task keeps decoded in memory."
            + " A patient's updates between two commits are then decoded and encoded once instead of once per event"
            + " Bounds heap: a Synthea lifetime patient is 47 KB encoded on average (several times that as objects),"
            + " so 1,024 per task and 3 tasks hold up to a few hundred MB; raise it with the heap.";

    public static final String VECTORS_PUBLISH_INTERVAL_CONFIG = "kindred.vectors.publish.interval.ms";
    private static final String VECTORS_PUBLISH_INTERVAL_DOC = "How often a patient's changed vectors are published"
            + " to the patient-vectors topic and so to every instance's index: once per patient per interval, the"
            + " latest. Alerts are not delayed; other patients' alerts see a change this much later. 0 publishes"
            + " every change.";

    /**
     * Per space, {@code kindred.index.<space>.quantization}: {@code none} (default), {@code int8} or {@code binary},
     * optionally {@code :oversample} (e.g. {@code int8:3}); see {@link Quantization}.
     */
    public static final String INDEX_QUANTIZATION_SUFFIX = ".quantization";

    public static final String CATALOG_PATH_CONFIG = "kindred.catalog.path";
    private static final String CATALOG_PATH_DOC = "Feature catalog JSON file; empty uses the catalog shipped"
            + " with Kindred.";

    public static final String FHIR_SERVER_BASE_URL_CONFIG = "kindred.fhir.server.base-url";
    private static final String FHIR_SERVER_BASE_URL_DOC = "Base URL of the FHIR R4 server that sends subscription"
            + " notifications (e.g. https://ehr.example.org/fhir). When set, the resources an id-only notification"
            + " names (and Medications a request refers to but does not carry) are fetched from it with GET"
            + " [base]/[type]/[id]; when empty, id-only notifications go to the dead-letter topic as"
            + " id-only-notification. Only the type and id of a reference are used: the base is always this one.";

    public static final String FHIR_SERVER_TIMEOUT_CONFIG = "kindred.fhir.server.timeout.ms";
    private static final String FHIR_SERVER_TIMEOUT_DOC = "Connect and request timeout of each fetch from the FHIR"
            + " server, in milliseconds; a fetch that takes longer is dead-lettered as fetch-failed.";

    public static final String MEDICATION_WAIT_MS_CONFIG = "kindred.medication.wait.ms";
    private static final String MEDICATION_WAIT_MS_DOC = "How long (wall clock, in milliseconds) a MedicationRequest"
            + " or MedicationAdministration whose medicationReference names a Medication not yet received waits for"
            + " it; when that Medication arrives (on any input topic) the treatment is resolved, else it is"
            + " dead-lettered as unknown-medication once this time has passed.";

    public static final String MEDICATION_WAIT_MAX_CONFIG = "kindred.medication.wait.max";
    private static final String MEDICATION_WAIT_MAX_DOC = "Most treatments that may wait for their Medication at"
            + " once, per stream task; one more is dead-lettered as unknown-medication at once.";

    public static final String SUPPRESSION_DAYS_CONFIG = "kindred.alert.suppression.days";
    private static final String SUPPRESSION_DAYS_DOC = "A patient's alert with the same cause (feature and side of"
            + " its range, diagnosis code, or imaging code) as one published less than this many days earlier, in"
            + " event time, is suppressed unless its severity is higher. 0 turns suppression off.";

    public static final String SILENT_DIAGNOSIS_TAGS_CONFIG = "kindred.alert.diagnosis.silent-tags";
    private static final String SILENT_DIAGNOSIS_TAGS_DOC = "SNOMED CT semantic tags (the trailing \"(tag)\" of a"
            + " Condition's display) of new diagnoses that do not alert, e.g. social findings and situations.";

    public static final String MIN_SUPPORT_CONFIG = "kindred.recommend.min-support";
    private static final String MIN_SUPPORT_DOC = "Least number of similar patients with a known outcome of a"
            + " treatment for it to be recommended.";

    public static final String MAX_RECOMMENDATIONS_CONFIG = "kindred.recommend.max";
    private static final String MAX_RECOMMENDATIONS_DOC = "Treatment recommendations per alert.";

    public static final String OUTCOME_RULES_PATH_CONFIG = "kindred.outcomes.rules.path";
    private static final String OUTCOME_RULES_PATH_DOC = "Outcome rules JSON file; empty uses the rules shipped with"
            + " Kindred.";

    public static final String TOPICS_CREATE_CONFIG = "kindred.topics.create";
    private static final String TOPICS_CREATE_DOC = "Create missing input and output topics at start (the"
            + " patient-vectors topic compacted). Turn off where topics are managed elsewhere.";

    public static final String TOPICS_PARTITIONS_CONFIG = "kindred.topics.partitions";
    private static final String TOPICS_PARTITIONS_DOC = "Partitions of topics Kindred creates.";

    public static final String TOPICS_REPLICATION_CONFIG = "kindred.topics.replication-factor";
    private static final String TOPICS_REPLICATION_DOC = "Replication factor of topics Kindred creates; -1 uses"
            + " the broker default.";

    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    private static final String SCHEMA_REGISTRY_URL_DOC = "Confluent-compatible Schema Registry URL(s),"
            + " comma-separated; mock://<scope> for an in-memory registry in tests.";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(INPUT_TOPICS_CONFIG, Type.LIST, FhirTopics.DEFAULTS, Importance.HIGH, INPUT_TOPICS_DOC)
            .define(VECTORS_TOPIC_CONFIG, Type.STRING, DEFAULT_VECTORS_TOPIC, Importance.HIGH, VECTORS_TOPIC_DOC)
            .define(ALERTS_TOPIC_CONFIG, Type.STRING, DEFAULT_ALERTS_TOPIC, Importance.HIGH, ALERTS_TOPIC_DOC)
            .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, DEFAULT_DEAD_LETTER_TOPIC, Importance.HIGH, DEAD_LETTER_TOPIC_DOC)
            .define(IMAGING_MODEL_PATH_CONFIG, Type.STRING, "", Importance.MEDIUM, IMAGING_MODEL_PATH_DOC)
            .define(IMAGING_REQUESTS_TOPIC_CONFIG, Type.STRING, "kindred.imaging-requests", Importance.LOW,
                    IMAGING_REQUESTS_TOPIC_DOC)
            .define(IMAGING_EMBEDDINGS_TOPIC_CONFIG, Type.STRING, "kindred.imaging-embeddings", Importance.LOW,
                    IMAGING_EMBEDDINGS_TOPIC_DOC)
            .define(FEEDBACK_TOPIC_CONFIG, Type.STRING, DEFAULT_FEEDBACK_TOPIC, Importance.MEDIUM, FEEDBACK_TOPIC_DOC)
            .define(ALERT_NEIGHBOURS_CONFIG, Type.INT, 10, Range.between(1, 1000), Importance.MEDIUM,
                    ALERT_NEIGHBOURS_DOC)
            .define(INDEX_METRIC_CONFIG, Type.STRING, "euclidean",
                    ValidString.in("euclidean", "cosine", "inner_product"), Importance.MEDIUM, INDEX_METRIC_DOC)
            .define(INDEX_M_CONFIG, Type.INT, 16, Range.between(2, 256), Importance.LOW, INDEX_M_DOC)
            .define(INDEX_EF_CONSTRUCTION_CONFIG, Type.INT, 200, Range.atLeast(1), Importance.LOW,
                    INDEX_EF_CONSTRUCTION_DOC)
            .define(INDEX_EF_CONFIG, Type.INT, 64, Range.atLeast(1), Importance.LOW, INDEX_EF_DOC)
            .define(INDEX_SNAPSHOTS_CONFIG, Type.BOOLEAN, true, Importance.LOW, INDEX_SNAPSHOTS_DOC)
            .define(INDEX_COMPACTION_THRESHOLD_CONFIG, Type.DOUBLE, 0.25, Range.between(0.01, 1.0), Importance.LOW,
                    INDEX_COMPACTION_THRESHOLD_DOC)
            .define(INDEX_RECALL_SAMPLE_EVERY_CONFIG, Type.INT, 1000, Range.atLeast(0), Importance.LOW,
                    INDEX_RECALL_SAMPLE_EVERY_DOC)
            .define(STATE_CACHE_PATIENTS_CONFIG, Type.INT, 1024, Range.atLeast(1), Importance.LOW,
                    STATE_CACHE_PATIENTS_DOC)
            .define(VECTORS_PUBLISH_INTERVAL_CONFIG, Type.LONG, 1000L, Range.atLeast(0), Importance.MEDIUM,
                    VECTORS_PUBLISH_INTERVAL_DOC)
            .define(CATALOG_PATH_CONFIG, Type.STRING, "", Importance.LOW, CATALOG_PATH_DOC)
            .define(FHIR_SERVER_BASE_URL_CONFIG, Type.STRING, "", Importance.MEDIUM, FHIR_SERVER_BASE_URL_DOC)
            .define(FHIR_SERVER_TIMEOUT_CONFIG, Type.INT, 10_000, Range.between(1, 600_000), Importance.LOW,
                    FHIR_SERVER_TIMEOUT_DOC)
            .define(MEDICATION_WAIT_MS_CONFIG, Type.LONG, 300_000L, Range.atLeast(1), Importance.MEDIUM,
                    MEDICATION_WAIT_MS_DOC)
            .define(MEDICATION_WAIT_MAX_CONFIG, Type.INT, 100_000, Range.atLeast(0), Importance.LOW,
                    MEDICATION_WAIT_MAX_DOC)
            .define(SUPPRESSION_DAYS_CONFIG, Type.INT, 30, Range.atLeast(0), Importance.MEDIUM, SUPPRESSION_DAYS_DOC)
            .define(SILENT_DIAGNOSIS_TAGS_CONFIG, Type.LIST, PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS,
                    Importance.LOW, SILENT_DIAGNOSIS_TAGS_DOC)
            .define(MIN_SUPPORT_CONFIG, Type.INT, 3, Range.atLeast(1), Importance.MEDIUM, MIN_SUPPORT_DOC)
            .define(MAX_RECOMMENDATIONS_CONFIG, Type.INT, 5, Range.between(1, 100), Importance.LOW,
                    MAX_RECOMMENDATIONS_DOC)
            .define(OUTCOME_RULES_PATH_CONFIG, Type.STRING, "", Importance.LOW, OUTCOME_RULES_PATH_DOC)
            .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, TOPICS_CREATE_DOC)
            .define(TOPICS_PARTITIONS_CONFIG, Type.INT, 3, Range.atLeast(1), Importance.MEDIUM, TOPICS_PARTITIONS_DOC)
            .define(TOPICS_REPLICATION_CONFIG, Type.SHORT, (short) -1, Importance.MEDIUM, TOPICS_REPLICATION_DOC)
            .define(SCHEMA_REGISTRY_URL_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                    SCHEMA_REGISTRY_URL_DOC);

    public KindredConfig(Map<?, ?> props) {
        super(CONFIG, props, false);
        indexQuantization(); // a malformed value fails here, at start-up
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public List<String> inputTopics() {
        return getList(INPUT_TOPICS_CONFIG);
    }

    public String vectorsTopic() {
        return getString(VECTORS_TOPIC_CONFIG);
    }

    public String alertsTopic() {
        return getString(ALERTS_TOPIC_CONFIG);
    }

    public String deadLetterTopic() {
        return getString(DEAD_LETTER_TOPIC_CONFIG);
    }

    public String feedbackTopic() {
        return getString(FEEDBACK_TOPIC_CONFIG);
    }

    public int alertNeighbours() {
        return getInt(ALERT_NEIGHBOURS_CONFIG);
    }

    /** The fetcher for id-only notifications: over HTTP from kindred.fhir.server.base-url, or none when it is empty. */
    public ResourceFetcher resourceFetcher() {
        String base = getString(FHIR_SERVER_BASE_URL_CONFIG);
        if (base == null || base.isBlank()) {
            return ResourceFetcher.NONE;
        }
        return new HttpResourceFetcher(base, Duration.ofMillis(getInt(FHIR_SERVER_TIMEOUT_CONFIG)));
    }

    public Duration suppressionWindow() {
        return Duration.ofDays(getInt(SUPPRESSION_DAYS_CONFIG));
    }

    public List<String> silentDiagnosisTags() {
        return getList(SILENT_DIAGNOSIS_TAGS_CONFIG);
    }

    /** How long a treatment waits for the Medication it refers to (kindred.medication.wait.ms). */
    public Duration medicationWait() {
        return Duration.ofMillis(getLong(MEDICATION_WAIT_MS_CONFIG));
    }

    public Duration vectorPublishInterval() {
        return Duration.ofMillis(getLong(VECTORS_PUBLISH_INTERVAL_CONFIG));
    }

    /** The pipeline's settings from this configuration. */
    public PipelineSettings pipelineSettings() {
        return PipelineSettings.builder()
                .alertNeighbours(getInt(ALERT_NEIGHBOURS_CONFIG))
                .metric(DistanceMetric.valueOf(getString(INDEX_METRIC_CONFIG).toUpperCase(Locale.ROOT)))
                .suppressionWindow(suppressionWindow())
                .silentDiagnosisTags(silentDiagnosisTags())
                .recommend(new Recommender.Settings(getInt(MIN_SUPPORT_CONFIG), getInt(MAX_RECOMMENDATIONS_CONFIG)))
                .awaitImageEmbeddings(imagingEmbedding())
                .build();
    }

    /** Whether an image model is configured: studies listing DICOM instances then get embeddings computed. */
    public boolean imagingEmbedding() {
        return !getString(IMAGING_MODEL_PATH_CONFIG).isBlank();
    }

    public HnswParameters hnswParameters() {
        return new HnswParameters(getInt(INDEX_M_CONFIG), getInt(INDEX_EF_CONSTRUCTION_CONFIG), getInt(INDEX_EF_CONFIG));
    }

    /** The quantization of each space with a {@code kindred.index.<space>.quantization} setting. */
    public Map<String, Quantization> indexQuantization() {
        Map<String, Quantization> bySpace = new TreeMap<>();
        originalsWithPrefix("kindred.index.").forEach((key, value) -> {
            if (key.endsWith(INDEX_QUANTIZATION_SUFFIX) && key.indexOf('.') == key.lastIndexOf('.')) {
                try {
                    bySpace.put(key.substring(0, key.indexOf('.')), Quantization.parse(String.valueOf(value)));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("kindred.index." + key, value, e.getMessage());
                }
            }
        });
        return bySpace;
    }

    public IndexTuning indexTuning() {
        return IndexTuning.DEFAULTS
                .withCompaction(getDouble(INDEX_COMPACTION_THRESHOLD_CONFIG), IndexTuning.DEFAULTS.compactionMinDeleted())
                .withRecallSampleEvery(getInt(INDEX_RECALL_SAMPLE_EVERY_CONFIG));
    }
}
