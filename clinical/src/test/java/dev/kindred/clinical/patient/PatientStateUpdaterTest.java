package dev.kindred.clinical.patient;

import static dev.kindred.clinical.testing.Facts.day;
import static dev.kindred.clinical.testing.Facts.demographics;
import static dev.kindred.clinical.testing.Facts.diagnosis;
import static dev.kindred.clinical.testing.Facts.imaging;
import static dev.kindred.clinical.testing.Facts.measurement;
import static dev.kindred.clinical.testing.Facts.medication;
import static dev.kindred.clinical.testing.Facts.retracted;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.testing.FhirJson;
import dev.kindred.clinical.outcomes.OutcomeRules;
import java.util.List;
import org.junit.jupiter.api.Test;

class PatientStateUpdaterTest {
    private final PatientStateUpdater updater = new PatientStateUpdater(FhirJson.testCatalog(), OutcomeRules.builtIn(),
            PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS);

    private PatientState apply(ClinicalFact... facts) {
        PatientState s = null;
        for (ClinicalFact f : facts) {
            s = updater.apply(s, f).state();
        }
        return s;
    }

    @Test
    void historyCountsEveryValueOnceAndAReplayChangesNothing() {
        PatientState s = apply(measurement("p", "glucose", 150, "2021-01-01", "g1"),
                measurement("p", "glucose", 90, "2021-02-01", "g2"),
                measurement("p", "glucose", 160, "2021-01-15", "g3"));   // late, older: history only
        assertThat(s.getFeatures().get("glucose").getValue()).isEqualTo(90.0);
        assertThat(s.getHistory().get("glucose").getCount()).isEqualTo(3);
        assertThat(s.getHistory().get("glucose").getAbnormalCount()).isEqualTo(2);
        assertThat(s.getHistory().get("glucose").getPoints()).extracting(p -> p.getTime())
                .containsExactly(day("2021-01-01"), day("2021-01-15"), day("2021-02-01"));
        for (ClinicalFact again : List.of(measurement("p", "glucose", 150, "2021-01-01", "g1"),
                measurement("p", "glucose", 90, "2021-02-01", "g2"))) {
            PatientStateUpdater.Update u = updater.apply(s, again);
            assertThat(u.changed()).isFalse();
            assertThat(u.triggers()).isEmpty();
        }
    }

    @Test
    void retractingTheLatestValueFallsBackToThePreviousOne() {
        PatientState s = apply(measurement("p", "glucose", 150, "2021-01-01", "g1"),
                measurement("p", "glucose", 90, "2021-02-01", "g2"),
                retracted(measurement("p", "glucose", 90, "2021-02-01", "g2")));
        assertThat(s.getFeatures().get("glucose").getValue()).isEqualTo(150.0);
        assertThat(s.getHistory().get("glucose").getCount()).isEqualTo(1);
    }

    @Test
    void aNewActiveDisorderTriggersButFindingsRepeatsAndOldNewsDoNot() {
        PatientState s = apply(measurement("p", "glucose", 90, "2021-06-01", "g1"));
        PatientStateUpdater.Update dx = updater.apply(s, diagnosis("p", "44054006", "Diabetes mellitus type 2 (disorder)",
                "2021-06-02", null, "c1"));
        assertThat(dx.triggers()).singleElement().satisfies(t -> {
            assertThat(t.type()).isEqualTo(TriggerType.NEW_DIAGNOSIS);
            assertThat(t.severity()).isEqualTo(AlertIndicator.info);
        });
        assertThat(dx.state().getDiagnoses()).containsKey("c1");
        assertThat(updater.apply(dx.state(), diagnosis("p", "44054006", "Diabetes mellitus type 2 (disorder)",
                "2021-06-10", null, "c2")).triggers()).as("already open").isEmpty();
        assertThat(updater.apply(s, diagnosis("p", "73595000", "Stress (finding)", "2021-06-02", null, "c3")).triggers())
                .as("a finding").isEmpty();
        assertThat(updater.apply(dx.state(), diagnosis("p", "59621000", "Essential hypertension (disorder)", "2019-01-01",
                null, "c4")).triggers()).as("years older than the patient's latest diagnosis").isEmpty();
        assertThat(updater.apply(updater.apply(s, measurement("p", "glucose", 90, "2024-01-01", "g9")).state(),
                diagnosis("p", "59621000", "Essential hypertension (disorder)", "2021-06-03", null, "c6")).triggers())
                .as("a later fact of another kind, processed first, does not make a diagnosis old news").hasSize(1);
        assertThat(updater.apply(s, diagnosis("p", "10509002", "Acute bronchitis (disorder)", "2021-06-02",
                "2021-06-20", "c5")).triggers()).as("already resolved when it arrives").isEmpty();
        assertThat(updater.apply(dx.state(), diagnosis("p", "44054006", "Diabetes mellitus type 2 (disorder)",
                "2021-06-02", null, "c1")).changed()).as("replay").isFalse();
    }

