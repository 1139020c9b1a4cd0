package dev.kindred.topology.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.Fusion;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.HybridHit;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexStats;
import dev.kindred.index.Quantization;
import dev.kindred.index.TestVectors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VectorIndexStoreTest {
    private static final TopicPartition P0 = new TopicPartition("vectors", 0);
    private static final TopicPartition P1 = new TopicPartition("vectors", 1);

    @TempDir
    Path stateDir;

    private StateStoreContext context() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        return new MockProcessorContext<Void, Void>(props, new TaskId(0, 0), stateDir.toFile()).getStateStoreContext();
    }

    private VectorIndexStoreBuilder<String> builder() {
        return new VectorIndexStoreBuilder<String>("index", DistanceMetric.EUCLIDEAN, HnswParameters.DEFAULTS)
                .withSpace("imaging", new IndexSpec(DistanceMetric.COSINE, HnswParameters.DEFAULTS))
                .withPayloadCodec(VectorIndexSnapshotTest.STRINGS)
                .withSourceTopic("vectors");
    }

    private VectorIndexStore<String> open(VectorIndexStoreBuilder<String> builder) {
        VectorIndexStore<String> store = builder.build();
        StateStoreContext context = context();
        store.init(context, store);
        return store;
    }

    private static void fill(VectorIndexStore<String> store, int from, int to, long version) {
        TestVectors data = new TestVectors(5, 8, 0.5, from);
        for (int i = from; i < to; i++) {
            store.upsert("clinical", "k" + i, version, data.next(), "p" + i);
            if (i % 2 == 0) {
                store.upsert("imaging", "k" + i, version, data.next(), "p" + i);
            }
        }
    }

    private Path snapshot() {
        return stateDir.resolve("index" + VectorIndexStore.SNAPSHOT_SUFFIX);
    }

    @Test
    void aRestartLoadsTheSnapshotAndReportsItsOffsets() {
        VectorIndexStore<String> store = open(builder());
        assertThat(store.persistent()).isTrue();
        assertThat(store.snapshotStatus().loaded()).isFalse();
        assertThat(store.committedOffset(P0)).isNull();
        fill(store, 0, 300, 1);
        store.delete("clinical", "k3", 1);
        store.commit(Map.of(P0, 200L, P1, 100L));
        assertThat(snapshot()).exists();
        assertThat(store.committedOffset(P0)).isEqualTo(200L);
        Map<String, IndexStats> before = store.stats();
        store.close();

        VectorIndexStore<String> restarted = open(builder());
        assertThat(restarted.snapshotStatus().loaded()).isTrue();
        assertThat(restarted.snapshotStatus().items()).isEqualTo(299 + 150);
        assertThat(restarted.committedOffset(P0)).isEqualTo(200L);
        assertThat(restarted.committedOffset(P1)).isEqualTo(100L);
        assertThat(restarted.committedOffset(new TopicPartition("vectors", 2))).as("a new partition: from the start")
                .isNull();
        assertThat(restarted.spaces()).containsExactlyInAnyOrder("clinical", "imaging");
        assertThat(restarted.index("imaging").orElseThrow().metric()).isEqualTo(DistanceMetric.COSINE);
        assertThat(restarted.stats().get("clinical").size()).isEqualTo(before.get("clinical").size());
        assertThat(restarted.index("clinical").orElseThrow().get("k3")).isEmpty();
        assertThat(restarted.index("clinical").orElseThrow().get("k4").orElseThrow().payload()).isEqualTo("p4");
        assertThat(restarted.updates()).as("nothing replayed yet").isZero();
        // replaying the tail is idempotent: the same versions change nothing but are accepted
        fill(restarted, 250, 300, 1);
        assertThat(restarted.size("clinical")).isEqualTo(299);
        restarted.close();
    }

    @Test
    void commitWritesOnlyWhenSomethingChangedAndAnEmptyCommitForgetsTheOffsets() throws IOException {
        VectorIndexStore<String> store = open(builder().withSnapshotInterval(Duration.ZERO));
        fill(store, 0, 10, 1);
        store.commit(Map.of(P0, 10L));
        long modified = Files.getLastModifiedTime(snapshot()).toMillis();
        Files.setLastModifiedTime(snapshot(), java.nio.file.attribute.FileTime.fromMillis(modified - 10_000));
        store.commit(Map.of(P0, 10L));
        assertThat(Files.getLastModifiedTime(snapshot()).toMillis()).as("unchanged: not rewritten")
                .isEqualTo(modified - 10_000);
        store.commit(Map.of(P0, 12L));
        assertThat(Files.getLastModifiedTime(snapshot()).toMillis()).as("new offsets: rewritten")
                .isGreaterThan(modified - 10_000);
        store.commit(Map.of());
        assertThat(snapshot()).doesNotExist();
        assertThat(store.committedOffset(P0)).isNull();
        store.close();
    }

    @Test
    void commitsWithinTheSnapshotIntervalAreWrittenOnClose() {
        VectorIndexStore<String> store = open(builder().withSnapshotInterval(Duration.ofHours(1)));
        fill(store, 0, 10, 1);
        store.commit(Map.of(P0, 10L));
        assertThat(store.committedOffset(P0)).as("the first commit writes").isEqualTo(10L);
        fill(store, 10, 20, 1);
        store.commit(Map.of(P0, 20L));
        assertThat(store.committedOffset(P0)).as("throttled: the snapshot on disk is still the first")
                .isEqualTo(10L);
        store.close();

        VectorIndexStore<String> restarted = open(builder());
        assertThat(restarted.committedOffset(P0)).as("written on close").isEqualTo(20L);
        assertThat(restarted.size("clinical")).isEqualTo(20);
        restarted.close();
    }

    @Test
    void aCloseAfterUncommittedWritesSnapshotsThemUnderTheLastCommitsOffsets() {
        VectorIndexStore<String> store = open(builder().withSnapshotInterval(Duration.ofHours(1)));
        fill(store, 0, 10, 1);
        store.commit(Map.of(P0, 10L));
        fill(store, 10, 20, 1);
        store.commit(Map.of(P0, 20L));
        fill(store, 20, 30, 1); // applied after the last commit
        store.close();

        VectorIndexStore<String> restarted = open(builder());
        assertThat(restarted.committedOffset(P0)).as("replay starts after the last commit").isEqualTo(20L);
        assertThat(restarted.size("clinical")).as("not from the first snapshot's 10").isEqualTo(30);
        // The replay after offset 20 brings the same records again: nothing changes, an older version is refused.
        fill(restarted, 20, 30, 1);
        assertThat(restarted.size("clinical")).isEqualTo(30);
        assertThat(restarted.upsert("clinical", "k25", 0, new float[8], "older")).isFalse();
        restarted.close();
    }

    @Test
    void aCorruptSnapshotIsDeletedAndTheStoreRebuildsFromTheTopic() throws IOException {
        VectorIndexStore<String> store = open(builder());
        fill(store, 0, 100, 1);
        store.commit(Map.of(P0, 100L));
        store.close();
        byte[] bytes = Files.readAllBytes(snapshot());
        bytes[bytes.length / 2] ^= 1;
        Files.write(snapshot(), bytes);

        VectorIndexStore<String> restarted = open(builder());
        assertThat(restarted.snapshotStatus().loaded()).isFalse();
        assertThat(restarted.snapshotStatus().detail()).contains("unreadable snapshot");
        assertThat(restarted.committedOffset(P0)).as("so Kafka Streams replays the whole topic").isNull();
        assertThat(restarted.spaces()).isEmpty();
        assertThat(snapshot()).doesNotExist();
        restarted.close();
    }

    @Test
    void aSnapshotOfAnotherConfigurationIsStaleAndIgnored() {
        VectorIndexStore<String> store = open(builder());
        fill(store, 0, 100, 1);
        store.commit(Map.of(P0, 100L));
        store.close();

        VectorIndexStore<String> otherTopic = open(builder().withSourceTopic("other"));
        assertThat(otherTopic.snapshotStatus().detail()).contains("stale snapshot").contains("source topic");
        assertThat(otherTopic.committedOffset(P0)).isNull();
        assertThat(otherTopic.spaces()).isEmpty();
        otherTopic.close();
    }

    @Test
    void withSnapshotsOffTheStoreIsInMemoryAndReplaysEverything() {
        VectorIndexStore<String> store = open(builder().withSnapshots(false));
        assertThat(store.persistent()).isFalse();
        fill(store, 0, 10, 1);
        store.commit(Map.of(P0, 10L));
        assertThat(store.committedOffset(P0)).isNull();
        assertThat(snapshot()).doesNotExist();
        store.close();
    }

    @Test
    void metricsAreRegisteredPerSpaceAndRemovedOnClose() {
        VectorIndexStore<String> store = builder().build();
        StateStoreContext context = context();
        store.init(context, store);
        fill(store, 0, 50, 1);
        store.delete("clinical", "k0", 1);
        store.search("clinical", new float[8], 5, null);
        Map<MetricName, ? extends Metric> metrics = context.metrics().metrics();
        assertThat(value(metrics, "size", "clinical")).isEqualTo(49.0);
        assertThat(value(metrics, "size", "imaging")).isEqualTo(25.0);
        assertThat(value(metrics, "deleted-fraction", "clinical")).isEqualTo(1 / 50.0);
        assertThat(value(metrics, "memory-bytes", "clinical")).isGreaterThan(50.0 * 8 * 4);
        assertThat(value(metrics, "search-total", "clinical")).isEqualTo(1.0);
        assertThat(value(metrics, "search-latency-max", "clinical")).isPositive();
        assertThat(metrics.keySet()).anyMatch(n -> n.name().equals("recall-sampled"));
        store.close();
        assertThat(context.metrics().metrics().keySet()).noneMatch(n -> n.group().equals(IndexMetrics.GROUP));
    }

    private static double value(Map<MetricName, ? extends Metric> metrics, String name, String space) {
        return metrics.entrySet().stream()
                .filter(e -> e.getKey().group().equals(IndexMetrics.GROUP) && e.getKey().name().equals(name)
                        && space.equals(e.getKey().tags().get("space")))
                .map(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .findFirst().orElseThrow(() -> new AssertionError("no metric " + name + " for " + space));
    }

    @Test
    void hybridSearchFusesTheSpaces() {
        VectorIndexStore<String> store = open(builder().withSnapshots(false));
        // clinical (euclidean, 2-d): a nearest, then b, then c.  imaging (cosine): c nearest, then b, then a.
        store.upsert("clinical", "a", 1, new float[] {0, 0}, "pa");
        store.upsert("clinical", "b", 1, new float[] {1, 0}, "pb");
        store.upsert("clinical", "c", 1, new float[] {2, 0}, "pc");
        store.upsert("imaging", "c", 1, new float[] {1, 0}, "pc");
        store.upsert("imaging", "b", 1, new float[] {1, 1}, "pb");
        store.upsert("imaging", "a", 1, new float[] {0, 1}, "pa");
        store.upsert("imaging", "d", 1, new float[] {-1, 0}, "pd");
        Map<String, float[]> queries = Map.of("clinical", new float[] {0, 0}, "imaging", new float[] {1, 0});

        List<HybridHit<String>> rrf = store.hybridSearch(queries, 3, Fusion.reciprocalRank(), null);
        // a: 1/61 + 1/63 and c: 1/63 + 1/61 tie (broken by key) ahead of b: 1/62 + 1/62; d: 1/64 is fourth
        assertThat(rrf).extracting(HybridHit::key).containsExactly("a", "c", "b");
        assertThat(rrf.get(0).score()).isCloseTo(1 / 61.0 + 1 / 63.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(rrf.get(2).score()).isCloseTo(2 / 62.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(rrf.get(2).matches()).containsOnlyKeys("clinical", "imaging");
        assertThat(rrf.get(2).item().payload()).isEqualTo("pb");

        List<HybridHit<String>> onlyImaging = store.hybridSearch(queries, 4,
                Fusion.weighted(Map.of("imaging", 1.0, "clinical", 0.0)), null);
        assertThat(onlyImaging).extracting(HybridHit::key).containsExactly("c", "b", "a", "d");
        assertThat(onlyImaging.get(0).score()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));

        List<HybridHit<String>> filtered = store.hybridSearch(queries, 3, Fusion.reciprocalRank(),
                item -> !item.key().equals("b"));
        assertThat(filtered).extracting(HybridHit::key).containsExactly("a", "c", "d");
        store.close();
    }

    @Test
    void aQuantizedSpaceKeepsItsFloatsInAnUnlinkedFileInTheStateDirectoryAndReportsItsCodes() throws IOException {
        // the builder's imaging space is cosine; quantization is laid over it
        VectorIndexStore<String> store = open(builder().withSnapshots(false)
                .withQuantization(Map.of("imaging", Quantization.int8())));
        TestVectors data = new TestVectors(10, 64, 0.5, 3);
        for (int i = 0; i < 1500; i++) {
            store.upsert("imaging", "k" + i, 1, data.next(), "p" + i);
        }
        IndexStats stats = store.stats().get("imaging");
        assertThat(stats.quantization()).isEqualTo("int8:2.0");
        assertThat(store.index("imaging").orElseThrow().metric()).isEqualTo(DistanceMetric.COSINE);
        assertThat(stats.memory().codeBytes()).isPositive();
        assertThat(stats.memory().mappedVectorBytes()).isEqualTo(1500L * 64 * 4);
        assertThat(store.search("imaging", data.next(), 5, null)).hasSize(5);
        try (var files = Files.list(stateDir)) {
            assertThat(files).noneMatch(p -> p.getFileName().toString().startsWith("kindred-vectors"));
        }
        store.close();
    }
}
