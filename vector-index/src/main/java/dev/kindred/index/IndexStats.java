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
 * @param estimatedBytes approximate heap bytes of vectors, graph, keys and item records; payloads are not counted
 * @param searches approximate searches served since the index was created or loaded
 * @param meanSearchMicros mean latency of those searches, in microseconds (0 when none)
 * @param sampledRecall recall@k of sampled approximate searches against exact search (exponentially weighted,
 *     recent samples count most); NaN until the first sample
 * @param recallSamples number of sampled searches behind {@code sampledRecall}
 * @param compactions completed compactions (rebuilds without tombstones)
 * @param compacting whether a compaction is running in the background
 */
public record IndexStats(String name, int dimensions, int size, int slots, int deleted, double deletedFraction,
        long estimatedBytes, long searches, double meanSearchMicros, double sampledRecall, long recallSamples,
        long compactions, boolean compacting) {
}
