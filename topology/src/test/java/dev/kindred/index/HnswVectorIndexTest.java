package dev.kindred.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HnswVectorIndexTest {

    private static HnswVectorIndex<String> index(DistanceMetric metric, int dims) {
        return new HnswVectorIndex<>("test", metric, dims, HnswParameters.DEFAULTS);
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
        assertThat(index.upsert("a", 6, new float[] {2, 2}, "v6")).isTrue();
        assertThat(index.get("a").orElseThrow().vector()).containsExactly(2f, 2f);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void deleteRemovesTheItemFromApproximateAndExactSearch() {
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, 2);
        index.upsert("near", 1, new float[] {0, 0}, null);
        index.upsert("far", 1, new float[] {10, 10}, null);
        assertThat(index.delete("near", 0)).as("older version").isFalse();
        assertThat(index.delete("near", 2)).isTrue();
        assertThat(index.search(new float[] {0, 0}, 2, null)).extracting(Neighbour::key).containsExactly("far");
        assertThat(index.exactSearch(new float[] {0, 0}, 2, null)).extracting(Neighbour::key).containsExactly("far");
        assertThat(index.size()).isEqualTo(1);
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
        for (int i = 0; i < 1500; i += 97) {
            assertThat(index.get("k" + i)).isPresent().get().extracting(IndexedVector::version).isEqualTo(2L);
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
    }

    @Test
    void rejectsVectorsOfTheWrongDimension() {
        HnswVectorIndex<String> index = index(DistanceMetric.COSINE, 3);
        assertThatThrownBy(() -> index.upsert("a", 1, new float[] {1, 2}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3-dimensional");
    }

    @Test
    void approximateSearchAgreesWithExactSearchOnClusteredData() {
        int dims = 16;
        HnswVectorIndex<String> index = index(DistanceMetric.EUCLIDEAN, dims);
        Random random = new Random(42);
        float[][] centres = new float[20][dims];
        for (float[] c : centres) {
            for (int d = 0; d < dims; d++) {
                c[d] = (float) random.nextGaussian() * 5;
            }
        }
        for (int i = 0; i < 3000; i++) {
            float[] c = centres[i % centres.length];
            float[] v = new float[dims];
            for (int d = 0; d < dims; d++) {
                v[d] = c[d] + (float) random.nextGaussian();
            }
            index.upsert("k" + i, 1, v, null);
        }
        int hits = 0;
        int queries = 100;
        for (int q = 0; q < queries; q++) {
            float[] c = centres[q % centres.length];
            float[] query = new float[dims];
            for (int d = 0; d < dims; d++) {
                query[d] = c[d] + (float) random.nextGaussian();
            }
            Set<String> exact = index.exactSearch(query, 10, null).stream().map(Neighbour::key).collect(Collectors.toSet());
            Set<String> approx = new HashSet<>();
            index.search(query, 10, null).forEach(n -> approx.add(n.key()));
            approx.retainAll(exact);
            hits += approx.size();
        }
        assertThat(hits / (double) (queries * 10)).isGreaterThanOrEqualTo(0.95);
    }
}
