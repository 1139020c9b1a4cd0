package dev.kindred.topology.internals;

import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.pipeline.PatientIndex;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.topology.index.VectorIndexStore;
import java.util.List;
import java.util.function.Predicate;

/** The global index store as the pipeline's {@link PatientIndex}. */
public record StorePatientIndex(VectorIndexStore<List<TreatmentOutcome>> store) implements PatientIndex {

    @Override
    public int size(String space) {
        return store.size(space);
    }

    @Override
    public List<Neighbour<List<TreatmentOutcome>>> search(String space, float[] query, int k,
            Predicate<IndexedVector<List<TreatmentOutcome>>> filter) {
        return store.search(space, query, k, filter);
    }

    @Override
    public String version(String space) {
        return "size=" + store.size(space) + ":updates=" + store.updates();
    }
}
