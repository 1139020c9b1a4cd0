package dev.kindred.clinical.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The features that bring a neighbour closest: the largest gains, ties by name, never more than three. */
class SharedFeaturesTest {

    /** The plain definition: sum the gains per feature, keep the positive ones, sort, take three. */
    private static List<String> reference(List<String> dims, float[] own, float[] other) {
        Map<String, Double> gains = new LinkedHashMap<>();
        for (int i = 0; i < dims.size(); i++) {
            double a = own[i];
            double b = other[i];
            gains.merge(dims.get(i).split(":")[0], a * a - (a - b) * (a - b), Double::sum);
        }
        return gains.entrySet().stream().filter(e -> e.getValue() > 1e-6)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(3).map(Map.Entry::getKey).toList();
    }

    @Test
    void theLargestGainsTiesByNameAsTheDefinitionSays() {
        Random random = new Random(3);
        List<String> dims = new ArrayList<>();
        for (int f = 0; f < 40; f++) {
            dims.add("f" + f);
            dims.add("f" + f + ":level");
        }
        AlertFactory.DimensionGroups groups = AlertFactory.DimensionGroups.of(dims, true);
        for (int trial = 0; trial < 2_000; trial++) {
            float[] own = new float[dims.size()];
            float[] other = new float[dims.size()];
            for (int i = 0; i < own.length; i++) {
                // Few distinct values, so ties happen.
                own[i] = random.nextInt(5) - 2;
                other[i] = random.nextInt(3) == 0 ? own[i] : random.nextInt(5) - 2;
            }
            assertThat(AlertFactory.sharedFeatures(groups, own, other)).isEqualTo(reference(dims, own, other));
        }
    }
}
