package dev.kindred.topology.internals;

import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.topology.index.VectorIndexStore;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global index store in step with the patient-vectors topic: upserts every space of a vector
 * record (with its version, so replays are idempotent), removes spaces the record no longer has, and
 * erases the patient on a tombstone. A record older than what any space holds for the patient is ignored
 * as a whole, so a stale record cannot bring back a space a newer one removed.
 *
 * <p>It is also the store's restore path: on start Kafka Streams replays the topic through it (all of it, or
 * only what follows the store's snapshot).
 *
 * <p>An update that fails is logged with the patient key and counted ({@code index-update-failures-total} in the
 * {@code stream-kindred-index-metrics} group, exported on /metrics): Kafka 4.3 cannot dead-letter from the global
 * thread, and the patient is missing from similarity search until its next vector record, so it must show.
 */
public final class IndexUpdateProcessor implements Processor<String, PatientVector, Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(IndexUpdateProcessor.class);
    private final String indexStoreName;
    private VectorIndexStore<List<TreatmentOutcome>> index;
    private Sensor failures;

    public IndexUpdateProcessor(String indexStoreName) {
        this.indexStoreName = indexStoreName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.index = context.getStateStore(indexStoreName);
        this.failures = context.metrics().addRateTotalSensor("kindred-index", indexStoreName, "index-update-failures",
                Sensor.RecordingLevel.INFO);
    }

    @Override
    public void process(Record<String, PatientVector> record) {
        try {
            update(record);
        } catch (RuntimeException e) {
            failures.record();
            // The class only: messages can quote vector values.
            LOG.error("index update failed for patient {}: {}; the patient is missing from similarity search until"
                    + " its next vector record", record.key(), e.getClass().getName());
        }
    }

    private void update(Record<String, PatientVector> record) {
        String key = record.key();
        PatientVector vector = record.value();
        if (key == null) {
            return;
        }
        if (vector == null) {
            index.deleteEverywhere(key, Long.MAX_VALUE);
            return;
        }
        long version = vector.getVersion();
        for (String space : index.spaces()) {
            if (index.index(space).flatMap(i -> i.get(key)).map(item -> item.version() > version).orElse(false)) {
                return;
            }
        }
        Map<String, List<Float>> vectors = vector.getVectors();
        for (Map.Entry<String, List<Float>> e : vectors.entrySet()) {
            index.upsert(e.getKey(), key, version, PatientVectorizer.toArray(e.getValue()), vector.getOutcomes());
        }
        for (String space : index.spaces()) {
            if (!vectors.containsKey(space)) {
                index.delete(space, key, version);
            }
        }
    }
}
