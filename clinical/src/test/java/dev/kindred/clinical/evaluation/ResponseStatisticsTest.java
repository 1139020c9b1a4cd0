package dev.kindred.clinical.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.clinical.recommend.ResponseEstimator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bootstrap interval, the calibration measures and the response report built from them. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ResponseStatisticsTest {

    /** n cases whose outcome is drawn with probability p(score); a is an informative score, b a constant. */
    private static List<List<Auroc.Case>> informative(int n, double signal, long seed) {
        Random rng = new Random(seed);
        List<Auroc.Case> a = new ArrayList<>();
        List<Auroc.Case> b = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double truth = rng.nextDouble();
            boolean positive = rng.nextDouble() < 0.5 + signal * (truth - 0.5);
            a.add(new Auroc.Case(truth, positive));
            b.add(new Auroc.Case(0.5, positive));
        }
        return List.of(a, b);
    }

    @Test
    void intervalOfAStrongSignalExcludesZeroAndOfNoSignalContainsIt() {
        List<List<Auroc.Case>> strong = informative(300, 0.9, 1);
        Bootstrap.Interval s = Bootstrap.aurocDifference(strong.get(0), strong.get(1), 1000, 7);
        assertThat(s.difference()).isGreaterThan(0.15);
        assertThat(s.low()).isGreaterThan(0);
        assertThat(s.excludesZero()).isTrue();
        assertThat(s.lowA()).isGreaterThan(0.5).isLessThan(Auroc.of(strong.get(0)));
        assertThat(s.highA()).isGreaterThan(Auroc.of(strong.get(0)));

        List<List<Auroc.Case>> none = informative(300, 0.0, 2);
        Bootstrap.Interval z = Bootstrap.aurocDifference(none.get(0), none.get(1), 1000, 7);
        assertThat(z.low()).isLessThan(0);
        assertThat(z.high()).isGreaterThan(0);
        assertThat(z.excludesZero()).isFalse();
    }

    @Test
    void intervalNarrowsWithMoreCasesAndIsReproducibleBySeed() {
        List<List<Auroc.Case>> small = informative(60, 0.8, 3);
        List<List<Auroc.Case>> large = informative(1000, 0.8, 3);
        Bootstrap.Interval is = Bootstrap.aurocDifference(small.get(0), small.get(1), 500, 11);
        Bootstrap.Interval il = Bootstrap.aurocDifference(large.get(0), large.get(1), 500, 11);
        assertThat(il.high() - il.low()).isLessThan((is.high() - is.low()) / 2);
        assertThat(Bootstrap.aurocDifference(small.get(0), small.get(1), 500, 11)).isEqualTo(is);
    }

    @Test
    void bootstrapRejectsScoresOfDifferentCases() {
        List<Auroc.Case> a = List.of(new Auroc.Case(0.2, true), new Auroc.Case(0.4, false));
        List<Auroc.Case> flipped = List.of(new Auroc.Case(0.5, false), new Auroc.Case(0.5, false));
        assertThatThrownBy(() -> Bootstrap.aurocDifference(a, flipped, 10, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("case 0");
        assertThatThrownBy(() -> Bootstrap.aurocDifference(a, List.of(), 10, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void percentileInterpolatesBetweenOrderStatistics() {
        double[] v = {0, 1, 2, 3, 4};
        assertThat(Bootstrap.percentile(v, 0.5)).isEqualTo(2.0);
        assertThat(Bootstrap.percentile(v, 0.125)).isCloseTo(0.5, within(1e-12));
        assertThat(Bootstrap.percentile(v, 1.0)).isEqualTo(4.0);
    }

    @Test
    void brierScoreIsTheMeanSquaredErrorOfTheProbability() {
        assertThat(Calibration.brier(List.of(new Auroc.Case(1, true), new Auroc.Case(0, false)))).isEqualTo(0.0);
        assertThat(Calibration.brier(List.of(new Auroc.Case(0.5, true), new Auroc.Case(0.5, false)))).isEqualTo(0.25);
        // (0.8-1)² + (0.3-0)² over two: (0.04 + 0.09) / 2.
        assertThat(Calibration.brier(List.of(new Auroc.Case(0.8, true), new Auroc.Case(0.3, false))))
                .isCloseTo(0.065, within(1e-12));
    }

    @Test
    void reliabilityBinsCompareMeanPredictionWithObservedShare() {
        List<Auroc.Case> cases = List.of(new Auroc.Case(0.05, false), new Auroc.Case(0.15, false),
                new Auroc.Case(0.85, true), new Auroc.Case(0.95, true), new Auroc.Case(0.9, false),
                new Auroc.Case(1.0, true));
        List<Calibration.Bin> bins = Calibration.reliability(cases, 2);
        assertThat(bins).hasSize(2);
        assertThat(bins.get(0).cases()).isEqualTo(2);
        assertThat(bins.get(0).meanPredicted()).isCloseTo(0.1, within(1e-12));
        assertThat(bins.get(0).observed()).isEqualTo(0.0);
        assertThat(bins.get(1).cases()).isEqualTo(4);
        assertThat(bins.get(1).observed()).isEqualTo(0.75);
        assertThat(bins.get(1).meanPredicted()).isCloseTo(0.925, within(1e-12));
        // |0.1 - 0| · 2 + |0.925 - 0.75| · 4, over 6.
        assertThat(Calibration.expectedError(bins)).isCloseTo((0.2 + 0.7) / 6, within(1e-12));
        assertThatThrownBy(() -> Calibration.reliability(List.of(new Auroc.Case(1.2, true)), 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reportGivesEachTreatmentWithEnoughCasesARowAndPoolsThemAll() {
        List<ResponseReport.Case> cases = new ArrayList<>();
        Random rng = new Random(5);
        for (int i = 0; i < 200; i++) {
            boolean responder = rng.nextBoolean();
            boolean improved = rng.nextDouble() < (responder ? 0.9 : 0.1);
            cases.add(new ResponseReport.Case("rx|a", responder ? 0.8 : 0.3, 0.5, improved, 8, true));
        }
        for (int i = 0; i < 5; i++) {
            cases.add(new ResponseReport.Case("rx|rare", 0.5, 0.5, i % 2 == 0, 1, false));
        }
        ResponseReport r = ResponseReport.of(cases, Map.of("rx|a", "drug a"), ResponseEstimator.Settings.DEFAULT,
                10, 500, 42, List.of());
        assertThat(r.treatments()).extracting(ResponseReport.Row::treatment).containsExactly("rx|a");
        ResponseReport.Row a = r.treatments().get(0);
        assertThat(a.aurocPopulation()).isEqualTo(0.5);
        assertThat(a.aurocNeighbours()).isGreaterThan(0.75);
        assertThat(a.interval().low()).isGreaterThan(0);
        assertThat(a.brierNeighbours()).isLessThan(a.brierPopulation());
        assertThat(r.pooled().cases()).isEqualTo(205);
        assertThat(r.toJson()).containsKeys("pooled", "per_treatment", "reliability", "estimator");
        assertThat(r.toText()).contains("rx|a").contains("pooled");
    }
}
