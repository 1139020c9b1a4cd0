package dev.kindred.index.hnsw;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.HnswParameters;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.Neighbour;
import dev.kindred.index.Quantization;
import dev.kindred.index.TestVectors;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Filtered search inside the graph walk: selective filters still find the true nearest accepted items. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FilteredSearchTest {
    private static final int N = 20_000;
    private static final int DIMS = 32;
    private static final int CLUSTERS = 100;

    /** Payload: the item's cluster and a random draw, so filters can be random or follow the clusters. */
    record Tag(int cluster, int draw) {
    }

    private HnswVectorIndex<Tag> index;
    private float[][] centres;
    private Random random;

    @BeforeAll
    void build() {
        random = new Random(31);
        centres = new float[CLUSTERS][DIMS];
        for (float[] c : centres) {
            for (int d = 0; d < DIMS; d++) {
                c[d] = (float) random.nextGaussian();
            }
        }
        index = new HnswVectorIndex<>("f", new IndexSpec(DistanceMetric.EUCLIDEAN, HnswParameters.DEFAULTS), DIMS,
                IndexTuning.DEFAULTS.withMaintenance(Runnable::run));
        for (int i = 0; i < N; i++) {
            int cluster = random.nextInt(CLUSTERS);
            index.upsert("k" + i, 1, around(cluster), new Tag(cluster, random.nextInt(1000)));
        }
    }

    private float[] around(int cluster) {
        float[] v = new float[DIMS];
        for (int d = 0; d < DIMS; d++) {
            v[d] = (float) (centres[cluster][d] + random.nextGaussian() * 0.6);
        }
        return v;
    }

    /** Mean recall@10 of filtered approximate search against the exact filtered top 10. */
    private double recall(HnswVectorIndex<Tag> index, Predicate<IndexedVector<Tag>> filter, int queries) {
        long found = 0;
        long wanted = 0;
        for (int q = 0; q < queries; q++) {
            float[] query = around(random.nextInt(CLUSTERS));
            List<String> truth = index.exactSearch(query, 10, filter).stream().map(Neighbour::key).toList();
            assertThat(truth).hasSize(10);
            found += index.search(query, 10, 64, filter).stream().filter(n -> truth.contains(n.key())).count();
            wanted += truth.size();
        }
        return found / (double) wanted;
    }

    @Test
    void aFivePercentRandomFilterFindsTheTrueNearestAcceptedItemsAsWellAsNoFilterDoes() {
        double unfiltered = recall(index, null, 200);
        double filtered = recall(index, item -> item.payload().draw() < 50, 200);
        assertThat(filtered).isGreaterThanOrEqualTo(unfiltered - 0.02).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void aFilterThatFollowsTheClustersIsFoundFromQueriesElsewhere() {
        // 5 of 100 clusters pass; most queries start in a cluster that does not
        double filtered = recall(index, item -> item.payload().cluster() % 20 == 3, 200);
        assertThat(filtered).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void whereTheWalkIsCheaperThanAScanTheFilterIsAppliedInsideIt() {
        // a quarter of 20,000 items pass: the walk scores far fewer than the 5,000 an exact scan would
        AtomicLong tested = new AtomicLong();
        Predicate<IndexedVector<Tag>> quarter = item -> item.payload().draw() < 250;
        int queries = 50;
        for (int q = 0; q < queries; q++) {
            index.search(around(random.nextInt(CLUSTERS)), 10, 64, item -> {
                tested.incrementAndGet();
                return quarter.test(item);
            });
        }
        assertThat(tested.get() / queries).as("filter calls per search (an exact scan would make %d)", N)
                .isLessThan(N / 4);
        assertThat(recall(index, quarter, 100)).isGreaterThanOrEqualTo(0.98);
    }

    @Test
    void aFilterThatAcceptsAlmostNothingIsAnsweredExactly() {
        Predicate<IndexedVector<Tag>> rare = item -> item.payload().draw() == 7 && item.payload().cluster() < 30;
        for (int q = 0; q < 20; q++) {
            float[] query = around(random.nextInt(CLUSTERS));
            assertThat(index.search(query, 10, 64, rare)).extracting(Neighbour::key).containsExactlyElementsOf(
                    index.exactSearch(query, 10, rare).stream().map(Neighbour::key).toList());
        }
    }

    @Test
    void aQuantizedIndexFiltersInsideTheWalkToo() {
        HnswVectorIndex<Tag> int8 = new HnswVectorIndex<>("f8", new IndexSpec(DistanceMetric.EUCLIDEAN,
                HnswParameters.DEFAULTS, Quantization.int8()), DIMS, IndexTuning.DEFAULTS);
        for (IndexedVector<Tag> item : index.items()) {
            int8.upsert(item.key(), 1, item.vector(), item.payload());
        }
        double unfiltered = recall(int8, null, 100);
        double filtered = recall(int8, item -> item.payload().draw() < 50, 100);
        assertThat(filtered).isGreaterThanOrEqualTo(unfiltered - 0.03);
        int8.close();
    }
}
