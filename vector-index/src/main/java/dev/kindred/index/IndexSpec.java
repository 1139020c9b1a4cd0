package dev.kindred.index;

/**
 * How one named index (feature space) is built: its distance metric and HNSW parameters.
 *
 * @param metric the distance between vectors
 * @param parameters the graph's parameters; {@code m} and {@code efConstruction} shape the graph, so a snapshot
 *     built with other values is not reused
 */
public record IndexSpec(DistanceMetric metric, HnswParameters parameters) {

    public IndexSpec {
        if (metric == null || parameters == null) {
            throw new IllegalArgumentException("metric and parameters are required");
        }
    }
}
