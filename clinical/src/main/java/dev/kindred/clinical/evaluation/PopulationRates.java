package dev.kindred.clinical.evaluation;

import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.outcomes.OutcomeRules;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Improvement rate of each treatment (or treatment and reason) over the population's outcome summaries at
 * the cutoff; a treatment nobody had a known outcome of gets the rate of all treatments. Each patient
 * counts once per treatment (its latest decided outcome), as a neighbour does in the recommender.
 */
final class PopulationRates {
    private final Map<String, int[]> counts = new HashMap<>();
    private int allImproved;
    private int allJudged;

    PopulationRates(Map<String, List<TreatmentOutcome>> payloads) {
        payloads.forEach((patient, outcomes) -> {
            Map<String, TreatmentOutcome> latest = new HashMap<>();
            for (TreatmentOutcome o : outcomes) {
                if (o.getStatus() == OutcomeStatus.UNKNOWN) {
                    continue;
                }
                String treatment = OutcomeRules.key(o.getSystem(), o.getCode());
                add(treatment + "#" + (o.getReasons().isEmpty() ? "" : o.getReasons().get(0)), o);
                latest.merge(treatment, o, (a, b) -> decided(b).isAfter(decided(a)) ? b : a);
            }
            latest.forEach((treatment, o) -> {
                add(treatment, o);
                allImproved += o.getStatus() == OutcomeStatus.IMPROVED ? 1 : 0;
                allJudged++;
            });
        });
    }

    private static Instant decided(TreatmentOutcome o) {
        return o.getDecidedAt() != null ? o.getDecidedAt() : o.getStartedAt();
    }

    private void add(String key, TreatmentOutcome o) {
        int[] c = counts.computeIfAbsent(key, x -> new int[2]);
        c[0] += o.getStatus() == OutcomeStatus.IMPROVED ? 1 : 0;
        c[1]++;
    }

    /** The rate of a treatment, or of a treatment given for {@code reason} when that is known and seen. */
    double rate(String treatment, String reason) {
        if (reason != null) {
            int[] c = counts.get(treatment + "#" + reason);
            if (c != null && c[1] > 0) {
                return (double) c[0] / c[1];
            }
        }
        int[] c = counts.get(treatment);
        if (c != null && c[1] > 0) {
            return (double) c[0] / c[1];
        }
        return allJudged == 0 ? 0.5 : (double) allImproved / allJudged;
    }
}
