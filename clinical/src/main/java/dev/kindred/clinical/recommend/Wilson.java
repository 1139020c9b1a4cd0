package dev.kindred.clinical.recommend;

/** The Wilson score interval of a binomial proportion. */
public final class Wilson {
    /** z for a two-sided 95 % interval. */
    public static final double Z95 = 1.959963984540054;

    private Wilson() {
    }

    /**
     * The lower bound of the Wilson score interval for a proportion {@code p} observed over {@code n} trials
     * ({@code n} may be fractional: an effective sample size). 0 when {@code n} is 0; always in [0, p].
     */
    public static double lowerBound(double p, double n, double z) {
        if (!(n > 0) || Double.isNaN(p)) {
            return 0;
        }
        double q = Math.max(0, Math.min(1, p));
        double z2 = z * z;
        double centre = q + z2 / (2 * n);
        double margin = z * Math.sqrt(q * (1 - q) / n + z2 / (4 * n * n));
        double lower = (centre - margin) / (1 + z2 / n);
        return Math.max(0, Math.min(q, lower));
    }
}
