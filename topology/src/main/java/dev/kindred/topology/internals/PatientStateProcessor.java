package dev.kindred.topology.internals;

import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.VectorIndexStore;
import dev.kindred.topology.alerts.AlertFactory;
import dev.kindred.topology.patient.PatientStateUpdater;
import dev.kindred.topology.patient.PatientVectorizer;
import dev.kindred.topology.patient.Trigger;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Applies each fact to the patient's state and emits what changed: the patient's new vectors, and an
 * alert (with similar patients from the global index) for every trigger.
 */
public final class PatientStateProcessor implements Processor<String, ClinicalFact, String, SpecificRecord> {
    private final String stateStoreName;
    private final String indexStoreName;
    private final PatientStateUpdater updater;
    private final PatientVectorizer vectorizer;
    private final AlertFactory alerts;
    private final String catalogVersion;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, PatientState> states;
    private VectorIndexStore<List<TreatmentOutcome>> index;

    public PatientStateProcessor(String stateStoreName, String indexStoreName, PatientStateUpdater updater,
            PatientVectorizer vectorizer, AlertFactory alerts, String catalogVersion) {
        this.stateStoreName = stateStoreName;
        this.indexStoreName = indexStoreName;
        this.updater = updater;
        this.vectorizer = vectorizer;
        this.alerts = alerts;
        this.catalogVersion = catalogVersion;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.states = context.getStateStore(stateStoreName);
        this.index = context.getStateStore(indexStoreName);
    }

    @Override
    public void process(Record<String, ClinicalFact> record) {
        String key = record.key();
        PatientStateUpdater.Update update = updater.apply(states.get(key), record.value());
        if (!update.changed()) {
            return;
        }
        PatientState state = update.state();
        states.put(key, state);
        Map<String, List<Float>> vectors = vectorizer.vectors(state);
        context.forward(record.withValue(PatientVector.newBuilder()
                .setPatientKey(key)
                .setVersion(state.getVersion())
                .setVectors(vectors)
                .setCatalogVersion(catalogVersion)
                .setEffectiveTime(state.getLastEventTime())
                .setOutcomes(List.of())
                .build()));
        for (Trigger trigger : update.triggers()) {
            ClinicalAlert alert = alerts.build(trigger, state, vectors, index, Instant.now());
            context.forward(record.withValue(alert));
        }
    }
}
