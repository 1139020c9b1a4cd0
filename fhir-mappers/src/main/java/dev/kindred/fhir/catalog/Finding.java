package dev.kindred.fhir.catalog;

import java.util.List;
import java.util.Map;

/**
 * A coded observation (valueCodeableConcept) turned into a number, e.g. smoking status: never 0,
 * former 0.5, current 1.
 *
 * @param values score per answer, keyed {@code system|code}
 */
public record Finding(String id, String name, String space, List<String> loinc, Map<String, Double> values,
        double weight) {

    public Finding {
        loinc = loinc == null ? List.of() : List.copyOf(loinc);
        values = values == null ? Map.of() : Map.copyOf(values);
        space = space == null ? "clinical" : space;
    }

    /** The score of an answer, or null when the answer is not one the finding knows. */
    public Double score(String system, String code) {
        return values.get(system + "|" + code);
    }
}
