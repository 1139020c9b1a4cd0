package dev.kindred.clinical.pipeline;

import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.VectorIndexes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A {@link PatientIndex} of plain in-process HNSW indexes, one per space, for evaluation and tests. */
public final class InMemoryPatientIndex implements PatientIndex {
    private final DistanceMetric metric;
    private final HnswParameters parameters;
    private final Map<String, VectorIndex<List<TreatmentOutcome>>> spaces = new LinkedHashMap<>();
    private long updates;

    public InMemoryPatientIndex(DistanceMetric metric, HnswParameters parameters) {
        this.metric = metric;
        this.parameters = parameters;
    }

    /** Adds or replaces a patient in {@code space}, creating the space's index with the vector's dimensions. */
    public void upsert(String space, String patientKey, long version, float[] vector, List<TreatmentOutcome> outcomes) {
        spaces.computeIfAbsent(space, s -> VectorIndexes.<List<TreatmentOutcome>>create(s,
                        new IndexSpec(metric, parameters), vector.length))
                .upsert(patientKey, version, vector, outcomes);
        updates++;
    }

    /** The index of {@code space}, or null when nothing was added to it. */
    public VectorIndex<List<TreatmentOutcome>> index(String space) {
        return spaces.get(space);
    }

    @Override
    public int size(String space) {
        VectorIndex<List<TreatmentOutcome>> index = spaces.get(space);
        return index == null ? 0 : index.size();
    }

    @Override
    public List<Neighbour<List<TreatmentOutcome>>> search(String space, float[] query, int k,
            Predicate<IndexedVector<List<TreatmentOutcome>>> filter) {
        VectorIndex<List<TreatmentOutcome>> index = spaces.get(space);
        return index == null ? List.of() : index.search(query, k, filter);
    }

    @Override
    public String version(String space) {
        return "size=" + size(space) + ":updates=" + updates;
    }
}
