package dev.kindred.fhir.catalog;

import java.util.List;

/**
 * A numeric clinical feature: the LOINC codes that feed it, its canonical UCUM unit and how other units
 * convert to it, its reference and critical ranges, and its place in a feature space.
 *
 * @param patients share of the surveyed population with at least one value (documentation only)
 */
public record Feature(
        String id,
        String name,
        String space,
        List<String> loinc,
        String unit,
        List<UnitConversion> conversions,
        ValueRange referenceRange,
        ValueRange criticalRange,
        Population population,
        double weight,
        Double patients) {

    public Feature {
        loinc = loinc == null ? List.of() : List.copyOf(loinc);
        conversions = conversions == null ? List.of() : List.copyOf(conversions);
        referenceRange = referenceRange == null ? ValueRange.UNBOUNDED : referenceRange;
        criticalRange = criticalRange == null ? ValueRange.UNBOUNDED : criticalRange;
        space = space == null ? "clinical" : space;
    }
}
