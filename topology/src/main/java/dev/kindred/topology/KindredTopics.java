package dev.kindred.topology;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.DeadLetter;
import dev.kindred.avro.MedicationLink;
import dev.kindred.avro.PatientStatePart;
import dev.kindred.avro.PatientVector;
import dev.kindred.serde.RegistryAvroSerde;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic Kindred reads or writes, each bound to its serdes, with the names from the configuration. Keys
 * are plain UTF-8 patient keys (input keys are ignored: they are never trusted for identity); values are Avro
 * in the Confluent wire format against the configured schema registry, except the FHIR JSON input.
 */
public final class KindredTopics {
    private final List<String> inputs;
    private final Topic<String, PatientVector> vectors;
    private final Topic<String, ClinicalAlert> alerts;
    private final Topic<String, DeadLetter> deadLetters;
    private final Serde<ClinicalFact> fact;
    private final Serde<PatientStatePart> stateParts;
    private final Serde<MedicationLink> medicationLink;
    private final Topic<String, ClinicalFact> imagingRequests;
    private final Topic<String, ClinicalFact> imagingEmbeddings;

    public KindredTopics(KindredConfig config) {
        var registry = config.originals();
        this.inputs = config.inputTopics();
        this.vectors = new Topic<>(config.vectorsTopic(), Serdes.String(),
                RegistryAvroSerde.specific(PatientVector.class, registry, false));
        this.alerts = new Topic<>(config.alertsTopic(), Serdes.String(),
                RegistryAvroSerde.specific(ClinicalAlert.class, registry, false));
        this.deadLetters = new Topic<>(config.deadLetterTopic(), Serdes.String(),
                RegistryAvroSerde.specific(DeadLetter.class, registry, false));
        this.fact = RegistryAvroSerde.specific(ClinicalFact.class, registry, false);
        this.stateParts = RegistryAvroSerde.specific(PatientStatePart.class, registry, false);
        this.medicationLink = RegistryAvroSerde.specific(MedicationLink.class, registry, false);
        this.imagingRequests = new Topic<>(config.getString(KindredConfig.IMAGING_REQUESTS_TOPIC_CONFIG),
                Serdes.String(), fact);
        this.imagingEmbeddings = new Topic<>(config.getString(KindredConfig.IMAGING_EMBEDDINGS_TOPIC_CONFIG),
                Serdes.String(), fact);
    }

    /** The FHIR input topics: raw bytes, any resource type on any of them. */
    public List<String> inputs() {
        return inputs;
    }

    /** cds.patient-vectors: compacted, keyed by patient; a tombstone erases the patient. */
    public Topic<String, PatientVector> vectors() {
        return vectors;
    }

    /** cds.alerts, keyed by patient. */
    public Topic<String, ClinicalAlert> alerts() {
        return alerts;
    }

    /** cds.dead-letter: what could not be processed, with its original bytes and the reason. */
    public Topic<String, DeadLetter> deadLetters() {
        return deadLetters;
    }

    /** Facts on the internal repartition topic. */
    public Serde<ClinicalFact> fact() {
        return fact;
    }

    /** Medications and the treatments waiting for them, on their repartition topic and in their stores. */
    public Serde<MedicationLink> medicationLink() {
        return medicationLink;
    }

    /** Patient state in its store and changelog, in parts (see {@code PatientStateStore}). */
    public Serde<PatientStatePart> stateParts() {
        return stateParts;
    }

    /** IMAGING facts whose study awaits an image embedding, keyed by patient (imaging embedding on). */
    public Topic<String, ClinicalFact> imagingRequests() {
        return imagingRequests;
    }

    /** IMAGING facts with the embedding the embedder computed, keyed by patient; read like any fact. */
    public Topic<String, ClinicalFact> imagingEmbeddings() {
        return imagingEmbeddings;
    }
}
