package dev.kindred.clinical.patient;

import static dev.kindred.clinical.testing.Facts.demographics;
import static dev.kindred.clinical.testing.Facts.diagnosis;
import static dev.kindred.clinical.testing.Facts.imaging;
import static dev.kindred.clinical.testing.Facts.measurement;
import static dev.kindred.clinical.testing.Facts.medication;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.testing.FhirJson;
import dev.kindred.clinical.outcomes.OutcomeRules;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PatientVectorizerTest {
    private final FeatureCatalog catalog = FhirJson.testCatalog();
    private final PatientStateUpdater updater = new PatientStateUpdater(catalog, OutcomeRules.builtIn(),
            PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS);
    private final PatientVectorizer vectorizer = new PatientVectorizer(catalog);

    private PatientState apply(ClinicalFact... facts) {
        PatientState s = null;
        for (ClinicalFact f : facts) {
            s = updater.apply(s, f).state();
        }
        return s;
    }

    private float dim(Map<String, List<Float>> vectors, String name) {
        return vectors.get("clinical").get(vectorizer.dimensions("clinical").indexOf(name));
    }

    @Test
    void theLayoutNamesEveryDimensionAndVectorsHaveUnitLength() {
        PatientState s = apply(demographics("p", "male", "1950-01-01"),
                measurement("p", "glucose", 180, "2021-01-01", "g1"),
                measurement("p", "glucose", 200, "2021-03-01", "g2"));
        Map<String, List<Float>> v = vectorizer.vectors(s);
        assertThat(v.get("clinical")).hasSize(vectorizer.dimensions("clinical").size());
        assertThat(vectorizer.dimensions("clinical")).contains("age", "sex", "glucose:level", "glucose:abnormal-share",
                "glucose:count").doesNotContain("glucose:trend", "glucose");
        double norm = 0;
        for (float x : v.get("clinical")) {
            norm += x * x;
        }
        assertThat(norm).isCloseTo(1.0, within(1e-5));
        assertThat(dim(v, "sex")).isPositive();
        assertThat(dim(v, "age:senior")).isPositive();
        assertThat(dim(v, "age:child")).isZero();
        assertThat(dim(v, "glucose:abnormal-share")).isPositive();
        assertThat(dim(v, "heart_rate:count")).as("never measured").isZero();
        assertThat(dim(v, "heart_rate:level")).as("missing is the population mean").isZero();
    }

    @Test
    void diagnosesAndTreatmentsNeverChangeTheVectors() {
        PatientState s = apply(demographics("p", "female", "1980-01-01"), measurement("p", "glucose", 180, "2021-01-01", "g1"));
        PatientState more = updater.apply(updater.apply(s, medication("p", "860975", "metformin", "2020-12-01", "m1")).state(),
                diagnosis("p", "44054006", "Diabetes mellitus type 2 (disorder)", "2020-12-01", null, "c1")).state();
        assertThat(vectorizer.vectors(more)).isEqualTo(vectorizer.vectors(s));
    }

    @Test
    void theSameStateGivesTheSameVectors() {
        PatientState s = apply(demographics("p", "female", "1980-01-01"), measurement("p", "glucose", 180, "2021-01-01", "g1"));
        assertThat(vectorizer.vectors(PatientStates.copy(s))).isEqualTo(vectorizer.vectors(s));
    }

    @Test
    void anEmbeddingIsCarriedUnchangedAndTheImagingDescriptorCountsModalities() {
        PatientState s = apply(imaging("p", "CT", "http://snomed.info/sct|51185008", "2021-06-01", "s1",
                List.of(0.25f, -1.5f, 3f, 0f)), imaging("p", "CT", null, "2021-07-01", "s2", null));
        Map<String, List<Float>> v = vectorizer.vectors(s);
        assertThat(v.get("imaging-embedding")).containsExactly(0.25f, -1.5f, 3f, 0f);
        List<String> dims = vectorizer.dimensions("imaging");
        assertThat(v.get("imaging")).hasSize(dims.size());
        assertThat(v.get("imaging").get(dims.indexOf("imaging:CT"))).isCloseTo((float) Math.log1p(2), within(1e-6f));
        assertThat(v.get("imaging").get(dims.indexOf("imaging:MR"))).isZero();
        assertThat(v).as("imaging counts in the clinical space too").containsKey("clinical");
    }

    @Test
    void aPatientWithNothingHasNoVectorAndTheNaiveDesignsKeepTheirBlocks() {
        assertThat(vectorizer.vectors(PatientStateUpdater.empty("p"))).isEmpty();
        PatientVectorizer naive = new PatientVectorizer(catalog, VectorWeights.LATEST_VALUES_ONLY);
        assertThat(naive.dimensions("clinical")).contains("glucose").doesNotContain("age", "glucose:count");
        PatientState s = apply(measurement("p", "glucose", 135, "2021-01-01", "g1"));
        assertThat(naive.vectors(s).get("clinical").get(naive.dimensions("clinical").indexOf("glucose")))
                .isCloseTo((float) naive.component("glucose", 135), within(1e-6f));
        assertThat(naive.component("glucose", 135)).isCloseTo(2.0, within(1e-9));   // (135 - 95) / 20
    }
}
