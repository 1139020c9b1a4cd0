package dev.kindred.avro;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * Every record Kindred writes stays BACKWARD compatible with the schemas of the previous release (kept in
 * {@code src/test/resources/compat/<release>}, parsed from that release's kindred.avdl): a consumer or a
 * restarted instance on the new schema reads everything written with the old one, as the schema registry's
 * BACKWARD check demands. ClinicalFact, the contract with the mapping, must not change at all.
 */
class SchemaEvolutionTest {
    private static final String RELEASE = "2026-11";

    private static Schema old(String name) throws IOException {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/compat/" + RELEASE + "/" + name + ".avsc")) {
            return new Schema.Parser().parse(in);
        }
    }

    @Test
    void newSchemasReadWhatTheOldOnesWrote() throws IOException {
        for (Schema current : List.of(PatientVector.getClassSchema(), ClinicalAlert.getClassSchema(),
                PatientState.getClassSchema(), DeadLetter.getClassSchema(), ClinicalFact.getClassSchema())) {
            Schema previous = old(current.getName());
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, previous).getType())
                    .as("%s reads %s data", current.getName(), RELEASE)
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void theFactContractWithTheMappingIsUnchanged() throws IOException {
        // The generated classes mark strings as Java Strings (avro.java.string), a code-generation hint only.
        String current = ClinicalFact.getClassSchema().toString()
                .replace("{\"type\":\"string\",\"avro.java.string\":\"String\"}", "\"string\"");
        assertThat(current).isEqualTo(old("ClinicalFact").toString());
    }
}
