package dev.kindred.clinical.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Alert numbers are written exactly as String.format wrote them. */
class DecimalsTest {

    private static String formatted3g(double v) {
        return String.format(Locale.ROOT, "%.3g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }

    @Test
    void asStringFormatWritesThem() {
        Random random = new Random(11);
        double[] fixed = {0, -0.0, 0.0005, 0.0015, 0.1235, 1.0005, -0.0004, 99.95, 999.5, 0.00009999, 123456.7,
                6.3, 0.5, 1e-7, -42.4242, 1e20};
        for (double v : fixed) {
            assertThat(Decimals.threePlaces(v)).as("%%.3f of %s", v).isEqualTo(String.format(Locale.ROOT, "%.3f", v));
            assertThat(Decimals.threeSignificant(v)).as("%%.3g of %s", v).isEqualTo(formatted3g(v));
        }
        for (int i = 0; i < 20_000; i++) {
            double v = (random.nextDouble() - 0.3) * Math.pow(10, random.nextInt(12) - 6);
            assertThat(Decimals.threePlaces(v)).as("%%.3f of %s", v).isEqualTo(String.format(Locale.ROOT, "%.3f", v));
            assertThat(Decimals.threeSignificant(v)).as("%%.3g of %s", v).isEqualTo(formatted3g(v));
        }
    }
}
