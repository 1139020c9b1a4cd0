package dev.kindred.clinical.patient;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.ValueRange;
import java.util.Set;

/**
 * Whether a measurement is outside its reference range, and how badly. The resource's own interpretation
 * code and reference range take precedence over the catalog's; beyond the catalog's critical range (or an
 * HH/LL/AA interpretation) is critical, otherwise warning.
 *
 * @param direction -1 below, 0 normal, +1 above (0 also when the interpretation says abnormal without a side)
 * @param range the reference range that was applied
 */
public record RangeCheck(boolean abnormal, int direction, AlertIndicator severity, ValueRange range) {

    private static final Set<String> CRITICAL_CODES = Set.of("HH", "LL", "AA", "HU", "LU");
    private static final Set<String> HIGH_CODES = Set.of("H", "HH", "HU");
    private static final Set<String> LOW_CODES = Set.of("L", "LL", "LU");
    private static final Set<String> ABNORMAL_CODES = Set.of("A", "AA", "H", "HH", "HU", "L", "LL", "LU");

    public static RangeCheck of(double value, Feature feature, Double ownLow, Double ownHigh, String interpretation) {
        ValueRange range = ownLow != null || ownHigh != null ? new ValueRange(ownLow, ownHigh)
                : feature == null ? ValueRange.UNBOUNDED : feature.referenceRange();
        boolean critical = feature != null && !feature.criticalRange().contains(value);
        int direction = range.isAbove(value) ? 1 : range.isBelow(value) ? -1 : 0;
        boolean abnormal = direction != 0 || critical;
        if (interpretation != null && !interpretation.isBlank()) {
            String code = interpretation.trim().toUpperCase(java.util.Locale.ROOT);
            if ("N".equals(code)) {
                return new RangeCheck(false, 0, AlertIndicator.info, range);
            }
            if (ABNORMAL_CODES.contains(code)) {
                abnormal = true;
                critical = critical || CRITICAL_CODES.contains(code);
                direction = HIGH_CODES.contains(code) ? 1 : LOW_CODES.contains(code) ? -1 : direction;
            }
        }
        if (direction == 0 && critical && feature != null) {
            direction = feature.criticalRange().isAbove(value) ? 1 : -1;
        }
        AlertIndicator severity = !abnormal ? AlertIndicator.info : critical ? AlertIndicator.critical : AlertIndicator.warning;
        return new RangeCheck(abnormal, direction, severity, range);
    }
}
