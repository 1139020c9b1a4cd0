package dev.kindred.index;

import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Housekeeping settings of an index, apart from the graph's {@link HnswParameters}.
 *
 * @param compactionThreshold fraction of tombstoned slots at which the index rebuilds itself without them
 * @param compactionMinDeleted tombstones needed before compaction is considered at all (small indexes are not
 *     worth a rebuild)
 * @param recallSampleEvery every this many searches, one is repeated as an exact search to measure recall
 *     ({@code 0} turns sampling off); the exact scan runs on {@code recallSampler}, never on the searching thread
 * @param maintenance where background compactions run
 * @param recallSampler where sampled exact searches run; it must refuse work it cannot take at once (throw
 *     {@link java.util.concurrent.RejectedExecutionException}): the sample is then dropped, the search never waits
 * @param vectorDirectory where quantized indexes keep their (unlinked, memory-mapped) float vector files; null
 *     for the JVM's temporary directory
 */
public record IndexTuning(double compactionThreshold, int compactionMinDeleted, int recallSampleEvery,
        Executor maintenance, Executor recallSampler, Path vectorDirectory) {

    private static final ExecutorService MAINTENANCE = Executors.newSingleThreadExecutor(r -> daemon(r,
            "kindred-index-maintenance"));

    /** One daemon thread and room for four waiting samples; beyond that, samples are dropped. */
    private static final ExecutorService RECALL_SAMPLER = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(4), r -> daemon(r, "kindred-index-recall-sampler"),
            new ThreadPoolExecutor.AbortPolicy());

    /** Compact at 25% tombstones (at least 1,000), sample one search in 1,000, compact and sample on daemons. */
    public static final IndexTuning DEFAULTS = new IndexTuning(0.25, 1000, 1000, MAINTENANCE, RECALL_SAMPLER, null);

    public IndexTuning {
        if (!(compactionThreshold > 0 && compactionThreshold <= 1) || compactionMinDeleted < 1
                || recallSampleEvery < 0 || maintenance == null || recallSampler == null) {
            throw new IllegalArgumentException("invalid index tuning: threshold " + compactionThreshold
                    + ", min deleted " + compactionMinDeleted + ", recall sample every " + recallSampleEvery);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public IndexTuning withCompaction(double threshold, int minDeleted) {
        return new IndexTuning(threshold, minDeleted, recallSampleEvery, maintenance, recallSampler, vectorDirectory);
    }

    public IndexTuning withRecallSampleEvery(int every) {
        return new IndexTuning(compactionThreshold, compactionMinDeleted, every, maintenance, recallSampler,
                vectorDirectory);
    }

    public IndexTuning withMaintenance(Executor executor) {
        return new IndexTuning(compactionThreshold, compactionMinDeleted, recallSampleEvery, executor, recallSampler,
                vectorDirectory);
    }

    public IndexTuning withRecallSampler(Executor executor) {
        return new IndexTuning(compactionThreshold, compactionMinDeleted, recallSampleEvery, maintenance, executor,
                vectorDirectory);
    }

    public IndexTuning withVectorDirectory(Path directory) {
        return new IndexTuning(compactionThreshold, compactionMinDeleted, recallSampleEvery, maintenance,
                recallSampler, directory);
    }
}
