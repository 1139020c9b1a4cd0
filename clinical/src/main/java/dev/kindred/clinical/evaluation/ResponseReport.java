package dev.kindred.clinical.evaluation;

import dev.kindred.clinical.recommend.ResponseEstimator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How well the neighbours predict treatment response: per treatment (system|code) and pooled, the AUROC of the
 * {@link ResponseEstimator} estimate against the population rate's, the bootstrap interval of their difference,
 * and calibration. Within one treatment the population rate is one number (AUROC 0.5): there the difference is
 * what personalisation adds.
 */
public record ResponseReport(ResponseEstimator.Settings estimator, int resamples, long seed, int minCases,
        List<Row> treatments, Row pooled, List<Calibration.Bin> reliability, List<WeightTrial> weightSearch,
        String vectorsAt, String metric) {

    /** The neighbours' and the patient's vectors as they were when each course started (the decision). */
    public static final String AT_COURSE_START = "course-start";
    /** Everyone's vectors at the evaluation cutoff, as in the stream's index. */
    public static final String AT_CUTOFF = "cutoff";

    /** One judged course after the cutoff: the estimate, the population rate, and what happened. */
    public record Case(String treatment, double estimate, double populationRate, boolean improved,
            double effectiveSize, boolean fromNeighbours) {
    }

    /** The figures of one treatment, or of all cases pooled (treatment "*"). */
    public record Row(String treatment, String display, int cases, int improved, double aurocNeighbours,
            double aurocPopulation, Bootstrap.Interval interval, double brierNeighbours, double brierPopulation,
            double meanEffectiveSize, double shareFromNeighbours) {
    }

    /** One candidate vector design of the weight search: what it scored on this population. */
    public record WeightTrial(String name, String weights, String vectorsAt, double meanWithinAuroc,
            double pooledAuroc, double liftExact, Map<String, Double> withinAuroc, ResponseReport report) {
    }

    /** Builds the report; treatments with fewer than {@code minCases} judged courses get no row. */
    public static ResponseReport of(List<Case> cases, Map<String, String> displays, ResponseEstimator.Settings estimator,
            int minCases, int resamples, long seed, List<WeightTrial> weightSearch) {
        Map<String, List<Case>> byTreatment = new TreeMap<>();
        for (Case c : cases) {
            byTreatment.computeIfAbsent(c.treatment(), t -> new ArrayList<>()).add(c);
        }
        List<Row> rows = new ArrayList<>();
        byTreatment.forEach((treatment, list) -> {
            if (list.size() >= minCases) {
                rows.add(row(treatment, displays.get(treatment), list, resamples, seed ^ treatment.hashCode()));
            }
        });
        return new ResponseReport(estimator, resamples, seed, minCases, rows, row("*", "all treatments", cases,
                resamples, seed), Calibration.reliability(scores(cases, true), 10), List.copyOf(weightSearch),
                AT_CUTOFF, null);
    }

    /** The same report, its neighbours' vectors taken {@code at} ({@link #AT_COURSE_START} or {@link #AT_CUTOFF}). */
    public ResponseReport withVectorsAt(String at) {
        return new ResponseReport(estimator, resamples, seed, minCases, treatments, pooled, reliability, weightSearch,
                at, metric);
    }

    /** The same report, its neighbours chosen under a learned response metric (described by {@code name}). */
    public ResponseReport withMetric(String name) {
        return new ResponseReport(estimator, resamples, seed, minCases, treatments, pooled, reliability, weightSearch,
                vectorsAt, name);
    }

    /** The neighbour AUROC of each treatment row, by system|code. */
    public Map<String, Double> withinAurocs() {
        Map<String, Double> out = new TreeMap<>();
        treatments.forEach(r -> out.put(r.treatment(), r.aurocNeighbours()));
        return out;
    }

    private static Row row(String treatment, String display, List<Case> cases, int resamples, long seed) {
        List<Auroc.Case> neighbours = scores(cases, true);
        List<Auroc.Case> population = scores(cases, false);
        return new Row(treatment, display, cases.size(), (int) cases.stream().filter(Case::improved).count(),
                Auroc.of(neighbours), Auroc.of(population),
                Bootstrap.aurocDifference(neighbours, population, resamples, seed), Calibration.brier(neighbours),
                Calibration.brier(population), cases.stream().mapToDouble(Case::effectiveSize).average().orElse(0),
                cases.stream().filter(Case::fromNeighbours).count() / (double) Math.max(1, cases.size()));
    }

    private static List<Auroc.Case> scores(List<Case> cases, boolean byNeighbours) {
        return cases.stream().map(c -> new Auroc.Case(byNeighbours ? c.estimate() : c.populationRate(), c.improved()))
                .toList();
    }

    /** The mean neighbour AUROC over the treatment rows that have one. */
    public double meanWithinAuroc() {
        return treatments.stream().mapToDouble(Row::aurocNeighbours).filter(v -> !Double.isNaN(v)).average()
                .orElse(Double.NaN);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mean_within_treatment_auroc", round(meanWithinAuroc()));
        out.put("pooled", rowJson(pooled));
        Map<String, Object> per = new LinkedHashMap<>();
        for (Row r : treatments) {
            per.put(r.treatment(), rowJson(r));
        }
        out.put("per_treatment", per);
        List<Map<String, Object>> bins = new ArrayList<>();
        for (Calibration.Bin b : reliability) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("low", round(b.low()));
            m.put("high", round(b.high()));
            m.put("cases", b.cases());
            m.put("mean_predicted", round(b.meanPredicted()));
            m.put("observed", round(b.observed()));
            bins.add(m);
        }
        out.put("reliability", bins);
        out.put("expected_calibration_error", round(Calibration.expectedError(reliability)));
        Map<String, Object> est = new LinkedHashMap<>();
        est.put("vectors_at", vectorsAt);
        est.put("metric", metric == null ? "vector design" : metric);
        est.put("neighbours", estimator.neighbours());
        est.put("prior_strength", estimator.priorStrength());
        est.put("min_effective_size", estimator.minEffectiveSize());
        est.put("bootstrap_resamples", resamples);
        est.put("bootstrap_seed", seed);
        est.put("min_cases_per_treatment", minCases);
        out.put("estimator", est);
        if (!weightSearch.isEmpty()) {
            List<Map<String, Object>> trials = new ArrayList<>();
            for (WeightTrial t : weightSearch) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", t.name());
                m.put("weights", t.weights());
                m.put("vectors_at", t.vectorsAt());
                m.put("mean_within_treatment_auroc", round(t.meanWithinAuroc()));
                m.put("pooled_auroc", round(t.pooledAuroc()));
                m.put("neighbour_condition_lift_exact", round(t.liftExact()));
                Map<String, Object> within = new LinkedHashMap<>();
                t.withinAuroc().forEach((k, v) -> within.put(k, round(v)));
                m.put("within_treatment_auroc", within);
                if (t.report() != null) {
                    // Rows with both outcomes only: elsewhere an AUROC is undefined.
                    Map<String, Object> rows = new LinkedHashMap<>();
                    for (Row r : t.report().treatments()) {
                        if (!Double.isNaN(r.aurocNeighbours())) {
                            rows.put(r.treatment(), rowJson(r));
                        }
                    }
                    m.put("per_treatment", rows);
                    m.put("pooled", rowJson(t.report().pooled()));
                    m.put("expected_calibration_error", round(Calibration.expectedError(t.report().reliability())));
                }
                trials.add(m);
            }
            out.put("weight_search", trials);
        }
        return out;
    }

    private static Map<String, Object> rowJson(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r.display() != null) {
            m.put("display", r.display());
        }
        m.put("cases", r.cases());
        m.put("improved", r.improved());
        m.put("auroc_neighbours", round(r.aurocNeighbours()));
        m.put("auroc_population", round(r.aurocPopulation()));
        m.put("auroc_difference", round(r.interval().difference()));
        m.put("auroc_difference_ci95", List.of(nullable(r.interval().low()), nullable(r.interval().high())));
        m.put("auroc_neighbours_ci95", List.of(nullable(r.interval().lowA()), nullable(r.interval().highA())));
        m.put("brier_neighbours", round(r.brierNeighbours()));
        m.put("brier_population", round(r.brierPopulation()));
        m.put("mean_effective_neighbours", round(r.meanEffectiveSize()));
        m.put("share_estimated_from_neighbours", round(r.shareFromNeighbours()));
        return m;
    }

    /** A table for people: one line per treatment, then the pooled line. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %5s %5s %8s %17s %7s %7s  %s%n", "treatment (system|code)", "cases",
                "impr", "AUROC_nb", "diff vs pop [95%]", "Brier", "Brier_p", "display"));
        List<Row> all = new ArrayList<>(treatments);
        all.add(pooled);
        for (Row r : all) {
            // The system's last path segment keeps the key readable: "rxnorm|314076".
            String key = r.treatment().substring(r.treatment().lastIndexOf('/', r.treatment().indexOf('|')) + 1);
            sb.append(String.format(Locale.ROOT, "%-28s %5d %5d %8.3f %+6.3f [%+.2f,%+.2f] %7.3f %7.3f  %s%n",
                    r.treatment().equals("*") ? "pooled" : key, r.cases(), r.improved(),
                    r.aurocNeighbours(), r.interval().difference(), r.interval().low(), r.interval().high(),
                    r.brierNeighbours(), r.brierPopulation(), r.display() == null ? "" : r.display()));
        }
        sb.append(String.format(Locale.ROOT, "mean within-treatment AUROC %.3f; pooled AUROC %.3f vs population %.3f;"
                + " ECE %.3f; prior strength %.1f, min effective size %.1f, %d treated neighbours, vectors at %s%n",
                meanWithinAuroc(), pooled.aurocNeighbours(), pooled.aurocPopulation(),
                Calibration.expectedError(reliability), estimator.priorStrength(), estimator.minEffectiveSize(),
                estimator.neighbours(), vectorsAt + (metric == null ? "" : ", metric " + metric)));
        for (WeightTrial t : weightSearch) {
            StringBuilder within = new StringBuilder();
            t.withinAuroc().forEach((k, v) -> {
                if (!Double.isNaN(v)) {
                    within.append(String.format(Locale.ROOT, " %s=%.3f", k.substring(k.lastIndexOf('|') + 1), v));
                }
            });
            sb.append(String.format(Locale.ROOT, "  trial %-20s at %-12s within %.3f pooled %.3f lift %.2f%s%n",
                    t.name(), t.vectorsAt(), t.meanWithinAuroc(), t.pooledAuroc(), t.liftExact(), within));
        }
        return sb.toString();
    }

    private static Object nullable(double v) {
        Object r = round(v);
        return r == null ? "NaN" : r;
    }

    private static Object round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 10_000) / 10_000.0;
    }
}
