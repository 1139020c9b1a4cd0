package dev.kindred.index;

/**
 * What an index reports about itself, for metrics and operators: how big it is, how much of it is dead
 * weight, what it costs in memory, how fast its searches are, and how good they are against exact search.
 *
 * @param name index name
 * @param dimensions dimensions of its vectors (0 before the first insert)
 * @param size live items
 * @param slots graph slots in use, live or tombstoned
 * @param deleted tombstoned slots (deleted items still in the graph until reused or compacted)
 * @param deletedFraction {@code deleted / slots} (0 when empty)
 * @param memory approximate bytes by part
 * @param quantization the codes searched ({@code none}, or the kind and oversample)
 * @param searches approximate searches served since the index was created or loaded
 * @param meanSearchMicros mean latency of those searches, in microseconds (0 when none)
 * @param sampledRecall recall@k of sampled approximate searches against exact search (exponentially weighted,
 *     recent samples count most); NaN until the first sample or when nothing samples the index
 * @param recallSamples sampled searches behind {@code sampledRecall}
 * @param recallSamplesDropped samples skipped because the sampler was busy (it never delays a search)
 * @param compactions completed compactions (rebuilds without tombstones)
 * @param compacting whether a compaction is running in the background
 */
public record IndexStats(String name, int dimensions, int size, int slots, int deleted, double deletedFraction,
        Memory memory, String quantization, long searches, double meanSearchMicros, double sampledRecall,
        long recallSamples, long recallSamplesDropped, long compactions, boolean compacting) {

    /**
     * Approximate bytes of an index by part; payloads are not counted.
     *
     * @param vectorBytes float vectors on the heap (0 in a quantized index)
     * @param codeBytes quantized codes and the quantizer
     * @param graphBytes links, levels and tombstones
     * @param keyBytes items, keys and the key map
     * @param mappedVectorBytes float vectors in a memory-mapped file, outside the heap (a quantized index's)
     */
    public record Memory(long vectorBytes, long codeBytes, long graphBytes, long keyBytes, long mappedVectorBytes) {

        /** Heap bytes: everything but the mapped vectors. */
        public long heapBytes() {
            return vectorBytes + codeBytes + graphBytes + keyBytes;
        }
    }

    /** Estimated heap bytes of vectors, codes, graph and keys ({@link Memory#heapBytes()}). */
    public long estimatedBytes() {
        return memory.heapBytes();
    }

    /** These statistics with the recall measured by a sampler. */
    public IndexStats withRecall(double recall, long samples, long dropped) {
        return new IndexStats(name, dimensions, size, slots, deleted, deletedFraction, memory, quantization, searches,
                meanSearchMicros, recall, samples, dropped, compactions, compacting);
    }
}
