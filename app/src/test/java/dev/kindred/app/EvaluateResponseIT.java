package dev.kindred.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.connectors.synthea.SyntheaFeed;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kindred evaluate --modules builtin-response} on a small Synthea population generated with Kindred's
 * heterogeneous-response modules (40 patients, seed 5, cached in target/synthea): the treatment-response
 * report is there, keyed by system|code, with the settings it was run with; without the option it is not.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class EvaluateResponseIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where {@code --data-dir target} caches the generated patients. */
    private static final Path CACHE = Path.of("target", "synthea");

    /** Exit code, stdout and stderr of one command. */
    private record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void synthea() {
        Assumptions.assumeTrue(SyntheaFeed.available(), "Synthea is not on the classpath (production build)");
    }

    private static Run evaluate(String... args) {
        List<String> all = new ArrayList<>(List.of("evaluate"));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    private static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = Kindred.commandLine().execute(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void reportsResponsePerTreatmentWithIntervalsAndCalibration() throws Exception {
        Run run = evaluate("--patients", "40", "--seed", "5", "--modules", "builtin-response", "--data-dir",
                "target", "--cutoff", "2019-01-01", "--no-baselines", "--bootstrap", "200", "--prior-strength", "4",
                "--weight-candidate", "older:age=3,ageBand=3");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode response = JSON.readTree(run.out()).path("treatment_response");
        assertThat(response.isObject()).as(run.out()).isTrue();
        assertThat(response.path("estimator").path("prior_strength").asDouble()).isEqualTo(4.0);
        assertThat(response.path("estimator").path("bootstrap_resamples").asInt()).isEqualTo(200);
        JsonNode pooled = response.path("pooled");
        int cases = pooled.path("cases").asInt();
        assertThat(cases).isPositive();
        assertThat(pooled.path("auroc_difference_ci95")).hasSize(2);
        int binned = 0;
        for (JsonNode bin : response.path("reliability")) {
            binned += bin.path("cases").asInt();
            assertThat(bin.path("mean_predicted").asDouble()).isBetween(bin.path("low").asDouble(),
                    bin.path("high").asDouble());
        }
        assertThat(binned).isEqualTo(cases);
        for (Iterator<String> it = response.path("per_treatment").fieldNames(); it.hasNext(); ) {
            String treatment = it.next();
            assertThat(treatment).contains("|");
            JsonNode row = response.path("per_treatment").path(treatment);
            assertThat(row.path("cases").asInt()).isGreaterThanOrEqualTo(10).isLessThanOrEqualTo(cases);
            // Within a treatment the population rate is one number: it cannot rank the cases.
            if (!row.path("auroc_population").isNull()) {
                assertThat(row.path("auroc_population").asDouble()).isEqualTo(0.5);
            }
        }
        // By default patients are compared as they were when each course started.
        assertThat(response.path("estimator").path("vectors_at").asText()).isEqualTo("course-start");
        // The weight search: the pipeline's design and the candidate, each with both ways of comparing.
        List<String> trials = new ArrayList<>();
        for (JsonNode trial : response.path("weight_search")) {
            trials.add(trial.path("name").asText() + "@" + trial.path("vectors_at").asText());
            assertThat(trial.path("within_treatment_auroc").isObject()).isTrue();
        }
        assertThat(trials).containsExactly("(pipeline)@cutoff", "(pipeline)@course-start", "older@cutoff",
                "older@course-start");
        assertThat(run.err()).contains("pooled").contains("prior strength 4.0");

        // The same files without the option: the report of before, no response section.
        Path fhir = SyntheaFeed.generate(40, 5, SyntheaFeed.DEFAULT_REFERENCE_TIME, CACHE,
                SyntheaFeed.responseModules());
        Run plain = evaluate("--input", fhir.toString(), "--cutoff", "2019-01-01", "--no-baselines");
        assertThat(plain.exit()).as(plain.err()).isZero();
        JsonNode json = JSON.readTree(plain.out());
        assertThat(json.has("treatment_response")).isFalse();
        assertThat(json.path("outcome_auroc").isMissingNode()).isFalse();
    }

    @Test
    void learnsAMetricFromDevelopmentPopulationsAndChoosesNeighboursWithIt(@TempDir Path dir) throws Exception {
        List<String> common = List.of("--modules", "builtin-response", "--data-dir", "target", "--cutoff",
                "2019-01-01", "--no-baselines", "--bootstrap", "100");
        Path cases5 = dir.resolve("cases-5.json");
        Path cases6 = dir.resolve("cases-6.json");
        for (String[] pop : new String[][] {{"5", cases5.toString()}, {"6", cases6.toString()}}) {
            List<String> args = new ArrayList<>(List.of("--patients", "40", "--seed", pop[0], "--response-cases-out",
                    pop[1]));
            args.addAll(common);
            Run run = evaluate(args.toArray(String[]::new));
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.err()).contains("judged courses to " + pop[1]);
        }
        JsonNode written = JSON.readTree(cases5.toFile());
        int dims = written.path("dimensions").size();
        assertThat(dims).isPositive();
        assertThat(written.path("courses").size()).isPositive();
        // Learned on vectors not scaled to unit length: on a unit vector, age is age divided by everything else.
        String design = written.path("design").asText();
        assertThat(design).contains("unitLength=false");
        for (JsonNode course : written.path("courses")) {
            assertThat(course.path("treatment").asText()).contains("|");
            assertThat(course.path("vector")).hasSize(dims);
        }

        Path metricFile = dir.resolve("metric.json");
        Run learn = run("learn-metric", "--cases", cases5.toString(), "--cases", cases6.toString(), "--out",
                metricFile.toString(), "--min-courses", "10");
        assertThat(learn.exit()).as(learn.err()).isZero();
        JsonNode metric = JSON.readTree(metricFile.toFile());
        assertThat(metric.path("kind").asText()).isEqualTo("kindred-response-metric");
        assertThat(metric.path("provenance").path("populations").toString()).contains("seed=5", "seed=6");
        assertThat(metric.path("provenance").path("vectors").asText()).isEqualTo(design);

        // A metric over age alone for every judged treatment: the report is then made under it.
        String treatment = written.path("courses").get(0).path("treatment").asText();
        Path ageOnly = dir.resolve("age-only.json");
        String provenance = "\"provenance\":" + JSON.writeValueAsString(Map.of("vectors", design));
        java.nio.file.Files.writeString(ageOnly, "{" + provenance + ",\"treatments\":{\"" + treatment
                + "\":{\"weights\":{\"age\":1.0}}}}");
        List<String> args = new ArrayList<>(List.of("--patients", "40", "--seed", "5", "--response-metric",
                ageOnly.toString()));
        args.addAll(common);
        Run withMetric = evaluate(args.toArray(String[]::new));
        assertThat(withMetric.exit()).as(withMetric.err()).isZero();
        JsonNode response = JSON.readTree(withMetric.out()).path("treatment_response");
        assertThat(response.path("estimator").path("metric").asText()).isEqualTo("learned-metric");
        List<String> trials = new ArrayList<>();
        response.path("weight_search").forEach(t -> trials.add(t.path("name").asText() + "@" + t.path("vectors_at").asText()));
        assertThat(trials).contains("(pipeline)@course-start", "learned-metric@course-start");

        // A metric that weighs a dimension the design lacks is refused, not half applied.
        Path foreign = dir.resolve("foreign.json");
        java.nio.file.Files.writeString(foreign, "{" + provenance + ",\"treatments\":{\"" + treatment
                + "\":{\"weights\":{\"no-such-dimension\":1.0}}}}");
        args.set(args.indexOf(ageOnly.toString()), foreign.toString());
        Run refused = evaluate(args.toArray(String[]::new));
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("--response-metric: the response metric of " + treatment)
                .contains("does not have: [no-such-dimension]");

        // A metric that does not say which vectors it was learned on (or names others) is refused too.
        Path unrecorded = dir.resolve("unrecorded.json");
        java.nio.file.Files.writeString(unrecorded, "{\"treatments\":{\"" + treatment
                + "\":{\"weights\":{\"age\":1.0}}}}");
        args.set(args.indexOf(foreign.toString()), unrecorded.toString());
        Run stale = evaluate(args.toArray(String[]::new));
        assertThat(stale.exit()).isEqualTo(2);
        assertThat(stale.err()).contains("--response-metric: the metric was learned on vectors of an unrecorded design");
    }

    @Test
    void aModulesDirectoryThatDoesNotExistIsAClearError() {
        Run run = evaluate("--patients", "5", "--modules", "no/such/dir", "--data-dir", "target");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--modules no/such/dir is not a directory");
        Run bad = evaluate("--patients", "5", "--response-vectors", "sometime", "--data-dir", "target");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--response-vectors must be course-start or cutoff");
    }
}
