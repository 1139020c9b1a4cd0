package dev.kindred.app;

import dev.kindred.clinical.evaluation.MetricLearner;
import dev.kindred.clinical.evaluation.ResponseCases;
import dev.kindred.clinical.recommend.ResponseEstimator;
import dev.kindred.clinical.recommend.ResponseMetric;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kindred learn-metric}: per-treatment neighbour weights from the judged courses of development
 * populations ({@code kindred evaluate --response-cases-out}), for {@code kindred evaluate --response-metric}.
 */
@Command(name = "learn-metric", mixinStandardHelpOptions = true,
        description = "Learn per-treatment weights for choosing treated neighbours from the judged courses of two or"
                + " more development populations (files of kindred evaluate --response-cases-out); each penalty is"
                + " chosen by leaving one population out. Report on populations the learning never saw.")
final class LearnMetricCommand implements Callable<Integer> {

    @Option(names = "--cases", paramLabel = "FILE", required = true,
            description = "Judged courses of one development population; repeat for each (at least two).")
    List<Path> cases = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write the metric (JSON).")
    Path out;

    @Option(names = "--response-neighbours", defaultValue = "15",
            description = "Treated neighbours per estimate while scoring penalties (default ${DEFAULT-VALUE}).")
    int neighbours;

    @Option(names = "--min-courses", defaultValue = "40",
            description = "Least judged courses of a treatment, populations together, to learn its weights (default ${DEFAULT-VALUE}).")
    int minCourses;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        if (cases.size() < 2) {
            err.println("kindred learn-metric: pass --cases for at least two development populations (one is held out in turn)");
            return 2;
        }
        List<ResponseCases> populations = new ArrayList<>();
        for (Path p : cases) {
            if (!Files.isRegularFile(p)) {
                err.println("kindred learn-metric: --cases " + p + " is not a file");
                return 2;
            }
            populations.add(ResponseCases.load(p));
        }
        ResponseEstimator.Settings d = ResponseEstimator.Settings.DEFAULT;
        MetricLearner learner = new MetricLearner(new MetricLearner.Settings(
                new ResponseEstimator.Settings(neighbours, d.priorStrength(), d.minEffectiveSize()), minCourses,
                MetricLearner.Settings.DEFAULT.minClass()));
        Map<String, MetricLearner.Outcome> outcomes = learner.learn(populations);
        ResponseMetric metric = MetricLearner.metric(outcomes, populations);
        metric.write(out, MetricLearner.notes(outcomes));
        err.printf(Locale.ROOT, "%-28s %7s %5s %9s %9s %8s %s%n", "treatment (system|code)", "courses", "impr",
                "cv_learned", "cv_design", "penalty", "compared on (share of the learned distance)");
        for (MetricLearner.Outcome o : outcomes.values()) {
            String top = o.influence().entrySet().stream().limit(4)
                    .map(e -> String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), 100 * e.getValue()))
                    .reduce((a, b) -> a + ", " + b).orElse("");
            String key = o.treatment().substring(o.treatment().lastIndexOf('/', o.treatment().indexOf('|')) + 1);
            err.printf(Locale.ROOT, "%-28s %7d %5d %9.3f %9.3f %8.2f %s%s%n", key, o.courses(), o.improved(),
                    o.cvAuroc(), o.cvAurocUnweighted(), o.penaltyFraction(), o.covered() ? "" : "(not covered) ", top);
        }
        err.printf("learned weights for %d of %d treatments; wrote %s%n", metric.treatments().size(), outcomes.size(), out);
        return 0;
    }
}