    @Test
    void aNewImagingStudyTriggersOnceAndItsEmbeddingIsKept() {
        PatientStateUpdater.Update u = updater.apply(null, imaging("p", "CT", "http://snomed.info/sct|51185008",
                "2021-06-01", "s1", List.of(0.25f, -1.5f)));
        assertThat(u.triggers()).singleElement().satisfies(t -> assertThat(t.type()).isEqualTo(TriggerType.NEW_IMAGING_STUDY));
        assertThat(u.state().getImagingEmbedding()).containsExactly(0.25f, -1.5f);
        PatientStateUpdater.Update again = updater.apply(u.state(), imaging("p", "CT", "http://snomed.info/sct|51185008",
                "2021-06-01", "s1", List.of(0.25f, -1.5f)));
        assertThat(again.changed()).isFalse();
        assertThat(again.triggers()).isEmpty();
        assertThat(updater.apply(u.state(), retracted(imaging("p", "CT", null, "2021-06-01", "s1", null))).state()
                .getImaging()).isEmpty();
    }

    @Test
    void withAnEmbedderAStudyListingDicomInstancesAlertsWhenItsEmbeddingArrives() {
        PatientStateUpdater embedding = new PatientStateUpdater(FhirJson.testCatalog(), OutcomeRules.builtIn(),
                PatientStateUpdater.DEFAULT_SILENT_DIAGNOSIS_TAGS, true);
        ClinicalFact study = withDicomInstances(imaging("p", "DX", null, "2021-06-01", "s1", null));
        PatientStateUpdater.Update arrived = embedding.apply(null, study);
        assertThat(arrived.changed()).isTrue();
        assertThat(arrived.triggers()).as("waits for the embedding").isEmpty();

        ClinicalFact embedded = ClinicalFact.newBuilder(study).build();
        embedded.getImaging().setEmbedding(List.of(0.6f, 0.8f));
        PatientStateUpdater.Update withEmbedding = embedding.apply(arrived.state(), embedded);
        assertThat(withEmbedding.state().getImagingEmbedding()).containsExactly(0.6f, 0.8f);
        assertThat(withEmbedding.triggers()).singleElement()
                .satisfies(t -> assertThat(t.type()).isEqualTo(TriggerType.NEW_IMAGING_STUDY));
        assertThat(embedding.apply(withEmbedding.state(), embedded).triggers()).as("the same result again").isEmpty();

        assertThat(updater.apply(null, study).triggers()).as("without an embedder: on arrival").hasSize(1);
    }

    private static ClinicalFact withDicomInstances(ClinicalFact fact) {
        ClinicalFact copy = ClinicalFact.newBuilder(fact).build();
        copy.getImaging().setStudyUid("1.2.3");
        copy.getImaging().setImages(List.of(dev.kindred.avro.DicomImageRef.newBuilder().setSeriesUid("1.2.3.1")
                .setModality("DX").setSopInstanceUid("1.2.3.1.1").build()));
        return copy;
    }

    @Test
    void demographicsAndTreatmentsAreKeptWithoutTriggers() {
        PatientStateUpdater.Update d = updater.apply(null, demographics("p", "female", "1970-05-01"));
        assertThat(d.changed()).isTrue();
        assertThat(d.triggers()).isEmpty();
        assertThat(d.state().getDemographics().getGender()).isEqualTo("female");
        assertThat(updater.apply(d.state(), demographics("p", "female", "1970-05-01")).changed()).isFalse();
        PatientStateUpdater.Update m = updater.apply(d.state(), medication("p", "314076", "lisinopril", "2021-01-01", "m1"));
        assertThat(m.triggers()).isEmpty();
        assertThat(m.state().getTreatments()).containsKey("http://www.nlm.nih.gov/research/umls/rxnorm|314076");
        assertThat(m.state().getVersion()).isGreaterThan(d.state().getVersion());
    }

    @Test
    void silentTagsAreConfigurable() {
        PatientStateUpdater loud = new PatientStateUpdater(FhirJson.testCatalog(), OutcomeRules.builtIn(), List.of());
        assertThat(loud.apply(null, diagnosis("p", "73595000", "Stress (finding)", "2021-06-02", null, "c3")).triggers())
                .hasSize(1);
        assertThat(updater.alertsFor("Essential hypertension (disorder)")).isTrue();
        assertThat(updater.alertsFor("Hypertension")).isTrue();
        assertThat(updater.alertsFor("Medication review due (situation)")).isFalse();
    }
}
