package dev.kindred.topology.index;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.Fusion;
import dev.kindred.index.HybridHit;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.PayloadCodec;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.VectorIndexes;
import dev.kindred.index.snapshot.StaleSnapshotException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka Streams state store holding one {@link VectorIndex} per named space (e.g. "clinical", "imaging"),
 * with top-k, exact, range and hybrid (multi-space) search.
 *
 * <p>Used as a global store fed by a compacted topic of vectors through a processor
 * ({@code StreamsBuilder.addGlobalStore}): every instance holds every vector, so any instance can find
 * neighbours among all keys. For a global store the source topic is the changelog: the vectors' durable
 * home is that topic, and the graph is derived from it.
 *
 * <p>Snapshots (on by default) make restarts fast without ever trading correctness:
 * <ul>
 *   <li>The store is {@linkplain #persistent() persistent} and {@linkplain #managesOffsets() manages its own
 *       offsets} (the Kafka 4.3 store contract). On every {@link #commit(Map)} that follows a change, Kafka
 *       Streams hands it the source-topic offsets the store's contents reflect, and the store writes all its
 *       indexes and those offsets to {@code <state dir>/<store>.kindred-index} in one atomic file
 *       ({@link VectorIndexSnapshot}). The global thread commits after start-up, every ~10,000 records (once
 *       the commit interval has passed) and on close; the store writes at most one snapshot per snapshot
 *       interval (default one minute, {@link VectorIndexStoreBuilder#withSnapshotInterval}), always the first
 *       after start-up, and on close the one a skipped commit left. Between snapshots the file on disk and its
 *       offsets stay consistent with each other; a crash only means a longer replay.</li>
 *   <li>On {@link #init} the store loads that file and reports its offsets through {@link #committedOffset};
 *       Kafka Streams then replays only the records after them through the update processor. Replays are
 *       idempotent because writes are versioned.</li>
 *   <li>A missing snapshot, or one that is truncated, corrupt (CRC), or written for another configuration
 *       (store, source topic, payload format, metric, {@code m}, {@code efConstruction}, file format) is
 *       deleted and ignored: the store starts empty, reports no offsets, and Kafka Streams replays the whole
 *       topic. A wiped state directory is the same case. A snapshot whose offsets lie beyond the topic's end
 *       (the topic was deleted and re-created) makes Kafka Streams fail with an invalid-offset error and
 *       wipe the global state directory, so the next start rebuilds; re-creating the topic under the same
 *       name with more records than before is not detectable and needs {@code KafkaStreams.cleanUp()}, as for
 *       every Kafka Streams store.</li>
 *   <li>A snapshot that cannot be written (disk full) is logged and skipped; the previous one stays valid.</li>
 * </ul>
 *
 * <p>Each space's index is created by {@link VectorIndexes} (an HNSW index, quantized as its {@link IndexSpec}
 * says, with recall sampled off the stream thread) and wrapped in a {@link MeteredVectorIndex}, as Kafka's
 * metered stores wrap their inner stores. A quantized space keeps its float vectors in an unlinked,
 * memory-mapped file in the store's state directory.
 *
 * <p>Metrics ({@code kindred-index-metrics} group, tags {@code store} and {@code space}): see
 * {@link IndexMetrics}.
 *
 * <p>About 400 lines, most of them the snapshot side of Kafka Streams' store contract ({@code commit},
 * {@code committedOffset}, throttling, close) and its documentation; index work is delegated to the engine.
 *
 * @param <P> the payload type
 */
public final class VectorIndexStore<P> implements StateStore {
    private static final Logger LOG = LoggerFactory.getLogger(VectorIndexStore.class);
    static final String SNAPSHOT_SUFFIX = ".kindred-index";

    private final String name;
    private final IndexSpec defaultSpec;
    private final Map<String, IndexSpec> spaceSpecs;
    private IndexTuning tuning;
    private final PayloadCodec<P> codec;
    private final String sourceTopic;
    private final boolean snapshots;

    private final Map<String, VectorIndex<P>> indexes = new ConcurrentHashMap<>();
    private volatile boolean open;
    /** Count of applied writes since the store opened: identifies the index state an answer came from. */
    private volatile long updates;
    private final long snapshotIntervalNanos;
    /** Offsets the snapshot on disk reflects, and the write count it was taken at. */
    private Map<TopicPartition, Long> committed = Map.of();
    private long updatesAtSnapshot;
    /** Offsets of the latest commit (a throttled one may not have been written yet), and the write count then. */
    private Map<TopicPartition, Long> latest;
    private long updatesAtLatest;
    private long lastWriteNanos;
    private boolean written;
    private Path snapshotFile;
    private volatile SnapshotStatus snapshotStatus = SnapshotStatus.none("not opened");
    private IndexMetrics metrics;

    VectorIndexStore(String name, IndexSpec defaultSpec, Map<String, IndexSpec> spaceSpecs, IndexTuning tuning,
            PayloadCodec<P> codec, String sourceTopic, boolean snapshots, Duration snapshotInterval) {
        this.snapshotIntervalNanos = snapshotInterval.toNanos();
        this.name = name;
        this.defaultSpec = defaultSpec;
        this.spaceSpecs = Map.copyOf(spaceSpecs);
        this.tuning = tuning;
        this.codec = codec;
        this.sourceTopic = sourceTopic;
        this.snapshots = snapshots;
    }

    /**
     * What the store found at start-up.
     *
     * @param loaded whether a snapshot was loaded
     * @param detail why not, or what was loaded
     * @param offsets the source-topic offsets the loaded snapshot reflects (empty when none was loaded)
     * @param items items loaded, over all spaces
     * @param loadMillis time spent reading the snapshot
     */
    public record SnapshotStatus(boolean loaded, String detail, Map<TopicPartition, Long> offsets, long items,
            long loadMillis) {
        static SnapshotStatus none(String detail) {
            return new SnapshotStatus(false, detail, Map.of(), 0, 0);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
            throw new IllegalStateException("index store " + name + " is rebuilt by replaying its topic through"
                    + " the update processor, not by raw restore");
        });
        metrics = new IndexMetrics(context.metrics(), name);
        if (tuning.vectorDirectory() == null) {
            tuning = tuning.withVectorDirectory(context.stateDir().toPath());
        }
        if (snapshots) {
            snapshotFile = context.stateDir().toPath().resolve(name + SNAPSHOT_SUFFIX);
            loadSnapshot();
        } else {
            snapshotStatus = SnapshotStatus.none("snapshots are off");
        }
        open = true;
    }

    private void loadSnapshot() {
        if (!Files.exists(snapshotFile)) {
            snapshotStatus = SnapshotStatus.none("no snapshot: rebuilding from the topic");
            LOG.info("index store {}: no snapshot at {}; rebuilding from the topic", name, snapshotFile);
            return;
        }
        long start = System.nanoTime();
        try {
            VectorIndexSnapshot.Contents<P> contents = VectorIndexSnapshot.read(snapshotFile, identity(), codec,
                    this::spec, this::indexName, tuning);
            contents.indexes().forEach((space, index) -> indexes.put(space, metered(space, index)));
            committed = Map.copyOf(contents.offsets());
            long items = contents.indexes().values().stream().mapToLong(VectorIndex::size).sum();
            long millis = (System.nanoTime() - start) / 1_000_000;
            snapshotStatus = new SnapshotStatus(true, "loaded " + snapshotFile, committed, items, millis);
            LOG.info("index store {}: loaded a snapshot of {} items in {} ms; replaying the topic after {}", name,
                    items, millis, committed);
        } catch (IOException | RuntimeException e) {
            indexes.values().forEach(VectorIndex::close);
            indexes.clear();
            committed = Map.of();
            String reason = (e instanceof StaleSnapshotException ? "stale snapshot: "
                    : "unreadable snapshot: ") + e.getMessage();
            snapshotStatus = SnapshotStatus.none(reason + "; rebuilding from the topic");
            LOG.warn("index store {}: {}; deleting it and rebuilding from the topic", name, reason);
            try {
                Files.deleteIfExists(snapshotFile);
            } catch (IOException d) {
                LOG.warn("index store {}: could not delete {}", name, snapshotFile, d);
            }
        }
    }

    /** Wraps a space's index so that its searches are timed into the store's metrics. */
    private VectorIndex<P> metered(String space, VectorIndex<P> index) {
        return metrics == null ? index : new MeteredVectorIndex<>(index, metrics.register(space, index));
    }

    private VectorIndexSnapshot.Identity identity() {
        return new VectorIndexSnapshot.Identity(name, sourceTopic, codec.formatId());
    }

    private IndexSpec spec(String space) {
        return spaceSpecs.getOrDefault(space, defaultSpec);
    }

    private String indexName(String space) {
        return name + "/" + space;
    }

    /**
     * Writes a snapshot reflecting {@code changelogOffsets} when anything changed since the last one, at most
     * once per snapshot interval (the first commit after start-up always writes; a commit skipped by the interval
     * is written on close). An empty map clears the committed offsets and deletes the snapshot; a null offset
     * forgets that partition.
     */
    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        if (!snapshots || !open) {
            return;
        }
        if (changelogOffsets.isEmpty()) {
            committed = Map.of();
            latest = null;
            try {
                Files.deleteIfExists(snapshotFile);
            } catch (IOException e) {
                LOG.warn("index store {}: could not delete {}", name, snapshotFile, e);
            }
            return;
        }
        Map<TopicPartition, Long> next = new HashMap<>(latest != null ? latest : committed);
        changelogOffsets.forEach((tp, offset) -> {
            if (offset == null) {
                next.remove(tp);
            } else {
                next.put(tp, offset);
            }
        });
        latest = next;
        updatesAtLatest = updates;
        if (!written || System.nanoTime() - lastWriteNanos >= snapshotIntervalNanos) {
            writeSnapshotIfChanged(updatesAtLatest);
        }
    }

    /**
     * Writes the indexes with the latest committed offsets unless the snapshot on disk already holds them;
     * {@code applied} is the update count the contents reflect.
     */
    private void writeSnapshotIfChanged(long applied) {
        if (latest.equals(committed) && applied == updatesAtSnapshot && Files.exists(snapshotFile)) {
            return;
        }
        long start = System.nanoTime();
        try {
            long bytes = VectorIndexSnapshot.write(snapshotFile, identity(), codec, latest, indexes);
            committed = Map.copyOf(latest);
            updatesAtSnapshot = applied;
            LOG.debug("index store {}: wrote a {} byte snapshot in {} ms", name, bytes,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.warn("index store {}: could not write a snapshot; keeping the previous one", name, e);
        }
        written = true;
        lastWriteNanos = System.nanoTime();
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
        return snapshots ? committed.get(partition) : null;
    }

    @Override
    @Deprecated
    public boolean managesOffsets() {
        return snapshots;
    }

    /**
     * Writes the snapshot a throttled commit left for later, then releases the indexes. Records applied after
     * the last commit go into it too, under that commit's offsets: the restart replays them again, which the
     * versioned upserts and deletes make a no-op (the same version and vector is kept, an older one refused).
     * Keeping the older snapshot instead would make a store stopped mid-stream replay everything since it.
     */
    @Override
    public void close() {
        if (snapshots && open && latest != null) {
            writeSnapshotIfChanged(updates);
        }
        open = false;
        if (metrics != null) {
            metrics.close();
        }
        indexes.values().forEach(VectorIndex::close);
        indexes.clear();
    }

    /** Persistent when snapshots are on: Kafka Streams then asks it for its committed offsets. */
    @Override
    public boolean persistent() {
        return snapshots;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** What was found at start-up: a loaded snapshot, or why the store rebuilt from its topic. */
    public SnapshotStatus snapshotStatus() {
        return snapshotStatus;
    }

    // ------------------------------------------------------------------------------------------ writes

    /** Inserts or replaces {@code key} in {@code space}; see {@link VectorIndex#upsert}. */
    public boolean upsert(String space, String key, long version, float[] vector, P payload) {
        VectorIndex<P> index = indexes.computeIfAbsent(space,
                s -> metered(s, VectorIndexes.create(indexName(s), spec(s), vector.length, tuning)));
        boolean applied = index.upsert(key, version, vector, payload);
        if (applied) {
            updates++;
        }
        return applied;
    }

    /** Removes {@code key} from {@code space}; see {@link VectorIndex#delete}. */
    public boolean delete(String space, String key, long version) {
        VectorIndex<P> index = indexes.get(space);
        boolean applied = index != null && index.delete(key, version);
        if (applied) {
            updates++;
        }
        return applied;
    }

    /** Removes {@code key} from every space (a tombstone erases the key everywhere). */
    public void deleteEverywhere(String key, long version) {
        for (String space : indexes.keySet()) {
            delete(space, key, version);
        }
    }

    // ------------------------------------------------------------------------------------------ reads

    public Set<String> spaces() {
        return Set.copyOf(indexes.keySet());
    }

    public Optional<VectorIndex<P>> index(String space) {
        return Optional.ofNullable(indexes.get(space));
    }

    /** Live items in {@code space}, 0 when the space has none yet. */
    public int size(String space) {
        VectorIndex<P> index = indexes.get(space);
        return index == null ? 0 : index.size();
    }

    /** Applied writes since the store opened (replayed ones included). */
    public long updates() {
        return updates;
    }

    /** Statistics of every space. */
    public Map<String, IndexStats> stats() {
        Map<String, IndexStats> stats = new TreeMap<>();
        indexes.forEach((space, index) -> stats.put(space, index.stats()));
        return stats;
    }

    /** Approximate top-k in {@code space} with its default {@code ef}; empty when the space has no index yet. */
    public List<Neighbour<P>> search(String space, float[] query, int k, Predicate<IndexedVector<P>> filter) {
        VectorIndex<P> index = indexes.get(space);
        return index == null || index.size() == 0 ? List.of() : index.search(query, k, filter);
    }

    /** Approximate top-k in {@code space} with this query's {@code ef}. */
    public List<Neighbour<P>> search(String space, float[] query, int k, int ef, Predicate<IndexedVector<P>> filter) {
        VectorIndex<P> index = indexes.get(space);
        return index == null || index.size() == 0 ? List.of() : index.search(query, k, ef, filter);
    }

    /** Exact top-k in {@code space}. */
    public List<Neighbour<P>> exactSearch(String space, float[] query, int k, Predicate<IndexedVector<P>> filter) {
        VectorIndex<P> index = indexes.get(space);
        return index == null || index.size() == 0 ? List.of() : index.exactSearch(query, k, filter);
    }

    /** Every item of {@code space} within {@code radius}, nearest first, at most {@code limit}. */
    public List<Neighbour<P>> rangeSearch(String space, float[] query, float radius, int limit,
            Predicate<IndexedVector<P>> filter) {
        VectorIndex<P> index = indexes.get(space);
        return index == null || index.size() == 0 ? List.of() : index.rangeSearch(query, radius, limit, filter);
    }

    /**
     * Searches several spaces at once and fuses the results, as Milvus's multi-vector search does: each space
     * with a query contributes its top {@code 2k} (approximate, default {@code ef}), and {@code fusion} ranks
     * the keys by their combined score. Spaces without an index are skipped.
     *
     * @param queries a query vector per space
     */
    public List<HybridHit<P>> hybridSearch(Map<String, float[]> queries, int k, Fusion fusion,
            Predicate<IndexedVector<P>> filter) {
        Map<String, List<Neighbour<P>>> perSpace = new TreeMap<>();
        Map<String, DistanceMetric> metrics = new HashMap<>();
        queries.forEach((space, query) -> {
            VectorIndex<P> index = indexes.get(space);
            if (index != null && index.size() > 0) {
                perSpace.put(space, index.search(query, 2 * k, filter));
                metrics.put(space, index.metric());
            }
        });
        return fusion.fuse(perSpace, metrics, k);
    }
}
