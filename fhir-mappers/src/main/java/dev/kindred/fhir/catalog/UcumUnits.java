package dev.kindred.fhir.catalog;

import java.util.Locale;
import java.util.Map;

/**
 * Normalizes the unit spellings hospitals send (free text in {@code Quantity.unit}) to UCUM codes, so that a
 * catalog written in UCUM matches "mmHg", "°F" or "lbs" too.
 */
final class UcumUnits {
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("mmhg", "mm[Hg]"),
            Map.entry("mm hg", "mm[Hg]"),
            Map.entry("°c", "Cel"),
            Map.entry("degc", "Cel"),
            Map.entry("c", "Cel"),
            Map.entry("celsius", "Cel"),
            Map.entry("°f", "[degF]"),
            Map.entry("degf", "[degF]"),
            Map.entry("f", "[degF]"),
            Map.entry("fahrenheit", "[degF]"),
            Map.entry("lb", "[lb_av]"),
            Map.entry("lbs", "[lb_av]"),
            Map.entry("pound", "[lb_av]"),
            Map.entry("pounds", "[lb_av]"),
            Map.entry("in", "[in_i]"),
            Map.entry("inch", "[in_i]"),
            Map.entry("inches", "[in_i]"),
            Map.entry("beats/min", "/min"),
            Map.entry("beats/minute", "/min"),
            Map.entry("bpm", "/min"),
            Map.entry("breaths/min", "/min"),
            Map.entry("{beats}/min", "/min"),
            Map.entry("{breaths}/min", "/min"),
            Map.entry("kg/m^2", "kg/m2"),
            Map.entry("percent", "%"));

    private UcumUnits() {
    }

    /** The UCUM code for a unit as sent, or the unit itself when no alias is known. */
    static String normalize(String unit) {
        if (unit == null) {
            return null;
        }
        String trimmed = unit.trim();
        String alias = ALIASES.get(trimmed.toLowerCase(Locale.ROOT));
        return alias != null ? alias : trimmed;
    }
}
