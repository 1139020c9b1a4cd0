package dev.kindred.clinical.alerts;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Numbers as alert texts write them, as {@code String.format} would, without its cost: formatting took about
 * 8% of a stream thread (a new {@code Formatter} and locale symbols per call, several calls per alert).
 */
final class Decimals {
    private static final MathContext THREE = new MathContext(3, RoundingMode.HALF_UP);
    private static final BigDecimal SMALLEST_PLAIN = new BigDecimal("0.0001");
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private Decimals() {
    }

    /** {@code %.3f}: three decimals, half up. */
    static String threePlaces(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || Math.abs(v) >= 1e15) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        BigDecimal rounded = BigDecimal.valueOf(v).setScale(3, RoundingMode.HALF_UP);
        // BigDecimal has no negative zero; the formatter writes -0.000 for a small negative number.
        return (rounded.signum() == 0 && (v < 0 || 1 / v < 0) ? "-" : "") + rounded.toPlainString();
    }

    /** {@code %.3g} without trailing zeros: 6.3, 0.00012, 1.23e+05. */
    static String threeSignificant(double v) {
        if (v != 0 && !Double.isNaN(v) && !Double.isInfinite(v)) {
            BigDecimal rounded = BigDecimal.valueOf(v).round(THREE);
            BigDecimal magnitude = rounded.abs();
            if (magnitude.compareTo(SMALLEST_PLAIN) >= 0 && magnitude.compareTo(THOUSAND) < 0) {
                return rounded.stripTrailingZeros().toPlainString();
            }
        }
        return String.format(Locale.ROOT, "%.3g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }
}
