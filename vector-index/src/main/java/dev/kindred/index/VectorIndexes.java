package dev.kindred.index;

import dev.kindred.index.hnsw.HnswSnapshotCodec;
import dev.kindred.index.hnsw.HnswVectorIndex;
import dev.kindred.index.sampling.RecallSamplingIndex;
import dev.kindred.index.snapshot.SnapshotInput;
import dev.kindred.index.snapshot.SnapshotOutput;
import java.io.IOException;

/**
 * Creates indexes and reads and writes their snapshots; callers need nothing from the implementation packages.
 */
public final class VectorIndexes {

    private VectorIndexes() {
    }

    /** An empty HNSW index with default tuning; see {@link #create(String, IndexSpec, int, IndexTuning)}. */
    public static <P> VectorIndex<P> create(String name, IndexSpec spec, int dimensions) {
        return create(name, spec, dimensions, IndexTuning.DEFAULTS);
    }

    /**
     * An empty HNSW index of {@code dimensions}-dimensional vectors, with its recall sampled as
     * {@code tuning} says ({@link RecallSamplingIndex}; not when {@code recallSampleEvery} is 0).
     */
    public static <P> VectorIndex<P> create(String name, IndexSpec spec, int dimensions, IndexTuning tuning) {
        return sampled(new HnswVectorIndex<>(name, spec, dimensions, tuning), tuning);
    }

    /** Writes one index (under any decorators) into a snapshot stream. */
    public static <P> void writeSnapshot(VectorIndex<P> index, SnapshotOutput out, PayloadCodec<P> codec)
            throws IOException {
        HnswSnapshotCodec.write(index, out, codec);
    }

    /**
     * Reads one index written by {@link #writeSnapshot}, sampled like {@link #create}.
     *
     * @throws dev.kindred.index.snapshot.StaleSnapshotException when it was written for another {@code spec}
     * @throws IOException when it is truncated or corrupt
     */
    public static <P> VectorIndex<P> readSnapshot(SnapshotInput in, String name, IndexSpec spec, IndexTuning tuning,
            PayloadCodec<P> codec) throws IOException {
        return sampled(HnswSnapshotCodec.read(in, name, spec, tuning, codec), tuning);
    }

    private static <P> VectorIndex<P> sampled(VectorIndex<P> index, IndexTuning tuning) {
        return tuning.recallSampleEvery() == 0 ? index
                : new RecallSamplingIndex<>(index, tuning.recallSampleEvery(), tuning.recallSampler());
    }
}
