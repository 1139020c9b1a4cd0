package dev.kindred.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The patient key of a reference string, as the file readers group records by before mapping. */
class PatientReferencesTest {

    @Test
    void everyFormAServerEmitsGivesTheKeyTheMapperGives() {
        assertThat(PatientReferences.patientKey("Patient/123")).isEqualTo("123");
        assertThat(PatientReferences.patientKey("https://server/fhir/Patient/123")).isEqualTo("123");
        assertThat(PatientReferences.patientKey("Patient/45/_history/2")).isEqualTo("45");
        assertThat(PatientReferences.patientKey("urn:uuid:04121321-4AF5-424c-a0e1-ed3aab1c349d"))
                .as("lower case, as the mapper keys a urn:uuid reference")
                .isEqualTo("04121321-4af5-424c-a0e1-ed3aab1c349d");
    }

    @Test
    void whatDoesNotNameAPatientGivesNoKey() {
        assertThat(PatientReferences.patientKey("#newborn")).isNull();
        assertThat(PatientReferences.patientKey("Group/103")).isNull();
        assertThat(PatientReferences.patientKey("RelatedPatient/1")).isNull();
        assertThat(PatientReferences.patientKey("urn:oid:1.2.3")).isNull();
        assertThat(PatientReferences.patientKey("urn:uuid:")).isNull();
        assertThat(PatientReferences.patientKey(" ")).isNull();
        assertThat(PatientReferences.patientKey((String) null)).isNull();
    }
}
