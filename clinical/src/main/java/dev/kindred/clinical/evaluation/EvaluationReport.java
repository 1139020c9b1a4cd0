package dev.kindred.clinical.evaluation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything {@link Evaluation} measured, and its JSON form (the keys the README documents first). */
public record EvaluationReport(int patientsTotal, int patients, int k, Instant cutoff, Instant end,
        double lift, double liftExact, double liftRandom, Double baselineLatestValues, Double baselineAgeSex,
        double recall, double outcomeAuroc, double outcomeAurocPopulation,
        double outcomeAurocPopulationByReason, int outcomeCases,
        int outcomeImproved, int alerts, int alertsWithRecommendation, List<DisorderLift> disorders,
        Map<String, Integer> outcomeCasesByRule, ResponseReport response) {
    /** The lift of one disorder. */
    public record DisorderLift(String code, String display, int patients, double prevalence, double lift,
            double liftExact, double liftRandom) {
    }

    public double coverage() {
        return alerts == 0 ? Double.NaN : (double) alertsWithRecommendation / alerts;
    }

    /** The report as a JSON-ready map, the keys the issue asks for first. */
    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("neighbour_condition_lift", round(lift));
        out.put("neighbour_condition_lift_exact", round(liftExact));
        out.put("neighbour_condition_lift_random", round(liftRandom));
        out.put("outcome_auroc", round(outcomeAuroc));
        out.put("outcome_auroc_population", round(outcomeAurocPopulation));
        out.put("coverage", round(coverage()));
        out.put("patients", patients);
        out.put("k", k);
        out.put("cutoff", cutoff.toString());
        out.put("patients_total", patientsTotal);
        out.put("timeline_end", end.toString());
        out.put("disorders", disorders.size());
        if (baselineLatestValues != null) {
            out.put("baseline_lift_latest_values_exact", round(baselineLatestValues));
        }
        if (baselineAgeSex != null) {
            out.put("baseline_lift_age_sex_exact", round(baselineAgeSex));
        }
        out.put("hnsw_recall_at_k", round(recall));
        out.put("outcome_auroc_population_by_reason", round(outcomeAurocPopulationByReason));
        out.put("outcome_cases", outcomeCases);
        out.put("outcome_cases_improved", outcomeImproved);
        out.put("outcome_cases_by_rule", outcomeCasesByRule);
        out.put("alerts", alerts);
        out.put("alerts_with_recommendation", alertsWithRecommendation);
        List<Map<String, Object>> perDisorder = new ArrayList<>();
        for (DisorderLift d : disorders) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("display", d.display());
            m.put("code", d.code());
            m.put("patients", d.patients());
            m.put("prevalence", round(d.prevalence()));
            m.put("lift", round(d.lift()));
            m.put("lift_exact", round(d.liftExact()));
            m.put("lift_random", round(d.liftRandom()));
            perDisorder.add(m);
        }
        out.put("per_disorder", perDisorder);
        if (response != null) {
            out.put("treatment_response", response.toJson());
        }
        return out;
    }

    private static Object round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 10_000) / 10_000.0;
    }
}
