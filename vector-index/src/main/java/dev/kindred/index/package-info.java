/**
 * Kindred's approximate-nearest-neighbour engine, its public API: {@link dev.kindred.index.VectorIndex} (keyed,
 * versioned vectors with payloads; approximate, exact and range search), {@link dev.kindred.index.Neighbour},
 * {@link dev.kindred.index.DistanceMetric}, {@link dev.kindred.index.IndexSpec} ({@link
 * dev.kindred.index.HnswParameters} and {@link dev.kindred.index.Quantization}), {@link
 * dev.kindred.index.IndexTuning}, {@link dev.kindred.index.IndexStats}, multi-space {@link
 * dev.kindred.index.Fusion}, and the factory {@link dev.kindred.index.VectorIndexes}. No Kafka, nothing clinical.
 *
 * <p>The implementation is apart: {@code hnsw} (graph, builder, searcher, scorers, snapshot codec),
 * {@code quantization} (int8 and 1-bit quantizers), {@code kernels} (SIMD distance kernels), {@code sampling}
 * (recall sampling off the query thread) and {@code snapshot} (the checksummed streams snapshots use).
 */
package dev.kindred.index;
