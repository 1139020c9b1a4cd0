package dev.kindred.clinical.evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Percentile bootstrap (seeded) of the difference between two scores of the same cases: the cases are resampled
 * in pairs, so what both scores share (which cases were hard) cancels out.
 */
public final class Bootstrap {
    private Bootstrap() {
    }

    /**
     * A difference and its confidence interval.
     *
     * @param difference AUROC(a) - AUROC(b) on all cases
     * @param low lower bound (2.5 % percentile)
     * @param high upper bound (97.5 % percentile)
     * @param lowA lower bound of AUROC(a) alone
     * @param highA upper bound of AUROC(a) alone
     * @param resamples resamples with both classes (the others have no AUROC and are left out)
     */
    public record Interval(double difference, double low, double high, double lowA, double highA, int resamples) {
        /** True when the interval of the difference lies wholly above zero. */
        public boolean excludesZero() {
            return low > 0 || high < 0;
        }
    }

    /** The 95 % interval of AUROC(a) - AUROC(b); a and b score the same cases in the same order. */
    public static Interval aurocDifference(List<Auroc.Case> a, List<Auroc.Case> b, int resamples, long seed) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("a and b must score the same cases: " + a.size() + " vs " + b.size());
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).positive() != b.get(i).positive()) {
                throw new IllegalArgumentException("case " + i + " has different outcomes in a and b");
            }
        }
        double difference = Auroc.of(a) - Auroc.of(b);
        Random rng = new Random(seed);
        double[] diffs = new double[resamples];
        double[] aurocsA = new double[resamples];
        int kept = 0;
        int n = a.size();
        List<Auroc.Case> ra = new ArrayList<>(n);
        List<Auroc.Case> rb = new ArrayList<>(n);
        for (int r = 0; r < resamples && n > 0; r++) {
            ra.clear();
            rb.clear();
            for (int i = 0; i < n; i++) {
                int j = rng.nextInt(n);
                ra.add(a.get(j));
                rb.add(b.get(j));
            }
            double auA = Auroc.of(ra);
            double auB = Auroc.of(rb);
            if (Double.isNaN(auA) || Double.isNaN(auB)) {
                continue;
            }
            diffs[kept] = auA - auB;
            aurocsA[kept] = auA;
            kept++;
        }
        if (kept == 0) {
            return new Interval(difference, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double[] d = Arrays.copyOf(diffs, kept);
        double[] au = Arrays.copyOf(aurocsA, kept);
        Arrays.sort(d);
        Arrays.sort(au);
        return new Interval(difference, percentile(d, 0.025), percentile(d, 0.975), percentile(au, 0.025),
                percentile(au, 0.975), kept);
    }

    /** The q-quantile of sorted values, linear between order statistics. */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
