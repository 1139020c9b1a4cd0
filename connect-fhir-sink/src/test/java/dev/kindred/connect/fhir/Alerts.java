package dev.kindred.connect.fhir;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.CardSource;
import dev.kindred.avro.CardSuggestion;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.SimilarPatient;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.serde.RegistryAvroSerializer;
import java.time.Instant;
import java.util.List;

/** Alerts as Kindred publishes them, for the tests. */
final class Alerts {

    static final String NEIGHBOUR_KEY = "neighbour-7f3a";

    private Alerts() {
    }

    /** A complete alert: an HbA1c above range, one similar patient, one recommendation. */
    static ClinicalAlert alert(String alertId, String patientKey) {
        return ClinicalAlert.newBuilder()
            .setAlertId(alertId)
            .setPatientKey(patientKey)
            .setSummary("HbA1c 9.1 % above range; 6 of 8 similar patients improved on metformin")
            .setDetail("**HbA1c** 9.1 % (reference 4.0-6.0 %).\n\nSimilar patients improved on metformin.")
            .setIndicator(AlertIndicator.warning)
            .setSource(CardSource.newBuilder().setLabel("Kindred similar-patient evidence").build())
            .setSuggestions(List.of(CardSuggestion.newBuilder().setUuid("5d1f0b52-2f57-3d3b-9c4e-000000000001")
                .setLabel("Consider metformin").setIsRecommended(true)
                .setTreatment("http://www.nlm.nih.gov/research/umls/rxnorm|860975").build()))
            .setTrigger(AlertTrigger.newBuilder()
                .setType(TriggerType.OUT_OF_RANGE)
                .setFeatureId("hba1c")
                .setSystem("http://loinc.org")
                .setCode("4548-4")
                .setDisplay("Hemoglobin A1c/Hemoglobin.total in Blood")
                .setValue(9.1).setUnit("%").setReferenceLow(4.0).setReferenceHigh(6.0)
                .setEffectiveTime(Instant.parse("2024-03-01T08:30:00Z"))
                .setSourceResource("Observation/obs-" + patientKey)
                .build())
            .setSimilarPatients(List.of(SimilarPatient.newBuilder().setPatientKey(NEIGHBOUR_KEY)
                .setSimilarity(0.93).setDistance(0.07).setFeatureSpace("clinical")
                .setSharedFeatures(List.of("hba1c", "bmi")).build()))
            .setRecommendations(List.of(TreatmentRecommendation.newBuilder()
                .setCode("860975").setSystem("http://www.nlm.nih.gov/research/umls/rxnorm")
                .setDisplay("metformin hydrochloride 500 MG")
                .setNeighboursTreated(9).setNeighboursImproved(6).setNeighboursWithOutcome(8)
                .setWeightedImprovementRate(0.78).setWilsonLowerBound(0.47).setAlreadyReceiving(false)
                .setEvidenceNeighbours(List.of(NEIGHBOUR_KEY)).setOutcomeRules(List.of("hba1c-after-antidiabetic"))
                .setMatchesTrigger(true).build()))
            .setAbnormalFeatures(List.of("hba1c"))
            .setIndexVersion("clinical@120")
            .setCatalogVersion("catalog-1")
            .setEventTime(Instant.parse("2024-03-01T08:30:00Z"))
            .setProcessingTime(Instant.parse("2024-03-01T08:30:02.250Z"))
            .build();
    }

    /** The alert in the Confluent wire format, its schema registered in {@code registry} under cds.alerts-value. */
    static byte[] wireFormat(SchemaRegistryClient registry, ClinicalAlert alert) {
        try (RegistryAvroSerializer<ClinicalAlert> serializer = new RegistryAvroSerializer<>(registry)) {
            return serializer.serialize("cds.alerts", alert);
        }
    }
}
