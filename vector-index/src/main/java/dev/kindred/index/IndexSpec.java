package dev.kindred.index;

/**
 * How one named index (feature space) is built: its distance metric, HNSW parameters and quantization.
 *
 * @param metric the distance between vectors
 * @param parameters the graph's parameters; {@code m} and {@code efConstruction} shape the graph, so a snapshot
 *     built with other values is not reused
 * @param quantization the codes the graph is searched with (a snapshot of another kind is not reused either)
 */
public record IndexSpec(DistanceMetric metric, HnswParameters parameters, Quantization quantization) {

    public IndexSpec {
        if (metric == null || parameters == null || quantization == null) {
            throw new IllegalArgumentException("metric, parameters and quantization are required");
        }
    }

    /** An index of float vectors. */
    public IndexSpec(DistanceMetric metric, HnswParameters parameters) {
        this(metric, parameters, Quantization.NONE);
    }

    public IndexSpec withQuantization(Quantization q) {
        return new IndexSpec(metric, parameters, q);
    }
}
