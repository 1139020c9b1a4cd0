package dev.kindred.registry.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * The registry's compatibility levels and what each checks, using Avro's own
 * {@link SchemaCompatibility}: BACKWARD (the new schema reads data written with the earlier one), FORWARD
 * (the earlier schema reads data written with the new one), FULL (both); the plain levels check against
 * the latest version, the _TRANSITIVE ones against every version.
 */
public enum CompatibilityLevel {
    NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

    /** Whether this level checks against every earlier version rather than the latest only. */
    public boolean isTransitive() {
        return name().endsWith("_TRANSITIVE");
    }

    /**
     * The reasons {@code candidate} breaks this level against {@code existing} (oldest first), empty when
     * it is compatible. Transitive levels check all of {@code existing}; the others only its last element.
     */
    public List<String> problems(Schema candidate, List<Schema> existing) {
        List<String> problems = new ArrayList<>();
        if (this == NONE || existing.isEmpty()) {
            return problems;
        }
        List<Schema> against = isTransitive() ? existing : existing.subList(existing.size() - 1, existing.size());
        boolean backward = this != FORWARD && this != FORWARD_TRANSITIVE;
        boolean forward = this != BACKWARD && this != BACKWARD_TRANSITIVE;
        for (Schema earlier : against) {
            if (backward) {
                describe("new schema cannot read data written with an earlier one",
                    SchemaCompatibility.checkReaderWriterCompatibility(candidate, earlier), problems);
            }
            if (forward) {
                describe("an earlier schema cannot read data written with the new one",
                    SchemaCompatibility.checkReaderWriterCompatibility(earlier, candidate), problems);
            }
        }
        return problems;
    }

    private static void describe(String what, SchemaCompatibility.SchemaPairCompatibility result,
                                 List<String> problems) {
        for (Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            String problem = what + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
                + " (" + incompatibility.getMessage() + ")";
            if (!problems.contains(problem)) {
                problems.add(problem);
            }
        }
    }

    /** Parses a level name case-insensitively; null if it is none of them. */
    public static CompatibilityLevel parse(String name) {
        if (name == null) {
            return null;
        }
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
