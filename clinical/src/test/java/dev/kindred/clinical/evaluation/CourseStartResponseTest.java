package dev.kindred.clinical.evaluation;

import static dev.kindred.clinical.testing.Facts.demographics;
import static dev.kindred.clinical.testing.Facts.diagnosis;
import static dev.kindred.clinical.testing.Facts.measurement;
import static dev.kindred.clinical.testing.Facts.medication;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.clinical.outcomes.OutcomeRules;
import dev.kindred.clinical.pipeline.PipelineSettings;
import dev.kindred.clinical.recommend.ResponseEstimator;
import dev.kindred.fhir.testing.FhirJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whether metformin lowers glucose here depends on the heart rate a patient has when the course starts (60:
 * responds, 130: does not), and the heart rates of the patients treated before the cutoff have swapped by then.
 * Patients compared as they were at their course start predict response; compared at the cutoff they cannot.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CourseStartResponseTest {
    private static final String METFORMIN = "http://www.nlm.nih.gov/research/umls/rxnorm|860975";

    private static OutcomeRules rules() {
        try (var in = CourseStartResponseTest.class.getResourceAsStream("/test-outcome-rules.json")) {
            return OutcomeRules.read(in, "test");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A metformin course from {@code start}: glucose 170 before, 120 (responder) or 175 after. */
    private static void course(List<ClinicalFact> f, String p, String year, double heartRate, boolean responds) {
        f.add(diagnosis(p, "44054006", "Diabetes mellitus type 2 (disorder)", year + "-01-01", null, p + "c"));
        f.add(measurement(p, "glucose", 170, year + "-02-20", p + "g0"));
        f.add(measurement(p, "heart_rate", heartRate, year + "-02-25", p + "hr0"));
        f.add(medication(p, "860975", "metformin", year + "-03-01", p + "rx"));
        f.add(measurement(p, "glucose", responds ? 120 : 175, year + "-04-01", p + "g1"));
    }

    static Map<String, List<ClinicalFact>> population() {
        Map<String, List<ClinicalFact>> facts = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            String p = "t" + i;
            boolean responds = i % 2 == 0;
            List<ClinicalFact> f = new ArrayList<>();
            f.add(demographics(p, "male", "1960-01-01"));
            course(f, p, "2019", responds ? 60 : 130, responds);
            // By the cutoff the heart rates have swapped: a vector at the cutoff points to the wrong patients.
            for (String date : List.of("2020-06-01", "2020-12-01", "2021-06-01", "2021-09-01")) {
                f.add(measurement(p, "heart_rate", responds ? 130 : 60, date, p + "hr" + date));
            }
            facts.put(p, f);
        }
        for (int i = 0; i < 20; i++) {
            String p = "q" + i;
            boolean responds = i % 2 == 0;
            List<ClinicalFact> f = new ArrayList<>();
            f.add(demographics(p, "male", "1960-01-01"));
            f.add(measurement(p, "heart_rate", 95, "2021-06-01", p + "hrA"));
            f.add(measurement(p, "heart_rate", 95, "2021-09-01", p + "hrB"));
            course(f, p, "2022", responds ? 60 : 130, responds);
            // A later visit, so the timeline runs past the rule's window and the 2022 courses are decided.
            f.add(measurement(p, "heart_rate", 95, "2022-09-01", p + "hrC"));
            facts.put(p, f);
        }
        return facts;
    }

    private static ResponseReport.Row metformin(boolean atCourseStart) {
        EvaluationSettings settings = EvaluationSettings.builder()
                .pipeline(PipelineSettings.builder().alertNeighbours(5).build())
                .cutoff(Instant.parse("2022-01-01T00:00:00Z"))
                .minDisorderPatients(10)
                .baselines(false)
                .response(new ResponseEstimator.Settings(5, 2.0, 1.0))
                .bootstrapResamples(200)
                .responseAtCourseStart(atCourseStart)
                .build();
        ResponseReport report = new Evaluation(FhirJson.testCatalog(), rules(), settings).run(population()).response();
        assertThat(report.vectorsAt()).isEqualTo(atCourseStart ? ResponseReport.AT_COURSE_START
                : ResponseReport.AT_CUTOFF);
        assertThat(report.weightSearch()).extracting(ResponseReport.WeightTrial::vectorsAt)
                .containsExactly(ResponseReport.AT_CUTOFF, ResponseReport.AT_COURSE_START);
        return report.treatments().stream().filter(r -> r.treatment().equals(METFORMIN)).findFirst()
                .orElseThrow(() -> new AssertionError("no metformin row: " + report.treatments() + " pooled "
                        + report.pooled()));
    }

    @Test
    void patientsComparedAtTheirCourseStartPredictResponse() {
        ResponseReport.Row row = metformin(true);
        assertThat(row.cases()).as("the 2022 courses, judged after the cutoff").isEqualTo(20);
        assertThat(row.improved()).isEqualTo(10);
        assertThat(row.aurocNeighbours()).isGreaterThan(0.95);
        assertThat(row.interval().low()).as("the interval of the gain over the population rate").isGreaterThan(0);
        assertThat(row.brierNeighbours()).isLessThan(row.brierPopulation());
    }

    @Test
    void patientsComparedAtTheCutoffCannotTellResponders() {
        ResponseReport.Row row = metformin(false);
        assertThat(row.cases()).isEqualTo(20);
        assertThat(row.aurocNeighbours()).isLessThan(0.7);
    }
}
