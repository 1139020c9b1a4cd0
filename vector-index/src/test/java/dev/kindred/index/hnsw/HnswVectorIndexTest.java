package dev.kindred.index.hnsw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexStats;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.TestVectors;
import dev.kindred.index.kernels.VectorMath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HnswVectorIndexTest {
    /** Compactions run on the calling thread, so tests see their result at once. */
    private static final IndexTuning INLINE = IndexTuning.DEFAULTS.withMaintenance(Runnable::run);

    private static final IndexSpec EUCLIDEAN = new IndexSpec(DistanceMetric.EUCLIDEAN, HnswParameters.DEFAULTS);

    private static HnswVectorIndex<String> index(DistanceMetric metric, int dims) {
        return new HnswVectorIndex<>("test", new IndexSpec(metric, HnswParameters.DEFAULTS), dims, INLINE);
    }

    @Test
    void recallAtLeast095On20000ClusteredVectorsAtTheDefaultEf() {
        TestVectors data = new TestVectors(100, 64, 0.6, 42);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 64);
        for (int i = 0; i < 20_000; i++) {
            index.upsert("k" + i, 1, data.next(), null);
        }
        assertThat(index.size()).isEqualTo(20_000);
        double recall = data.recall(index, 200, 10, HnswParameters.DEFAULTS.ef());
        assertThat(recall).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void cosineAndInnerProductSearchAgreeWithExactSearch() {
        for (DistanceMetric metric : List.of(DistanceMetric.COSINE, DistanceMetric.INNER_PRODUCT)) {
            TestVectors data = new TestVectors(20, 32, 0.3, 7);
            HnswVectorIndex<String> index = index(metric, 32);
            for (int i = 0; i < 3000; i++) {
                float[] v = data.next();
                if (metric == DistanceMetric.INNER_PRODUCT) {
                    normalize(v);
                }
                index.upsert("k" + i, 1, v, null);
            }
            assertThat(data.recall(index, 100, 10, 64)).as(metric.name()).isGreaterThanOrEqualTo(0.95);
            float[] query = data.next();
            Neighbour<String> nearest = index.exactSearch(query, 1, null).get(0);
            assertThat(nearest.distance()).as("reported in the metric's terms")
                    .isCloseTo(metric.distance(query, nearest.item().vector()), org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    @Test
    void euclideanDistancesAreReportedUnsquared() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 2);
        index.upsert("a", 1, new float[] {3, 4}, null);
        assertThat(index.search(new float[] {0, 0}, 1, null).get(0).distance()).isEqualTo(5f);
        assertThat(index.exactSearch(new float[] {0, 0}, 1, null).get(0).distance()).isEqualTo(5f);
    }

    @Test
    void anOlderVersionNeverReplacesANewerOne() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 2);
        assertThat(index.upsert("a", 5, new float[] {1, 1}, "v5")).isTrue();
        assertThat(index.upsert("a", 4, new float[] {9, 9}, "v4")).isFalse();
        assertThat(index.get("a")).hasValueSatisfying(item -> {
            assertThat(item.version()).isEqualTo(5);
            assertThat(item.vector()).containsExactly(1f, 1f);
            assertThat(item.payload()).isEqualTo("v5");
        });
        assertThat(index.search(new float[] {9, 9}, 1, null)).extracting(Neighbour::key).containsExactly("a");
        assertThat(index.search(new float[] {9, 9}, 1, null).get(0).item().vector()).containsExactly(1f, 1f);
        assertThat(index.delete("a", 4)).as("an older delete").isFalse();
        assertThat(index.upsert("a", 5, new float[] {1, 1}, "v5 again")).as("the same version again").isTrue();
        assertThat(index.upsert("a", 6, new float[] {2, 2}, "v6")).isTrue();
        assertThat(index.get("a").orElseThrow().vector()).containsExactly(2f, 2f);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void aNewVersionWithTheSameVectorSwapsPayloadAndVersionOnly() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 2);
        index.upsert("a", 1, new float[] {1, 1}, "old");
        index.upsert("a", 2, new float[] {1, 1}, "new");
        assertThat(index.stats().slots()).isEqualTo(1);
        assertThat(index.search(new float[] {1, 1}, 1, null).get(0).item())
                .satisfies(item -> assertThat(item.payload()).isEqualTo("new"))
                .satisfies(item -> assertThat(item.version()).isEqualTo(2));
    }

    @Test
    void deleteRemovesTheItemFromTopKExactAndRangeSearch() {
        TestVectors data = new TestVectors(5, 8, 0.5, 3);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 8);
        for (int i = 0; i < 500; i++) {
            index.upsert("k" + i, 1, data.next(), null);
        }
        float[] target = index.get("k42").orElseThrow().vector().clone();
        assertThat(index.search(target, 1, null)).extracting(Neighbour::key).containsExactly("k42");

        assertThat(index.delete("k42", 0)).as("older version").isFalse();
        assertThat(index.delete("k42", 2)).isTrue();
        assertThat(index.delete("k42", 3)).as("already gone").isFalse();

        assertThat(index.get("k42")).isEmpty();
        assertThat(index.size()).isEqualTo(499);
        assertThat(TestVectors.keys(index.search(target, 10, null))).doesNotContain("k42").hasSize(10);
        assertThat(TestVectors.keys(index.search(target, 10, 500, null))).doesNotContain("k42");
        assertThat(TestVectors.keys(index.exactSearch(target, 10, null))).doesNotContain("k42").hasSize(10);
        assertThat(TestVectors.keys(index.rangeSearch(target, 1e9f, 1000, null))).doesNotContain("k42").hasSize(499);
        assertThat(index.rangeSearch(target, 0f, 10, null)).isEmpty();

        assertThat(index.upsert("k42", 0, target, null)).as("a deleted key starts afresh").isTrue();
        assertThat(index.search(target, 1, null)).extracting(Neighbour::key).containsExactly("k42");
        assertThat(index.stats().slots()).as("the tombstoned slot was reused").isEqualTo(500);
    }

    @Test
    void itemsInsertedAmongTombstonesAreStillFound() {
        TestVectors data = new TestVectors(5, 8, 0.5, 23);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 8);
        for (int i = 0; i < 300; i++) {
            index.upsert("old" + i, 1, data.next(), null);
        }
        for (int i = 0; i < 300; i++) {
            index.delete("old" + i, 1);
        }
        assertThat(index.size()).isZero();
        assertThat(index.search(data.next(), 5, null)).isEmpty();
        for (int i = 0; i < 400; i++) { // the first 300 reuse the tombstoned slots, the rest are new slots
            index.upsert("new" + i, 1, data.next(), null);
        }
        for (int i = 0; i < 400; i++) {
            float[] v = index.get("new" + i).orElseThrow().vector();
            assertThat(index.search(v, 1, null)).extracting(Neighbour::key).containsExactly("new" + i);
        }
    }

    @Test
    void rangeSearchReturnsExactlyTheItemsWithinTheRadius() {
        TestVectors data = new TestVectors(10, 16, 0.8, 11);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 16);
        Map<String, float[]> vectors = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            float[] v = data.next();
            vectors.put("k" + i, v);
            index.upsert("k" + i, 1, v, null);
        }
        for (int q = 0; q < 20; q++) {
            float[] query = data.next();
            float radius = index.exactSearch(query, 50, null).get(49).distance();
            List<Neighbour<String>> range = index.rangeSearch(query, radius, 10_000, null);

            List<String> brute = vectors.entrySet().stream()
                    .filter(e -> DistanceMetric.EUCLIDEAN.distance(query, e.getValue()) <= radius)
                    .map(Map.Entry::getKey).sorted().collect(Collectors.toList());
            // The kernels may round the last bit differently from the reference: only items right at the radius
            // could differ, so compare away from it and check the boundary separately.
            List<String> found = range.stream().map(Neighbour::key).sorted().collect(Collectors.toList());
            assertThat(found).containsAll(brute.stream().filter(k ->
                    DistanceMetric.EUCLIDEAN.distance(query, vectors.get(k)) < radius * 0.9999f).toList());
            assertThat(range).allSatisfy(n -> assertThat(n.distance()).isLessThanOrEqualTo(radius));
            assertThat(range).hasSizeGreaterThanOrEqualTo(50);
            assertThat(range).isSortedAccordingTo(java.util.Comparator.comparingDouble(Neighbour::distance));
            assertThat(TestVectors.keys(range)).isEqualTo(TestVectors.keys(index.exactSearch(query, 2000, null)
                    .stream().filter(n -> n.distance() <= radius).toList()));

            List<Neighbour<String>> limited = index.rangeSearch(query, radius, 5, null);
            assertThat(limited).extracting(Neighbour::key).containsExactlyElementsOf(
                    index.exactSearch(query, 5, null).stream().map(Neighbour::key).toList());
        }
    }

    @Test
    void filterExcludesItemsAndStillReturnsK() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 1);
        for (int i = 0; i < 50; i++) {
            index.upsert("k" + i, 1, new float[] {i}, i % 2 == 0 ? "even" : "odd");
        }
        List<Neighbour<String>> hits = index.search(new float[] {0}, 5, item -> "odd".equals(item.payload()));
        assertThat(hits).extracting(Neighbour::key).containsExactly("k1", "k3", "k5", "k7", "k9");
        assertThat(index.exactSearch(new float[] {0}, 2, item -> "odd".equals(item.payload())))
                .extracting(Neighbour::key).containsExactly("k1", "k3");
        assertThat(index.rangeSearch(new float[] {0}, 4, 10, item -> "even".equals(item.payload())))
                .extracting(Neighbour::key).containsExactly("k0", "k2", "k4");
    }

    @Test
    void aSelectiveFilterStillFindsTheAcceptedItems() {
        TestVectors data = new TestVectors(20, 16, 0.5, 5);
        HnswVectorIndex<Integer> index = new HnswVectorIndex<>("t", EUCLIDEAN, 16, INLINE);
        for (int i = 0; i < 3000; i++) {
            index.upsert("k" + i, 1, data.next(), i);
        }
        float[] query = data.next();
        List<Neighbour<Integer>> hits = index.search(query, 10, item -> item.payload() % 100 == 0);
        assertThat(hits).extracting(Neighbour::key)
                .containsExactlyElementsOf(index.exactSearch(query, 10, item -> item.payload() % 100 == 0)
                        .stream().map(Neighbour::key).toList());
    }

    @Test
    void rejectsVectorsOfTheWrongDimensionAndNonFiniteValues() {
        HnswVectorIndex<String> index = index(DistanceMetric.COSINE, 3);
        assertThatThrownBy(() -> index.upsert("a", 1, new float[] {1, 2}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3-dimensional");
        assertThatThrownBy(() -> index.upsert("a", 1, new float[] {1, Float.NaN, 2}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> index.search(new float[] {1, 2}, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dimensions");
        assertThat(index.size()).isZero();
        assertThat(index.search(new float[] {1, 2, 3}, 3, null)).isEmpty();
    }

    @Test
    void keepsItsOwnCopyOfUpsertedVectors() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 2);
        float[] v = {1, 1};
        index.upsert("a", 1, v, null);
        v[0] = 100;
        assertThat(index.get("a").orElseThrow().vector()).containsExactly(1f, 1f);
    }

    @Test
    void growsPastItsInitialCapacityWithoutLosingUpsertedItems() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 4);
        Random random = new Random(1);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 1500; i++) {
                float[] v = {random.nextFloat(), random.nextFloat(), random.nextFloat(), random.nextFloat()};
                assertThat(index.upsert("k" + i, round, v, null)).isTrue();
            }
        }
        assertThat(index.size()).isEqualTo(1500);
        assertThat(index.stats().slots()).as("changed vectors are updated in place").isEqualTo(1500);
        for (int i = 0; i < 1500; i += 97) {
            assertThat(index.get("k" + i)).isPresent().get().extracting(IndexedVector::version).isEqualTo(2L);
        }
    }

    @Test
    void updatedVectorsAreFoundAtTheirNewPlaceAndRecallHolds() {
        TestVectors data = new TestVectors(50, 32, 0.6, 21);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 32);
        for (int i = 0; i < 5000; i++) {
            index.upsert("k" + i, 1, data.next(), null);
        }
        Random random = data.random();
        for (int i = 0; i < 2500; i++) {
            String key = "k" + random.nextInt(5000);
            float[] old = index.get(key).orElseThrow().vector();
            float[] moved = data.next();
            index.upsert(key, index.get(key).orElseThrow().version() + 1, moved, null);
            if (i % 250 == 0) {
                assertThat(index.search(moved, 1, null)).extracting(Neighbour::key).containsExactly(key);
                assertThat(index.search(old, 1, null).get(0).distance()).isGreaterThan(0f);
            }
        }
        assertThat(index.size()).isEqualTo(5000);
        assertThat(data.recall(index, 200, 10, HnswParameters.DEFAULTS.ef())).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void compactionRemovesTombstonesAndKeepsTheResults() {
        TestVectors data = new TestVectors(20, 16, 0.6, 9);
        HnswVectorIndex<String> index = new HnswVectorIndex<>("t", EUCLIDEAN, 16, INLINE.withCompaction(0.3335, 100));
        for (int i = 0; i < 3000; i++) {
            index.upsert("k" + i, 1, data.next(), null);
        }
        List<float[]> queries = new ArrayList<>();
        for (int q = 0; q < 50; q++) {
            queries.add(data.next());
        }
        for (int i = 0; i < 3000; i += 3) {
            index.delete("k" + i, 1);
        }
        IndexStats before = index.stats();
        assertThat(before.compactions()).isZero();
        assertThat(before.deleted()).isEqualTo(1000);
        assertThat(before.deletedFraction()).isCloseTo(1 / 3.0, org.assertj.core.data.Offset.offset(0.001));
        List<List<String>> exactBefore = queries.stream()
                .map(q -> index.exactSearch(q, 10, null).stream().map(Neighbour::key).toList()).toList();

        index.delete("k1", 1); // 1,001 of 3,000 slots: past the threshold, so it compacts

        IndexStats after = index.stats();
        assertThat(after.compactions()).isEqualTo(1);
        assertThat(after.deleted()).isZero();
        assertThat(after.slots()).isEqualTo(1999).isEqualTo(after.size());
        assertThat(after.estimatedBytes()).isLessThan(before.estimatedBytes());
        assertThat(index.get("k1")).isEmpty();
        assertThat(index.get("k2")).isPresent();
        for (int q = 0; q < queries.size(); q++) {
            List<String> expected = exactBefore.get(q).stream().filter(k -> !k.equals("k1")).toList();
            assertThat(index.exactSearch(queries.get(q), 10, null).stream().map(Neighbour::key).toList())
                    .startsWith(expected.toArray(String[]::new));
        }
        assertThat(data.recall(index, 100, 10, 64)).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void writesDuringABackgroundCompactionAreCarriedOver() {
        AtomicReference<Runnable> pending = new AtomicReference<>();
        HnswVectorIndex<String> index = new HnswVectorIndex<>("t", EUCLIDEAN, 2,
                IndexTuning.DEFAULTS.withMaintenance(pending::set).withCompaction(0.5, 2));
        for (int i = 0; i < 4; i++) {
            index.upsert("k" + i, 1, new float[] {i, i}, "v1");
        }
        index.delete("k0", 1);
        index.delete("k1", 1);
        assertThat(index.stats().compacting()).isTrue();
        // writes while the new graph is being built
        index.upsert("k2", 2, new float[] {20, 20}, "v2");
        index.upsert("k9", 1, new float[] {9, 9}, "new");
        index.delete("k3", 1);
        assertThat(index.size()).isEqualTo(2);

        pending.get().run(); // the background rebuild completes and is swapped in

        IndexStats stats = index.stats();
        assertThat(stats.compacting()).isFalse();
        assertThat(stats.compactions()).isEqualTo(1);
        assertThat(index.size()).isEqualTo(2);
        assertThat(index.get("k3")).isEmpty();
        assertThat(index.get("k2").orElseThrow()).satisfies(item -> {
            assertThat(item.vector()).containsExactly(20f, 20f);
            assertThat(item.payload()).isEqualTo("v2");
        });
        assertThat(index.search(new float[] {9, 9}, 2, null)).extracting(Neighbour::key).containsExactly("k9", "k2");
    }

    @Test
    void statsReportSizeTombstonesMemoryAndSearches() {
        TestVectors data = new TestVectors(10, 16, 0.6, 13);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 16);
        for (int i = 0; i < 1000; i++) {
            index.upsert("k" + i, 1, data.next(), null);
        }
        for (int i = 0; i < 100; i++) {
            index.delete("k" + i, 1);
        }
        for (int q = 0; q < 20; q++) {
            index.search(data.next(), 10, null);
        }
        IndexStats stats = index.stats();
        assertThat(stats.size()).isEqualTo(900);
        assertThat(stats.slots()).isEqualTo(1000);
        assertThat(stats.deleted()).isEqualTo(100);
        assertThat(stats.deletedFraction()).isEqualTo(0.1);
        assertThat(stats.dimensions()).isEqualTo(16);
        assertThat(stats.memory().vectorBytes()).as("at least the vectors").isGreaterThan(1000L * 16 * 4);
        assertThat(stats.memory().graphBytes()).as("at least the level-0 links").isGreaterThan(1000L * 33 * 4);
        assertThat(stats.memory().codeBytes()).isZero();
        assertThat(stats.memory().mappedVectorBytes()).isZero();
        assertThat(stats.estimatedBytes()).isEqualTo(stats.memory().vectorBytes() + stats.memory().graphBytes()
                + stats.memory().keyBytes());
        assertThat(stats.quantization()).isEqualTo("none");
        assertThat(stats.searches()).isEqualTo(20);
        assertThat(stats.meanSearchMicros()).isPositive();
        assertThat(stats.sampledRecall()).as("sampled by a decorator, not here").isNaN();
    }

    @Test
    void concurrentSearchesDuringWritesSeeConsistentItems() throws Exception {
        TestVectors data = new TestVectors(20, 16, 0.6, 17);
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 16);
        for (int i = 0; i < 2000; i++) {
            index.upsert("k" + i, 1, data.next(), "p" + i);
        }
        float[][] queries = new float[100][];
        for (int q = 0; q < queries.length; q++) {
            queries[q] = data.next();
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread reader = new Thread(() -> {
                try {
                    int q = 0;
                    while (done.getCount() > 0) {
                        for (Neighbour<String> n : index.search(queries[q++ % queries.length], 10, null)) {
                            if (!n.item().payload().equals("p" + n.key().substring(1))) {
                                throw new AssertionError("item of another key: " + n);
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            reader.start();
            readers.add(reader);
        }
        Random random = data.random();
        for (int i = 0; i < 3000; i++) {
            int k = random.nextInt(2500);
            if (random.nextInt(4) == 0) {
                index.delete("k" + k, Long.MAX_VALUE);
            } else {
                index.upsert("k" + k, i + 2, data.next(), "p" + k);
            }
        }
        done.countDown();
        for (Thread reader : readers) {
            reader.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(data.recall(index, 100, 10, 64)).isGreaterThanOrEqualTo(0.95);
    }

    private static void normalize(float[] v) {
        float norm = VectorMath.norm(v);
        for (int i = 0; i < v.length; i++) {
            v[i] /= norm;
        }
    }
}
