package dev.kindred.clinical.recommend;

import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.clinical.outcomes.OutcomeRules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * The chance that one treatment works for one patient, from the patients most like them who received it.
 *
 * <ul>
 *   <li>The neighbours are found among patients with a known outcome of that treatment ({@link #treatedWith},
 *       the filter to pass inside the index search), so every neighbour is evidence.</li>
 *   <li>Each is weighted by a Gaussian kernel of its distance, its bandwidth the median distance of the list:
 *       closer neighbours count for more, whatever the scale of the vectors.</li>
 *   <li>Below {@code minEffectiveSize} (Kish: (Σw)² / Σw²) the neighbours say nothing and the estimate is the
 *       population rate; above it, the weighted rate is shrunk toward the population rate by
 *       {@code priorStrength} neighbours' worth (a beta prior), so a rate seen in few neighbours moves little.</li>
 * </ul>
 * Nothing here knows why a treatment works: the estimate is only what the neighbours' outcomes say.
 */
public final class ResponseEstimator {

    /**
     * @param neighbours treated neighbours searched per estimate
     * @param priorStrength weight, in effective neighbours, of the population rate
     * @param minEffectiveSize least effective number of neighbours for the neighbours to count at all
     */
    public record Settings(int neighbours, double priorStrength, double minEffectiveSize) {
        public static final Settings DEFAULT = new Settings(15, 2.0, 3.0);

        public Settings {
            if (neighbours < 1 || priorStrength < 0 || minEffectiveSize < 0) {
                throw new IllegalArgumentException("neighbours must be at least 1, prior strength and minimum"
                        + " effective size at least 0");
            }
        }
    }

    /** A treated neighbour: its distance and outcome summary. */
    public record TreatedNeighbour(String patientKey, double distance, List<TreatmentOutcome> outcomes) {
    }

    /**
     * The estimate and how it was reached.
     *
     * @param rate the shrunk estimate
     * @param neighbourRate the kernel-weighted improvement rate of the neighbours (NaN without neighbours)
     * @param effectiveSize Kish's effective number of neighbours
     * @param neighbours neighbours with a known outcome of the treatment
     * @param populationRate the prior
     */
    public record Estimate(double rate, double neighbourRate, double effectiveSize, int neighbours,
            double populationRate) {
    }

    private final Settings settings;

    public ResponseEstimator(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** Keeps the patients with a known outcome of {@code treatment} (system|code): the filter for the search. */
    public static Predicate<List<TreatmentOutcome>> treatedWith(String treatment) {
        return outcomes -> outcomes != null && outcomes.stream().anyMatch(o -> o.getStatus() != OutcomeStatus.UNKNOWN
                && treatment.equals(OutcomeRules.key(o.getSystem(), o.getCode())));
    }

    /**
     * The estimate for {@code treatment} given for {@code reason} (may be null) from treated neighbours.
     * A neighbour with several outcomes of the treatment gives the one for the reason, else its latest.
     */
    public Estimate estimate(List<TreatedNeighbour> neighbours, String treatment, String reason,
            double populationRate) {
        List<Double> distances = new ArrayList<>();
        List<Boolean> improved = new ArrayList<>();
        for (TreatedNeighbour n : neighbours) {
            TreatmentOutcome chosen = null;
            for (TreatmentOutcome o : n.outcomes()) {
                if (o.getStatus() == OutcomeStatus.UNKNOWN
                        || !treatment.equals(OutcomeRules.key(o.getSystem(), o.getCode()))) {
                    continue;
                }
                chosen = chosen == null ? o : preferred(chosen, o, reason);
            }
            if (chosen != null) {
                distances.add(n.distance());
                improved.add(chosen.getStatus() == OutcomeStatus.IMPROVED);
            }
        }
        boolean[] outcomes = new boolean[improved.size()];
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = improved.get(i);
        }
        return estimate(distances.stream().mapToDouble(Double::doubleValue).toArray(), outcomes, populationRate);
    }

    /** The estimate from neighbours already reduced to their distances and whether each improved. */
    public Estimate estimate(double[] distances, boolean[] improved, double populationRate) {
        double[] w = kernelWeights(distances);
        double sum = 0;
        double sum2 = 0;
        double sumImproved = 0;
        for (int i = 0; i < w.length; i++) {
            sum += w[i];
            sum2 += w[i] * w[i];
            sumImproved += improved[i] ? w[i] : 0;
        }
        double effective = sum2 == 0 ? 0 : sum * sum / sum2;
        double neighbourRate = sum == 0 ? Double.NaN : sumImproved / sum;
        return new Estimate(shrink(neighbourRate, effective, populationRate, settings), neighbourRate, effective,
                w.length, populationRate);
    }

    /**
     * The neighbour rate shrunk toward the population rate: {@code (n·r + m·p) / (n + m)} for effective size n
     * and prior strength m, or p itself below the minimum effective size.
     */
    public static double shrink(double neighbourRate, double effectiveSize, double populationRate, Settings s) {
        if (Double.isNaN(neighbourRate) || effectiveSize < s.minEffectiveSize() || effectiveSize == 0) {
            return populationRate;
        }
        return (effectiveSize * neighbourRate + s.priorStrength() * populationRate)
                / (effectiveSize + s.priorStrength());
    }

    /**
     * Gaussian kernel weights, {@code exp(-(d/h)²/2)} with h the median distance (all 1 when h is 0): relative to
     * the list, so the same for any vector scale; the farthest of a list of equals still counts for ~0.6.
     */
    static double[] kernelWeights(double[] distances) {
        double[] w = new double[distances.length];
        if (distances.length == 0) {
            return w;
        }
        double[] sorted = distances.clone();
        Arrays.sort(sorted);
        double h = sorted[sorted.length / 2];
        for (int i = 0; i < w.length; i++) {
            double z = h == 0 ? 0 : distances[i] / h;
            w[i] = Math.exp(-z * z / 2);
        }
        return w;
    }

    private static TreatmentOutcome preferred(TreatmentOutcome a, TreatmentOutcome b, String reason) {
        if (reason != null) {
            boolean fa = a.getReasons().contains(reason);
            boolean fb = b.getReasons().contains(reason);
            if (fa != fb) {
                return fa ? a : b;
            }
        }
        var ta = a.getDecidedAt() != null ? a.getDecidedAt() : a.getStartedAt();
        var tb = b.getDecidedAt() != null ? b.getDecidedAt() : b.getStartedAt();
        return tb.isAfter(ta) ? b : a;
    }
}
