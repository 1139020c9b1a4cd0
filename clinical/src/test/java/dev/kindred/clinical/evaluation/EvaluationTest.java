package dev.kindred.clinical.evaluation;

import static dev.kindred.clinical.testing.Facts.demographics;
import static dev.kindred.clinical.testing.Facts.diagnosis;
import static dev.kindred.clinical.testing.Facts.measurement;
import static dev.kindred.clinical.testing.Facts.medication;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.fhir.testing.FhirJson;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PipelineSettings;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    private static OutcomeRules rules() {
        try (var in = EvaluationTest.class.getResourceAsStream("/test-outcome-rules.json")) {
            return OutcomeRules.read(in, "test");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Two kinds of patients: "metabolic" ones with high glucose measured often who have a diabetes disorder
     * and take metformin (which lowers glucose for half of them), and "cardiac" ones with only heart-rate
     * measurements who have an arrhythmia disorder.
     */
    static Map<String, List<ClinicalFact>> population() {
        Map<String, List<ClinicalFact>> facts = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            String p = "m" + i;
            List<ClinicalFact> f = new ArrayList<>();
            f.add(demographics(p, i % 2 == 0 ? "male" : "female", "1960-01-01"));
            for (int y = 2018; y <= 2021; y++) {
                f.add(measurement(p, "glucose", 160 + i, y + "-02-01", p + "g" + y));
                f.add(measurement(p, "glucose", 165 + i, y + "-08-01", p + "h" + y));
            }
            f.add(diagnosis(p, "44054006", "Diabetes mellitus type 2 (disorder)", "2018-01-01", null, p + "c"));
            f.add(medication(p, "860975", "metformin", "2019-03-01", p + "r1"));
            f.add(medication(p, "860975", "metformin", "2022-03-01", p + "r2"));
            f.add(measurement(p, "glucose", 170, "2022-02-20", p + "x1"));
            f.add(measurement(p, "glucose", i % 2 == 0 ? 120 : 175, "2022-04-01", p + "x2"));
            facts.put(p, f);
        }
        for (int i = 0; i < 20; i++) {
            String p = "c" + i;
            List<ClinicalFact> f = new ArrayList<>();
            f.add(demographics(p, i % 2 == 0 ? "male" : "female", "1990-01-01"));
            for (int y = 2018; y <= 2021; y++) {
                f.add(measurement(p, "heart_rate", 110 + i, y + "-05-01", p + "hr" + y));
            }
            f.add(diagnosis(p, "49436004", "Atrial fibrillation (disorder)", "2018-01-01", null, p + "c"));
            f.add(measurement(p, "heart_rate", 112, "2022-05-01", p + "x"));
            facts.put(p, f);
        }
        return facts;
    }

    @Test
    void neighboursShareDisordersFarMoreThanRandomPatients() {
        EvaluationSettings settings = EvaluationSettings.builder()
                .pipeline(PipelineSettings.builder().alertNeighbours(5).build())
                .cutoff(Instant.parse("2022-01-01T00:00:00Z"))
                .minDisorderPatients(10)
                .build();
        EvaluationReport report = new Evaluation(FhirJson.testCatalog(), rules(), settings).run(population());

        assertThat(report.patients()).isEqualTo(40);
        assertThat(report.disorders()).hasSize(2);
        // each disorder has prevalence 0.5, so a perfect neighbourhood gives lift 2
        assertThat(report.lift()).isCloseTo(2.0, within(1e-9));
        assertThat(report.liftExact()).isCloseTo(2.0, within(1e-9));
        assertThat(report.liftRandom()).isLessThan(1.5);
        assertThat(report.recall()).as("HNSW against exact search").isGreaterThan(0.9);
        assertThat(report.outcomeCases()).as("the 2022 metformin orders, judged after the cutoff").isEqualTo(20);
        assertThat(report.outcomeImproved()).isEqualTo(10);
        assertThat(report.alerts()).isPositive();
        assertThat(report.coverage()).isBetween(0.0, 1.0);

        Map<String, Object> json = report.toJson();
        assertThat(json).containsKeys("neighbour_condition_lift", "neighbour_condition_lift_exact",
                "neighbour_condition_lift_random", "outcome_auroc", "outcome_auroc_population", "coverage", "patients",
                "k", "cutoff");
        assertThat(json.get("cutoff")).isEqualTo("2022-01-01T00:00:00Z");
        assertThat(json.get("k")).isEqualTo(5);
    }

    @Test
    void theDefaultCutoffLeavesAFifthOfTheEventsAfterIt() {
        Map<String, List<ClinicalFact>> facts = new HashMap<>();
        List<ClinicalFact> list = new ArrayList<>();
        for (int d = 1; d <= 10; d++) {
            list.add(measurement("p", "glucose", 100, LocalDate.of(2020, 1, d).toString(), "g" + d));
        }
        list.add(demographics("p", "male", "1960-01-01"));
        facts.put("p", list);
        Instant cutoff = Evaluation.defaultCutoff(facts);
        long after = list.stream().filter(f -> f.getKind() != dev.kindred.avro.FactKind.DEMOGRAPHICS
                && f.getEffectiveTime().isAfter(cutoff)).count();
        assertThat(after).isEqualTo(2);
    }

    @Test
    void aurocOrdersCasesAndCountsTiesAsHalf() {
        assertThat(Auroc.of(List.of(new Auroc.Case(0.9, true), new Auroc.Case(0.1, false)))).isEqualTo(1.0);
        assertThat(Auroc.of(List.of(new Auroc.Case(0.1, true), new Auroc.Case(0.9, false)))).isEqualTo(0.0);
        assertThat(Auroc.of(List.of(new Auroc.Case(0.5, true), new Auroc.Case(0.5, false)))).isEqualTo(0.5);
        assertThat(Auroc.of(List.of(new Auroc.Case(0.8, true), new Auroc.Case(0.6, false), new Auroc.Case(0.7, true),
                new Auroc.Case(0.9, false)))).isEqualTo(0.5);
        assertThat(Auroc.of(List.of(new Auroc.Case(0.8, true)))).isNaN();
    }

    @Test
    void liftIsTheShareOfNeighboursWithTheDisorderOverItsPrevalence() {
        Map<String, List<String>> neighbours = Map.of("a", List.of("b", "x"), "b", List.of("a", "y"));
        assertThat(Evaluation.lift(java.util.Set.of("a", "b"), 0.25, neighbours)).isCloseTo(2.0, within(1e-9));
    }
}
