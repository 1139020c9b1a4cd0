package dev.kindred.clinical.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.clinical.patient.VectorWeights;
import dev.kindred.clinical.recommend.ResponseMetric;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricLearnerTest {
    private static final String DRUG = "rx|drug";
    private static final String PLACEBO = "rx|placebo";
    private static final int DIMS = 30;
    private static final int DECIDING = 7;
    private static final String DESIGN = "test vectors";

    private static List<String> dimensions() {
        List<String> dims = new ArrayList<>();
        for (int j = 0; j < DIMS; j++) {
            dims.add("f" + j + ":level");
        }
        return dims;
    }

    /**
     * A population whose response to DRUG turns on one dimension of thirty (p 0.9 above 0, 0.1 below), with
     * the other dimensions as loud as it; PLACEBO works for half the patients whatever they are like.
     */
    private static ResponseCases population(long seed, int patients) {
        return population(seed, patients, false);
    }

    /** With {@code twoValued}, the deciding dimension is ±½ like sex, its minority 45% of the patients. */
    private static ResponseCases population(long seed, int patients, boolean twoValued) {
        Random rng = new Random(seed);
        List<ResponseCases.Course> courses = new ArrayList<>();
        for (int i = 0; i < patients; i++) {
            float[] v = new float[DIMS];
            for (int j = 0; j < DIMS; j++) {
                v[j] = (float) rng.nextGaussian();
            }
            if (twoValued) {
                v[DECIDING] = rng.nextDouble() < 0.45 ? 0.5f : -0.5f;
            }
            boolean responds = rng.nextDouble() < (v[DECIDING] > 0 ? 0.9 : 0.1);
            courses.add(new ResponseCases.Course("p" + seed + "-" + i, DRUG, responds, v));
            courses.add(new ResponseCases.Course("p" + seed + "-" + i, PLACEBO, rng.nextBoolean(), v));
        }
        return new ResponseCases("seed " + seed, DESIGN, dimensions(), courses);
    }

    @Test
    void weighsTheDimensionThatDecidesResponseAndBeatsTheUnweightedDesign() {
        List<ResponseCases> populations = List.of(population(1, 120), population(2, 120));
        Map<String, MetricLearner.Outcome> learned = new MetricLearner(MetricLearner.Settings.DEFAULT).learn(populations);

        MetricLearner.Outcome drug = learned.get(DRUG);
        assertThat(drug.covered()).isTrue();
        assertThat(drug.folds()).isEqualTo(2);
        assertThat(drug.cvAuroc()).isGreaterThan(drug.cvAurocUnweighted() + 0.1).isGreaterThan(0.75);
        String heaviest = drug.weights().entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertThat(heaviest).isEqualTo("f" + DECIDING + ":level");
        // The deciding dimension outweighs the rest together: the neighbours are alike in it.
        double others = drug.weights().entrySet().stream().filter(e -> !e.getKey().equals(heaviest))
                .mapToDouble(Map.Entry::getValue).sum();
        assertThat(drug.weights().get(heaviest)).isGreaterThan(others);
        // Its share of the learned distance says the same, and the shares add up to the whole.
        assertThat(drug.influence().keySet().iterator().next()).isEqualTo(heaviest);
        assertThat(drug.influence().get(heaviest)).isGreaterThan(0.5);
        assertThat(drug.influence().values().stream().mapToDouble(Double::doubleValue).sum())
                .isCloseTo(1.0, within(1e-9));
    }

    @Test
    void aTwoValuedDimensionLikeSexCanDecide() {
        List<ResponseCases> populations = List.of(population(7, 120, true), population(8, 120, true));
        MetricLearner.Outcome drug = new MetricLearner(MetricLearner.Settings.DEFAULT).learn(populations).get(DRUG);
        assertThat(drug.covered()).isTrue();
        String heaviest = drug.weights().entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertThat(heaviest).isEqualTo("f" + DECIDING + ":level");
    }

    @Test
    void heldOutPopulationsTooSmallToScoreDoNotCount() {
        // 15 courses per population: enough to learn from (40 together), too few for a held-out AUROC.
        List<ResponseCases> populations = List.of(population(9, 15), population(10, 15), population(11, 15));
        MetricLearner.Outcome drug = new MetricLearner(MetricLearner.Settings.DEFAULT).learn(populations).get(DRUG);
        assertThat(drug.folds()).isZero();
        assertThat(drug.covered()).isFalse();
    }

    @Test
    void learningIsDeterministicAndTheMetricRoundTrips(@TempDir Path dir) {
        List<ResponseCases> populations = List.of(population(3, 80), population(4, 80));
        MetricLearner learner = new MetricLearner(MetricLearner.Settings.DEFAULT);
        Map<String, MetricLearner.Outcome> first = learner.learn(populations);
        Map<String, MetricLearner.Outcome> second = learner.learn(populations);
        assertThat(second.get(DRUG).weights()).isEqualTo(first.get(DRUG).weights());

        ResponseMetric metric = MetricLearner.metric(first, populations);
        Path file = dir.resolve("metric.json");
        metric.write(file, MetricLearner.notes(first));
        ResponseMetric read = ResponseMetric.load(file);
        assertThat(read.treatments()).isEqualTo(metric.treatments());
        for (String t : metric.treatments()) {
            assertThat(read.weights(t)).isEqualTo(metric.weights(t));
        }
        assertThat(read.provenance().path("populations").toString()).contains("seed 3", "seed 4");
        assertThat(read.design()).isEqualTo(DESIGN);

        Path cases = dir.resolve("cases.json");
        populations.get(0).write(cases);
        ResponseCases back = ResponseCases.load(cases);
        assertThat(back.dimensions()).isEqualTo(populations.get(0).dimensions());
        assertThat(back.courses()).hasSameSizeAs(populations.get(0).courses());
        assertThat(back.courses().get(5).vector()).containsExactly(populations.get(0).courses().get(5).vector());
        assertThat(back.design()).isEqualTo(DESIGN);
    }

    @Test
    void refusesOnePopulationAndPopulationsOfDifferentLayouts() {
        MetricLearner learner = new MetricLearner(MetricLearner.Settings.DEFAULT);
        assertThatThrownBy(() -> learner.learn(List.of(population(5, 50))))
                .hasMessageContaining("at least two development populations");
        ResponseCases other = new ResponseCases("other", DESIGN, List.of("age"),
                List.of(new ResponseCases.Course("x", DRUG, true, new float[] {1})));
        assertThatThrownBy(() -> learner.learn(List.of(population(5, 50), other)))
                .hasMessageContaining("different vector layouts");
        ResponseCases sameLayoutOtherDesign = new ResponseCases("unit", "unit-length vectors", dimensions(),
                population(6, 50).courses());
        assertThatThrownBy(() -> learner.learn(List.of(population(5, 50), sameLayoutOtherDesign)))
                .hasMessageContaining("different vector layouts");
    }

    @Test
    void casesAndMetricsFromAnotherDesignAreRefused(@TempDir Path dir) throws Exception {
        Path old = dir.resolve("old-cases.json");
        Files.writeString(old, "{\"kind\":\"kindred-response-cases\",\"population\":\"seed 1\","
                + "\"dimensions\":[\"age\"],\"courses\":[]}");
        assertThatThrownBy(() -> ResponseCases.load(old)).hasMessageContaining("does not say which vector design");

        VectorWeights pipeline = VectorWeights.DEFAULT;
        ObjectNode provenance = new ObjectMapper().createObjectNode();
        ResponseMetric unrecorded = new ResponseMetric(Map.of(DRUG, Map.of("age", 1.0)), provenance);
        assertThatThrownBy(() -> Evaluation.requireMetricDesign(unrecorded, pipeline))
                .hasMessageContaining("an unrecorded design");
        // The pipeline's own unit-length vectors are not what a metric is learned on.
        provenance.put("vectors", pipeline.toString());
        assertThatThrownBy(() -> Evaluation.requireMetricDesign(unrecorded, pipeline))
                .hasMessageContaining("learn it again");
        provenance.put("vectors", Evaluation.metricWeights(pipeline).toString());
        Evaluation.requireMetricDesign(unrecorded, pipeline);
        assertThat(Evaluation.metricWeights(pipeline).unitLength()).isFalse();
    }

    @Test
    void aMetricIsAppliedOnlyToTheDimensionsItWeighsAndRefusesAnotherDesign() {
        ResponseMetric metric = new ResponseMetric(Map.of(DRUG, Map.of("b", 2.0, "c", 0.0)), null);
        ResponseMetric.Projector p = metric.projector(DRUG, List.of("a", "b", "c"));
        assertThat(p.project(new float[] {5, 3, 7})).containsExactly(6f);
        assertThat(metric.covers(PLACEBO)).isFalse();
        assertThatThrownBy(() -> metric.projector(DRUG, List.of("a", "c")))
                .hasMessageContaining("does not have: [b]");
        assertThatThrownBy(() -> new ResponseMetric(Map.of(DRUG, Map.of("b", -1.0)), null))
                .hasMessageContaining("at least 0");
    }
}
