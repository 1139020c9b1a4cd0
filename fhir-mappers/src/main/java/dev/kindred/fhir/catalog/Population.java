package dev.kindred.fhir.catalog;

/** Typical mean and standard deviation of a feature, in its canonical unit, used to standardize it. */
public record Population(double mean, double sd) {
}
