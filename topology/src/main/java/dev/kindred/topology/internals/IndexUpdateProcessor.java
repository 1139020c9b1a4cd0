package dev.kindred.topology.internals;

import dev.kindred.avro.PatientVector;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.patient.PatientVectorizer;
import dev.kindred.topology.index.VectorIndexStore;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Keeps the global index store in step with the patient-vectors topic: upserts every space of a vector
 * record (with its version, so replays are idempotent), removes spaces the record no longer has, and
 * erases the patient on a tombstone. A record older than what any space holds for the patient is ignored
 * as a whole, so a stale record cannot bring back a space a newer one removed.
 *
 * <p>It is also the store's restore path: on start Kafka Streams replays the topic through it (all of it, or
 * only what follows the store's snapshot).
 */
public final class IndexUpdateProcessor implements Processor<String, PatientVector, Void, Void> {
    private final String indexStoreName;
    private VectorIndexStore<List<TreatmentOutcome>> index;

    public IndexUpdateProcessor(String indexStoreName) {
        this.indexStoreName = indexStoreName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.index = context.getStateStore(indexStoreName);
    }

    @Override
    public void process(Record<String, PatientVector> record) {
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
