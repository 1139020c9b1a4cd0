package dev.kindred.clinical.recommend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.TreatmentOutcome;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ResponseEstimatorTest {
    private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm";
    private static final String DRUG = RX + "|1";

    private static ResponseEstimator.TreatedNeighbour treated(String key, double distance, OutcomeStatus status) {
        return new ResponseEstimator.TreatedNeighbour(key, distance,
                List.of(RecommenderTest.outcome("1", status, "hypertension")));
    }

    @Test
    void shrinksTowardThePopulationRateByThePriorStrength() {
        ResponseEstimator.Settings s = new ResponseEstimator.Settings(10, 2.0, 3.0);
        // 4 effective neighbours all improved, prior 0.5: (4·1 + 2·0.5) / 6.
        assertThat(ResponseEstimator.shrink(1.0, 4.0, 0.5, s)).isCloseTo(5.0 / 6, within(1e-12));
        // More neighbours move the estimate further from the prior.
        assertThat(ResponseEstimator.shrink(1.0, 40.0, 0.5, s)).isGreaterThan(ResponseEstimator.shrink(1.0, 4.0, 0.5, s));
        // No prior strength: the neighbours' rate itself.
        assertThat(ResponseEstimator.shrink(0.25, 4.0, 0.5, new ResponseEstimator.Settings(10, 0, 3)))
                .isEqualTo(0.25);
    }

    @Test
    void belowTheMinimumEffectiveSizeTheEstimateIsThePopulationRate() {
        ResponseEstimator.Settings s = new ResponseEstimator.Settings(10, 2.0, 3.0);
        assertThat(ResponseEstimator.shrink(1.0, 2.9, 0.4, s)).isEqualTo(0.4);
        assertThat(ResponseEstimator.shrink(Double.NaN, 0, 0.4, s)).isEqualTo(0.4);
        ResponseEstimator estimator = new ResponseEstimator(s);
        ResponseEstimator.Estimate two = estimator.estimate(List.of(treated("a", 1, OutcomeStatus.IMPROVED),
                treated("b", 1, OutcomeStatus.IMPROVED)), DRUG, null, 0.4);
        assertThat(two.effectiveSize()).isCloseTo(2.0, within(1e-9));
        assertThat(two.rate()).isEqualTo(0.4);
        assertThat(estimator.estimate(List.of(), DRUG, null, 0.4).rate()).isEqualTo(0.4);
    }

    @Test
    void closerNeighboursCountForMore() {
        ResponseEstimator estimator = new ResponseEstimator(new ResponseEstimator.Settings(10, 0, 0));
        List<ResponseEstimator.TreatedNeighbour> near = List.of(treated("a", 0.1, OutcomeStatus.IMPROVED),
                treated("b", 0.2, OutcomeStatus.IMPROVED), treated("c", 1.0, OutcomeStatus.NOT_IMPROVED),
                treated("d", 3.0, OutcomeStatus.NOT_IMPROVED));
        ResponseEstimator.Estimate e = estimator.estimate(near, DRUG, null, 0.5);
        // Unweighted it would be 0.5; the two close responders outweigh the far non-responders.
        assertThat(e.neighbourRate()).isGreaterThan(0.6);
        assertThat(e.effectiveSize()).isLessThan(4.0).isGreaterThan(1.0);
    }

    @Test
    void onlyOutcomesOfTheTreatmentCountAndTheFilterKeepsOnlyTheTreated() {
        TreatmentOutcome other = RecommenderTest.outcome("2", OutcomeStatus.IMPROVED);
        TreatmentOutcome unknown = RecommenderTest.outcome("1", OutcomeStatus.UNKNOWN);
        assertThat(ResponseEstimator.treatedWith(DRUG).test(List.of(other, unknown))).isFalse();
        assertThat(ResponseEstimator.treatedWith(DRUG).test(List.of(other,
                RecommenderTest.outcome("1", OutcomeStatus.NOT_IMPROVED)))).isTrue();
        ResponseEstimator estimator = new ResponseEstimator(new ResponseEstimator.Settings(10, 0, 0));
        ResponseEstimator.Estimate e = estimator.estimate(List.of(
                new ResponseEstimator.TreatedNeighbour("a", 1, List.of(other, unknown)),
                treated("b", 1, OutcomeStatus.NOT_IMPROVED)), DRUG, null, 0.5);
        assertThat(e.neighbours()).isEqualTo(1);
        assertThat(e.rate()).isEqualTo(0.0);
    }

    @Test
    void rejectsNegativeSettings() {
        assertThatThrownBy(() -> new ResponseEstimator.Settings(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ResponseEstimator.Settings(5, -1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
