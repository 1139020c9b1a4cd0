package dev.kindred.serde;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.CardSource;
import dev.kindred.avro.CardSuggestion;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.OutcomeStatus;
import dev.kindred.avro.PatientVector;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentOutcome;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/** Realistic (synthetic) records as the engine publishes them. */
public final class Fixtures {

    public static final String PATIENT = "patient-7f3a9c";

    private Fixtures() {
    }

    public static ClinicalAlert alert() {
        return alert(PATIENT, 1);
    }

    public static ClinicalAlert alert(String patientKey, int n) {
        return ClinicalAlert.newBuilder()
            .setAlertId("alert-" + patientKey + "-" + n)
            .setPatientKey(patientKey)
            .setSummary("Potassium 6.1 mmol/L above range; 12 similar patients, 9 improved on sodium zirconium")
            .setDetail("**Potassium** 6.1 mmol/L (3.5–5.1).\n\n| treatment | treated | improved |\n|---|---|---|\n"
                + "| sodium zirconium cyclosilicate | 11 | 9 |")
            .setIndicator(AlertIndicator.critical)
            .setSource(CardSource.newBuilder().setLabel("Kindred similar-patient evidence")
                .setUrl("https://kindred.example/evidence").build())
            .setSuggestions(List.of(CardSuggestion.newBuilder().setUuid("5e1c0b7e-3d5a-4f0e-9d7a-1c2b3d4e5f60")
                .setLabel("Consider sodium zirconium cyclosilicate").setIsRecommended(true).build()))
            .setTrigger(AlertTrigger.newBuilder()
                .setType(TriggerType.OUT_OF_RANGE)
                .setFeatureId("potassium")
                .setSystem("http://loinc.org")
                .setCode("2823-3")
                .setDisplay("Potassium [Moles/volume] in Serum or Plasma")
                .setValue(6.1)
                .setUnit("mmol/L")
                .setReferenceLow(3.5)
                .setReferenceHigh(5.1)
                .setEffectiveTime(Instant.parse("2024-03-01T08:15:00Z"))
                .setSourceResource("Observation/obs-" + n)
                .build())
            .setSimilarPatients(List.of(
                SimilarPatient.newBuilder().setPatientKey("patient-11").setSimilarity(0.94).setDistance(0.06)
                    .setFeatureSpace("clinical").setSharedFeatures(List.of("potassium", "egfr", "creatinine")).build(),
                SimilarPatient.newBuilder().setPatientKey("patient-42").setSimilarity(0.91).setDistance(0.09)
                    .setFeatureSpace("clinical").build()))
            .setRecommendations(List.of(TreatmentRecommendation.newBuilder()
                .setCode("2201383").setSystem("http://www.nlm.nih.gov/research/umls/rxnorm")
                .setDisplay("sodium zirconium cyclosilicate").setNeighboursTreated(11).setNeighboursImproved(9)
                .setWeightedImprovementRate(0.83).setWilsonLowerBound(0.52).setAlreadyReceiving(false).build()))
            .setAbnormalFeatures(List.of("potassium"))
            .setIndexVersion("clinical@1532")
            .setCatalogVersion("catalog-2024.1")
            .setEventTime(Instant.parse("2024-03-01T08:15:00Z"))
            .setProcessingTime(Instant.parse("2024-03-01T08:15:00.250Z"))
            .build();
    }

    public static PatientVector vector() {
        return PatientVector.newBuilder()
            .setPatientKey(PATIENT)
            .setVersion(17)
            .setVectors(Map.of("clinical", List.of(0.12f, -0.5f, 1.75f, 0f), "imaging", List.of(0.3f, 0.4f)))
            .setCatalogVersion("catalog-2024.1")
            .setEffectiveTime(Instant.parse("2024-03-01T08:15:00Z"))
            .setOutcomes(List.of(TreatmentOutcome.newBuilder().setCode("860975")
                .setSystem("http://www.nlm.nih.gov/research/umls/rxnorm").setDisplay("metformin")
                .setStartedAt(Instant.parse("2023-11-02T00:00:00Z")).setStatus(OutcomeStatus.IMPROVED)
                .setRule("hba1c-after-diabetes-medication").build()))
            .build();
    }

    /** {@code schema} without the field {@code name}: the writer schema of an older release. */
    public static Schema withoutField(Schema schema, String name) throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(schema.toString());
        ArrayNode fields = (ArrayNode) json.get("fields");
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).path("name").asText().equals(name)) {
                fields.remove(i);
            }
        }
        return new Schema.Parser().parse(json.toString());
    }
}
