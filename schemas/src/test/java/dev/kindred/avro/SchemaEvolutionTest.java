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
 * BACKWARD check demands. ClinicalFact, which crosses the repartition topic between
 * instances, must also be readable by the previous release (FULL compatibility).
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
    void oldInstancesReadTheFactsNewOnesWrite() throws IOException {
        // Facts cross the repartition topic between instances: during a rolling upgrade an instance on the
        // previous release reads facts a new one wrote, so ClinicalFact may only gain fields with defaults
        // (FULL compatibility), as ImagingFacts did with the study's DICOM UID and instances.
        Schema previous = old("ClinicalFact");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(previous, ClinicalFact.getClassSchema()).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        assertThat(ClinicalFact.getClassSchema().getField("imaging").schema().getTypes().get(1).getField("images")
                .hasDefaultValue()).isTrue();
    }
}
