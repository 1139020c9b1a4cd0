package dev.kindred.clinical.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Area under the ROC curve by the Mann-Whitney statistic, ties counted as half. */
public final class Auroc {
    private Auroc() {
    }

    /** A prediction and what happened. */
    public record Case(double score, boolean positive) {
    }

    /** The AUROC of the cases; NaN when they are all positive or all negative. */
    public static double of(List<Case> cases) {
        List<Case> sorted = new ArrayList<>(cases);
        sorted.sort(Comparator.comparingDouble(Case::score));
        long positives = sorted.stream().filter(Case::positive).count();
        long negatives = sorted.size() - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        double rankSum = 0;
        int i = 0;
        while (i < sorted.size()) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1).score() == sorted.get(i).score()) {
                j++;
            }
            double rank = (i + j) / 2.0 + 1;
            for (int m = i; m <= j; m++) {
                if (sorted.get(m).positive()) {
                    rankSum += rank;
                }
            }
            i = j + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }
}
