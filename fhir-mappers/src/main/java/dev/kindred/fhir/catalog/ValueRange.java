package dev.kindred.fhir.catalog;

/** A closed interval with optional ends, in a feature's canonical unit. */
public record ValueRange(Double low, Double high) {

    public static final ValueRange UNBOUNDED = new ValueRange(null, null);

    public boolean isBelow(double value) {
        return low != null && value < low;
    }

    public boolean isAbove(double value) {
        return high != null && value > high;
    }

    public boolean contains(double value) {
        return !isBelow(value) && !isAbove(value);
    }

    public boolean isEmpty() {
        return low == null && high == null;
    }
}
