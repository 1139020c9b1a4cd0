package dev.kindred.clinical.outcomes;

import static dev.kindred.clinical.testing.Facts.day;
import static dev.kindred.clinical.testing.Facts.diagnosis;
import static dev.kindred.clinical.testing.Facts.measurement;
import static dev.kindred.clinical.testing.Facts.medication;
import static dev.kindred.clinical.testing.Facts.procedure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TreatmentEpisode;
import dev.kindred.fhir.testing.FhirJson;
import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.clinical.testing.Facts;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutcomeJudgeTest {
    private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm|";
    private final OutcomeRules rules = OutcomeRulesTest.testRules();
    private final PatientStateUpdater updater = new PatientStateUpdater(FhirJson.testCatalog(), rules,
            PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS);
    private final OutcomeJudge judge = new OutcomeJudge(rules);

    private PatientState apply(ClinicalFact... facts) {
        PatientState s = null;
        for (ClinicalFact f : facts) {
            s = updater.apply(s, f).state();
        }
        return s;
    }

    private static TreatmentEpisode episode(PatientState s, String key) {
        return s.getTreatments().get(key).getEpisodes().get(0);
    }

    @Test
    void aMeasurementOutcomeIsUnknownUntilItsWindowClosesThenImproved() {
        PatientState s = apply(
                measurement("p", "glucose", 190, "2021-01-01", "g1"),
                medication("p", "860975", "metformin", "2021-01-05", "m1"),
                measurement("p", "glucose", 150, "2021-02-20", "g2"));
        Instant deadline = day("2021-01-05").plus(java.time.Duration.ofDays(60));
        assertThat(judge.nextDeadline(s)).isEqualTo(deadline);

        PatientState early = judge.judge(s, deadline.minusSeconds(1));
        assertThat(early).as("nothing due before the window closes").isSameAs(s);
        assertThat(episode(early, RX + "860975").getStatus()).isEqualTo(OutcomeStatus.UNKNOWN);

        PatientState judged = judge.judge(s, deadline);
        TreatmentEpisode e = episode(judged, RX + "860975");
        assertThat(e.getStatus()).isEqualTo(OutcomeStatus.IMPROVED);
        assertThat(e.getRule()).isEqualTo("glucose-lowering");
        assertThat(e.getClosed()).isTrue();
        assertThat(e.getDecidedAt()).isEqualTo(deadline);
        assertThat(judge.nextDeadline(judged)).isNull();
        assertThat(judge.judge(judged, deadline.plusSeconds(3600))).as("decided once").isSameAs(judged);
    }

    @Test
    void aValueThatDidNotMoveEnoughIsNotImprovedAndValuesOutsideTheWindowDoNotCount() {
        PatientState s = apply(
                measurement("p", "glucose", 190, "2021-01-01", "g1"),
                medication("p", "860975", "metformin", "2021-01-05", "m1"),
                measurement("p", "glucose", 120, "2021-01-08", "g2"),   // before minDelay (7 days): ignored
                measurement("p", "glucose", 180, "2021-02-20", "g3"),   // the value in the window
                measurement("p", "glucose", 90, "2021-04-01", "g4"));   // after the window: ignored
        assertThat(episode(judge.judge(s, day("2021-06-01")), RX + "860975").getStatus())
                .isEqualTo(OutcomeStatus.NOT_IMPROVED);
    }

    @Test
    void withoutABaselineOrAValueAfterwardsTheOutcomeStaysUnknownButTheWindowCloses() {
        PatientState noBaseline = apply(
                medication("p", "860975", "metformin", "2021-01-05", "m1"),
                measurement("p", "glucose", 90, "2021-02-20", "g2"));
        TreatmentEpisode e = episode(judge.judge(noBaseline, day("2021-06-01")), RX + "860975");
        assertThat(e.getStatus()).isEqualTo(OutcomeStatus.UNKNOWN);
        assertThat(e.getClosed()).isTrue();
        assertThat(e.getDecidedAt()).isNull();

        PatientState noAfter = apply(
                measurement("p", "glucose", 190, "2021-01-01", "g1"),
                medication("p", "860975", "metformin", "2021-01-05", "m1"));
        assertThat(episode(judge.judge(noAfter, day("2021-06-01")), RX + "860975").getStatus())
                .isEqualTo(OutcomeStatus.UNKNOWN);
    }

    @Test
    void withAGraceValuesArrivingLateStillCountAndTheDecisionIsDatedAtTheWindowsEnd() throws Exception {
        String json;
        try (var in = getClass().getResourceAsStream("/test-outcome-rules.json")) {
            json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("\"receivingDays\": 120", "\"receivingDays\": 120, \"graceDays\": 10");
        }
        OutcomeRules withGrace = OutcomeRules.read(new java.io.ByteArrayInputStream(
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "grace");
        OutcomeJudge graceful = new OutcomeJudge(withGrace);
        PatientStateUpdater u = new PatientStateUpdater(FhirJson.testCatalog(), withGrace, List.of());
        PatientState s = u.apply(null, measurement("p", "glucose", 190, "2021-01-01", "g1")).state();
        s = u.apply(s, medication("p", "860975", "metformin", "2021-01-05", "m1")).state();
        Instant windowEnd = day("2021-01-05").plus(java.time.Duration.ofDays(60));
        assertThat(graceful.nextDeadline(s)).isEqualTo(windowEnd.plus(java.time.Duration.ofDays(10)));
        s = graceful.judge(s, windowEnd.plus(java.time.Duration.ofDays(2)));
        // a value inside the window, arriving after the window ended but within the grace
        s = u.apply(s, measurement("p", "glucose", 120, "2021-02-20", "g2")).state();
        TreatmentEpisode e = episode(graceful.judge(s, windowEnd.plus(java.time.Duration.ofDays(10))), RX + "860975");
        assertThat(e.getStatus()).isEqualTo(OutcomeStatus.IMPROVED);
        assertThat(e.getDecidedAt()).isEqualTo(windowEnd);
    }

    @Test
    void procedureOutcomeDecidesAtOnce() {
        PatientState s = apply(procedure("p", "80146002", "Appendectomy", "2021-03-01", "pr1",
                "http://snomed.info/sct|385671000"));
        assertThat(judge.nextDeadline(s)).isEqualTo(day("2021-03-01"));
        TreatmentEpisode e = episode(judge.judge(s, day("2021-03-01")), "http://snomed.info/sct|80146002");
        assertThat(e.getStatus()).isEqualTo(OutcomeStatus.NOT_IMPROVED);
        assertThat(e.getRule()).isEqualTo(OutcomeJudge.PROCEDURE_OUTCOME_RULE);
    }

    @Test
    void aTreatmentIsImprovedWhenTheDiagnosisItAddressesIsResolvedInTime() {
        String amoxicillin = RX + "308192";
        PatientState resolved = apply(
                diagnosis("p", "43878008", "Streptococcal sore throat (disorder)", "2021-03-01", "2021-03-15", "c1"),
                medication("p", "308192", "Amoxicillin", "2021-03-01", "m1", "Condition/c1"));
        assertThat(episode(judge.judge(resolved, day("2021-04-01")), amoxicillin).getStatus())
                .isEqualTo(OutcomeStatus.IMPROVED);

        PatientState lingering = apply(
                diagnosis("p", "43878008", "Streptococcal sore throat (disorder)", "2021-03-01", "2021-05-15", "c1"),
                medication("p", "308192", "Amoxicillin", "2021-03-01", "m1", "urn:uuid:c1"));
        TreatmentEpisode e = episode(judge.judge(lingering, day("2021-04-01")), amoxicillin);
        assertThat(e.getStatus()).as("still open when the 30-day window closed").isEqualTo(OutcomeStatus.NOT_IMPROVED);
        assertThat(e.getRule()).isEqualTo(OutcomeJudge.DIAGNOSIS_RESOLVED_RULE);

        PatientState byCode = apply(
                diagnosis("p", "43878008", "Streptococcal sore throat (disorder)", "2021-03-01", null, "c1"),
                medication("p", "308192", "Amoxicillin", "2021-03-02", "m1", "http://snomed.info/sct|43878008"));
        assertThat(episode(judge.judge(byCode, day("2021-04-02")), amoxicillin).getStatus())
                .isEqualTo(OutcomeStatus.NOT_IMPROVED);
    }

    @Test
    void aDiagnosisResolvedBeforeTheTreatmentStartedDoesNotJudgeIt() {
        PatientState s = apply(
                diagnosis("p", "66383009", "Gingivitis (disorder)", "2016-03-18", "2016-04-01", "c1"),
                procedure("p", "225362009", "Dental care (regime/therapy)", "2018-05-11", "pr1", null, "Condition/c1"));
        TreatmentEpisode e = episode(judge.judge(s, day("2019-01-01")), "http://snomed.info/sct|225362009");
        assertThat(e.getStatus()).isEqualTo(OutcomeStatus.UNKNOWN);
        assertThat(e.getClosed()).isTrue();
    }

    @Test
    void testsExcludedTreatmentsAndExcludedDiagnosesAreNeverJudgedByResolution() {
        PatientState s = apply(
                diagnosis("p", "43878008", "Streptococcal sore throat (disorder)", "2021-03-01", "2021-03-10", "c1"),
                diagnosis("p", "72892002", "Normal pregnancy", "2021-03-01", "2021-03-20", "c2"),
                procedure("p", "117015009", "Throat screening culture", "2021-03-01", "pr1", null, "Condition/c1"),
                procedure("p", "265764009", "Renal dialysis", "2021-03-01", "pr2", null, "Condition/c1"),
                medication("p", "111", "Prenatal vitamin", "2021-03-01", "m1", "Condition/c2"));
        PatientState judged = judge.judge(s, day("2022-01-01"));
        for (String key : List.of("http://snomed.info/sct|117015009", "http://snomed.info/sct|265764009", RX + "111")) {
            assertThat(episode(judged, key).getStatus()).as(key).isEqualTo(OutcomeStatus.UNKNOWN);
            assertThat(episode(judged, key).getClosed()).as(key).isTrue();
        }
        for (String key : List.of("http://snomed.info/sct|117015009", "http://snomed.info/sct|265764009")) {
            assertThat(judge.judgeable(judged.getTreatments().get(key), episode(judged, key))).as(key).isFalse();
        }
    }

    @Test
    void referenceIdsAreReadFromEveryReferenceForm() {
        assertThat(OutcomeJudge.referenceId("Condition/c1")).isEqualTo("c1");
        assertThat(OutcomeJudge.referenceId("https://fhir.example.org/r4/Condition/c1")).isEqualTo("c1");
        assertThat(OutcomeJudge.referenceId("urn:uuid:1b2c")).isEqualTo("1b2c");
    }

    @Test
    void facts() {
        assertThat(Facts.day("2021-01-01")).isEqualTo(Instant.parse("2021-01-01T10:00:00Z"));
    }
}
