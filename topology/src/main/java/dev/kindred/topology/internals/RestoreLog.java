package dev.kindred.topology.internals;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs each state store restoration from its changelog (store, partition, records, time), with progress at most
 * every {@link #PROGRESS_INTERVAL_MS} ms: a restart that takes minutes says where they go. Names and counts
 * only, never a record.
 */
public final class RestoreLog implements StateRestoreListener {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreLog.class);
    static final long PROGRESS_INTERVAL_MS = 10_000;

    private record Progress(long startedMs, long total, long restored, long loggedMs) {
    }

    private final Map<TopicPartition, Progress> progress = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public RestoreLog() {
        this(System::currentTimeMillis);
    }

    RestoreLog(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
        long now = clock.getAsLong();
        long total = Math.max(0, endingOffset - startingOffset);
        progress.put(partition, new Progress(now, total, 0, now));
        LOG.info("restoring store {} from {}: up to {} records (offsets {} to {})", store, partition, total,
                startingOffset, endingOffset);
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
        long now = clock.getAsLong();
        Progress p = progress.computeIfPresent(partition, (k, old) -> new Progress(old.startedMs(), old.total(),
                old.restored() + numRestored, old.loggedMs()));
        if (p != null && now - p.loggedMs() >= PROGRESS_INTERVAL_MS) {
            progress.put(partition, new Progress(p.startedMs(), p.total(), p.restored(), now));
            LOG.info("restoring store {} from {}: {} of up to {} records in {} s", store, partition, p.restored(),
                    p.total(), (now - p.startedMs()) / 1000);
        }
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
        Progress p = progress.remove(partition);
        long ms = p == null ? -1 : clock.getAsLong() - p.startedMs();
        LOG.info("restored store {} from {}: {} records in {} ms", store, partition, totalRestored, ms);
    }
}
