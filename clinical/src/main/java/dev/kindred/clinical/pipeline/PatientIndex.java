package dev.kindred.clinical.pipeline;

import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import java.util.List;
import java.util.function.Predicate;

/**
 * Where the pipeline finds similar patients: one index per feature space, each item a patient's vector with
 * its treatment outcomes as the payload. The stream implements it over its global index store; evaluation and
 * tests over plain in-process indexes ({@link InMemoryPatientIndex}).
 */
public interface PatientIndex {

    /** Patients indexed in {@code space}; 0 when the space has no index. */
    int size(String space);

    /** The {@code k} nearest items of {@code space} to {@code query} that {@code filter} accepts, nearest first. */
    List<Neighbour<List<TreatmentOutcome>>> search(String space, float[] query, int k,
            Predicate<IndexedVector<List<TreatmentOutcome>>> filter);

    /** A short description of the state of {@code space}'s index, recorded on each alert it answers. */
    String version(String space);
}
