package dev.kindred.clinical.recommend;

import static dev.kindred.clinical.testing.Facts.day;
import static dev.kindred.clinical.testing.Facts.medication;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.fhir.testing.FhirJson;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.patient.PatientStateUpdater;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecommenderTest {
    private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm";
    private static final String SCT = "http://snomed.info/sct";
    private final OutcomeRules rules = rules();
    private final Recommender recommender = new Recommender(rules, new Recommender.Settings(3, 5));

    private static OutcomeRules rules() {
        try (var in = RecommenderTest.class.getResourceAsStream("/test-outcome-rules.json")) {
            return OutcomeRules.read(in, "test");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static TreatmentOutcome outcome(String code, OutcomeStatus status, String... reasons) {
        return TreatmentOutcome.newBuilder().setSystem(RX).setCode(code).setDisplay("drug " + code)
                .setStartedAt(Instant.parse("2020-01-01T00:00:00Z")).setStatus(status)
                .setRule(status == OutcomeStatus.UNKNOWN ? null : "rule-" + code)
                .setDecidedAt(status == OutcomeStatus.UNKNOWN ? null : Instant.parse("2020-06-01T00:00:00Z"))
                .setReasons(List.of(reasons)).build();
    }

    static Recommender.Evidence neighbour(String key, double similarity, TreatmentOutcome... outcomes) {
        return new Recommender.Evidence(key, similarity, List.of(outcomes));
    }

    @Test
    void countsRateAndBoundFollowTheNeighboursOutcomes() {
        List<Recommender.Evidence> ns = List.of(
                neighbour("a", 0.9, outcome("1", OutcomeStatus.IMPROVED)),
                neighbour("b", 0.8, outcome("1", OutcomeStatus.IMPROVED)),
                neighbour("c", 0.7, outcome("1", OutcomeStatus.NOT_IMPROVED)),
                neighbour("d", 0.6, outcome("1", OutcomeStatus.UNKNOWN)),
                neighbour("e", 0.5));
        Recommender.Tally t = Recommender.tally(ns, Recommender.Focus.NONE).get(RX + "|1");
        assertThat(t.treated()).isEqualTo(4);
        assertThat(t.withOutcome()).isEqualTo(3);
        assertThat(t.improved()).isEqualTo(2);
        assertThat(t.weightedRate()).isCloseTo((0.9 + 0.8) / (0.9 + 0.8 + 0.7), within(1e-9));
        assertThat(t.wilsonLowerBound()).isGreaterThan(0).isLessThan(t.weightedRate());
        assertThat(t.evidence()).containsExactly("a", "b", "c");
        assertThat(t.rules()).containsExactly("rule-1");
    }

    @Test
    void countsNeverExceedTheNeighboursAndTheBoundLiesInZeroOneBelowTheRate() {
        Random rng = new Random(7);
        OutcomeStatus[] statuses = OutcomeStatus.values();
        for (int round = 0; round < 500; round++) {
            List<Recommender.Evidence> ns = new ArrayList<>();
            int k = 1 + rng.nextInt(12);
            for (int i = 0; i < k; i++) {
                List<TreatmentOutcome> os = new ArrayList<>();
                for (int j = rng.nextInt(6); j > 0; j--) {   // repeated codes and reasons on purpose
                    os.add(outcome(String.valueOf(rng.nextInt(3)), statuses[rng.nextInt(statuses.length)],
                            rng.nextBoolean() ? SCT + "|" + rng.nextInt(2) : SCT + "|9"));
                }
                // the same neighbour can come twice (e.g. from two searches): it counts once
                String key = "n" + rng.nextInt(k);
                ns.add(neighbour(key, rng.nextDouble() * 2 - 0.5, os.toArray(TreatmentOutcome[]::new)));
            }
            long distinct = ns.stream().map(Recommender.Evidence::patientKey).distinct().count();
            Recommender.Focus focus = rng.nextBoolean() ? Recommender.Focus.NONE
                    : new Recommender.Focus(null, SCT + "|" + rng.nextInt(2));
            for (Recommender.Tally t : Recommender.tally(ns, focus).values()) {
                assertThat(t.treated()).isLessThanOrEqualTo((int) distinct);
                assertThat(t.withOutcome()).isLessThanOrEqualTo(t.treated());
                assertThat(t.improved()).isLessThanOrEqualTo(t.withOutcome());
                assertThat(t.evidence()).hasSize(t.withOutcome()).doesNotHaveDuplicates();
                assertThat(t.weightedRate()).isBetween(0.0, 1.0);
                assertThat(t.wilsonLowerBound()).isBetween(0.0, 1.0).isLessThanOrEqualTo(t.weightedRate());
            }
        }
    }

    @Test
    void wilsonBoundIsConservativeAndTightensWithMoreEvidence() {
        for (double p = 0; p <= 1.0; p += 0.05) {
            for (double n : new double[] {0.5, 1, 2, 3, 10, 100}) {
                double lower = Wilson.lowerBound(p, n, Wilson.Z95);
                assertThat(lower).isBetween(0.0, Math.min(1.0, p + 1e-12));
            }
        }
        assertThat(Wilson.lowerBound(1.0, 3, Wilson.Z95)).isCloseTo(0.4385, within(1e-3));
        assertThat(Wilson.lowerBound(0.8, 100, Wilson.Z95)).isGreaterThan(Wilson.lowerBound(0.8, 10, Wilson.Z95));
        assertThat(Wilson.lowerBound(0.5, 0, Wilson.Z95)).isZero();
    }

    @Test
    void belowMinimumSupportNothingIsRecommendedAndTheRestIsRankedByTheBound() {
        List<Recommender.Evidence> ns = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ns.add(neighbour("n" + i, 0.5,
                    outcome("many", i < 7 ? OutcomeStatus.IMPROVED : OutcomeStatus.NOT_IMPROVED),
                    outcome("few", i < 3 ? OutcomeStatus.IMPROVED : OutcomeStatus.UNKNOWN),
                    outcome("scarce", i < 2 ? OutcomeStatus.IMPROVED : OutcomeStatus.UNKNOWN)));
        }
        List<TreatmentRecommendation> recs = recommender.recommend(ns, null, Instant.now(), Recommender.Focus.NONE);
        assertThat(recs).extracting(TreatmentRecommendation::getCode).containsExactly("many", "few");
        // 7 of 8 outrank 3 of 3: more evidence, a higher lower bound, although a lower rate
        assertThat(recs.get(0).getWilsonLowerBound()).isGreaterThan(recs.get(1).getWilsonLowerBound());
        assertThat(recs.get(0).getWeightedImprovementRate()).isLessThan(recs.get(1).getWeightedImprovementRate());
        assertThat(recs.get(1).getNeighboursWithOutcome()).isEqualTo(3);
        assertThat(recs.get(1).getWeightedImprovementRate()).isEqualTo(1.0);
    }

    @Test
    void treatmentsAddressingTheTriggerComeFirstAndOwnTreatmentsAreFlagged() {
        List<Recommender.Evidence> ns = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ns.add(neighbour("n" + i, 0.5,
                    outcome("308192", OutcomeStatus.IMPROVED),
                    outcome("860975", i < 3 ? OutcomeStatus.IMPROVED : OutcomeStatus.NOT_IMPROVED)));
        }
        PatientStateUpdater updater = new PatientStateUpdater(FhirJson.testCatalog(), rules,
                PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS);
        PatientState own = updater.apply(null, medication("p", "308192", "Amoxicillin", "2021-03-01", "m1")).state();

        List<TreatmentRecommendation> byBound = recommender.recommend(ns, own, day("2021-03-10"), Recommender.Focus.NONE);
        assertThat(byBound).extracting(TreatmentRecommendation::getCode).containsExactly("308192", "860975");
        assertThat(byBound.get(0).getAlreadyReceiving()).isTrue();
        assertThat(byBound.get(1).getAlreadyReceiving()).isFalse();

        List<TreatmentRecommendation> forGlucose = recommender.recommend(ns, own, day("2021-03-10"),
                new Recommender.Focus("glucose", null));
        assertThat(forGlucose).extracting(TreatmentRecommendation::getCode).containsExactly("860975", "308192");
        assertThat(forGlucose.get(0).getMatchesTrigger()).isTrue();
        assertThat(recommender.recommend(ns, own, day("2022-03-10"), Recommender.Focus.NONE).get(0).getAlreadyReceiving())
                .as("a year after the last order").isFalse();
    }

    @Test
    void anOutcomeForTheFocusDiagnosisSpeaksForTheNeighbour() {
        // Each neighbour took the drug for an infection (resolved) and for a chronic disease (never resolved).
        List<Recommender.Evidence> ns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ns.add(neighbour("n" + i, 0.5, outcome("1", OutcomeStatus.IMPROVED, SCT + "|infection"),
                    outcome("1", OutcomeStatus.NOT_IMPROVED, SCT + "|chronic")));
        }
        Map<String, Recommender.Tally> forInfection = Recommender.tally(ns, new Recommender.Focus(null, SCT + "|infection"));
        Map<String, Recommender.Tally> forChronic = Recommender.tally(ns, new Recommender.Focus(null, SCT + "|chronic"));
        assertThat(forInfection.get(RX + "|1").improved()).isEqualTo(3);
        assertThat(forChronic.get(RX + "|1").improved()).isZero();
        assertThat(forChronic.get(RX + "|1").treated()).isEqualTo(3);
    }
}
