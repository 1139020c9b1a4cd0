package dev.kindred.index;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Housekeeping settings of an index, apart from the graph's {@link HnswParameters}.
 *
 * @param compactionThreshold fraction of tombstoned slots at which the index rebuilds itself without them
 * @param compactionMinDeleted tombstones needed before compaction is considered at all (small indexes are not
 *     worth a rebuild)
 * @param recallSampleEvery every this many searches, one is repeated as an exact search to measure recall
 *     ({@code 0} turns sampling off); the exact scan runs on the searching thread
 * @param maintenance where background compactions run
 */
public record IndexTuning(double compactionThreshold, int compactionMinDeleted, int recallSampleEvery,
        Executor maintenance) {

    private static final ExecutorService MAINTENANCE = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kindred-index-maintenance");
        t.setDaemon(true);
        return t;
    });

    /** Compact at 25% tombstones (at least 1,000), sample one search in 1,000, compact on a daemon thread. */
    public static final IndexTuning DEFAULTS = new IndexTuning(0.25, 1000, 1000, MAINTENANCE);

    public IndexTuning {
        if (!(compactionThreshold > 0 && compactionThreshold <= 1) || compactionMinDeleted < 1
                || recallSampleEvery < 0 || maintenance == null) {
            throw new IllegalArgumentException("invalid index tuning: threshold " + compactionThreshold
                    + ", min deleted " + compactionMinDeleted + ", recall sample every " + recallSampleEvery);
        }
    }

    public IndexTuning withCompaction(double threshold, int minDeleted) {
        return new IndexTuning(threshold, minDeleted, recallSampleEvery, maintenance);
    }

    public IndexTuning withRecallSampleEvery(int every) {
        return new IndexTuning(compactionThreshold, compactionMinDeleted, every, maintenance);
    }

    public IndexTuning withMaintenance(Executor executor) {
        return new IndexTuning(compactionThreshold, compactionMinDeleted, recallSampleEvery, executor);
    }
}
