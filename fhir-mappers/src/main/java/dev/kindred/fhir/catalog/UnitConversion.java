package dev.kindred.fhir.catalog;

/** A linear conversion from {@code unit} to a feature's canonical unit: canonical = value * factor + offset. */
public record UnitConversion(String unit, double factor, double offset) {

    public double toCanonical(double value) {
        return value * factor + offset;
    }
}
