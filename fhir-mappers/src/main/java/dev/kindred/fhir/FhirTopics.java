package dev.kindred.fhir;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The FHIR input topics Kindred expects by default: {@code fhir.<resource type in lower case>} for each type it
 * maps. Any topic may still carry any type (records are routed by {@code resourceType}); these names are where
 * the replayer sends each type and what Kindred subscribes to unless configured otherwise.
 */
public final class FhirTopics {
    /** The default topic of each mapped resource type and of Medication. */
    public static final Map<String, String> BY_TYPE;
    /** Every default input topic, sorted. */
    public static final List<String> DEFAULTS;

    static {
        Map<String, String> byType = new TreeMap<>();
        for (String type : FhirMapper.MAPPED_TYPES) {
            byType.put(type, forType(type));
        }
        // fhir.medication: Medication resources (Bulk Medication.ndjson) that requests refer to.
        for (String type : FhirMapper.REFERENCE_TYPES) {
            byType.put(type, forType(type));
        }
        BY_TYPE = Map.copyOf(byType);
        DEFAULTS = byType.values().stream().sorted().toList();
    }

    private FhirTopics() {
    }

    /** The default topic of {@code resourceType}, e.g. {@code fhir.observation} for Observation. */
    public static String forType(String resourceType) {
        return "fhir." + resourceType.toLowerCase(Locale.ROOT);
    }
}
