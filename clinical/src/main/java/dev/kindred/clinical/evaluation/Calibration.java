package dev.kindred.clinical.evaluation;

import java.util.ArrayList;
import java.util.List;

/** How well predicted probabilities match what happened: the Brier score and reliability bins. */
public final class Calibration {
    private Calibration() {
    }

    /** One bin of predictions in [low, high): how many, their mean prediction, the share that were positive. */
    public record Bin(double low, double high, int cases, double meanPredicted, double observed) {
    }

    /** Mean squared error of the probability against the outcome (0 perfect; 0.25 for a constant 0.5). */
    public static double brier(List<Auroc.Case> cases) {
        if (cases.isEmpty()) {
            return Double.NaN;
        }
        double sum = 0;
        for (Auroc.Case c : cases) {
            double e = c.score() - (c.positive() ? 1 : 0);
            sum += e * e;
        }
        return sum / cases.size();
    }

    /** Equal-width bins over [0, 1] (a score of 1 goes in the last); empty bins are left out. */
    public static List<Bin> reliability(List<Auroc.Case> cases, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be at least 1: " + bins);
        }
        int[] n = new int[bins];
        double[] predicted = new double[bins];
        int[] positive = new int[bins];
        for (Auroc.Case c : cases) {
            if (c.score() < 0 || c.score() > 1 || Double.isNaN(c.score())) {
                throw new IllegalArgumentException("a probability must lie in [0, 1]: " + c.score());
            }
            int b = Math.min(bins - 1, (int) (c.score() * bins));
            n[b]++;
            predicted[b] += c.score();
            positive[b] += c.positive() ? 1 : 0;
        }
        List<Bin> out = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            if (n[b] > 0) {
                out.add(new Bin((double) b / bins, (double) (b + 1) / bins, n[b], predicted[b] / n[b],
                        (double) positive[b] / n[b]));
            }
        }
        return out;
    }

    /** Expected calibration error: the case-weighted mean gap between prediction and observation over the bins. */
    public static double expectedError(List<Bin> bins) {
        int total = bins.stream().mapToInt(Bin::cases).sum();
        if (total == 0) {
            return Double.NaN;
        }
        return bins.stream().mapToDouble(b -> b.cases() * Math.abs(b.meanPredicted() - b.observed())).sum() / total;
    }
}
