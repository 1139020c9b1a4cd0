package dev.kindred.clinical.cards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.AlertTrigger;
import dev.kindred.avro.CardSource;
import dev.kindred.avro.CardSuggestion;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.TreatmentRecommendation;
import dev.kindred.avro.TriggerType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CdsCardsTest {
    private static final String RX = "http://www.nlm.nih.gov/research/umls/rxnorm";

    static ClinicalAlert alert(String summary, AlertIndicator indicator, List<CardSuggestion> suggestions) {
        TreatmentRecommendation rec = TreatmentRecommendation.newBuilder().setSystem(RX).setCode("314076")
                .setDisplay("lisinopril 10 MG Oral Tablet").setNeighboursTreated(6).setNeighboursImproved(4)
                .setNeighboursWithOutcome(5).setWeightedImprovementRate(0.8).setWilsonLowerBound(0.38)
                .setAlreadyReceiving(false).build();
        return ClinicalAlert.newBuilder()
                .setAlertId("a1b2").setPatientKey("p1").setSummary(summary).setDetail("**Trigger:** x")
                .setIndicator(indicator).setSource(CardSource.newBuilder().setLabel("Kindred similar-patient analysis").build())
                .setSuggestions(suggestions)
                .setTrigger(AlertTrigger.newBuilder().setType(TriggerType.OUT_OF_RANGE).setFeatureId("systolic_bp")
                        .setSystem("http://loinc.org").setCode("8480-6").setEffectiveTime(Instant.EPOCH).build())
                .setRecommendations(List.of(rec)).setIndexVersion("clinical:size=3").setCatalogVersion("test-1")
                .setEventTime(Instant.EPOCH).setProcessingTime(Instant.EPOCH).build();
    }

    static CardSuggestion suggestion(boolean recommended) {
        return CardSuggestion.newBuilder().setUuid("s-1").setLabel("Consider lisinopril 10 MG Oral Tablet")
                .setIsRecommended(recommended).setTreatment(RX + "|314076").build();
    }

    @Test
    void aCardCarriesTheRequiredFieldsAndOneCreateActionPerSuggestion() throws Exception {
        Map<String, Object> card = CdsCards.card(alert("Systolic blood pressure 152 mm[Hg] above reference range",
                AlertIndicator.warning, List.of(suggestion(true))));
        JsonNode json = new ObjectMapper().valueToTree(card);
        assertThat(json.get("uuid").asText()).isEqualTo("a1b2");
        assertThat(json.get("summary").asText()).hasSizeLessThan(140);
        assertThat(json.get("indicator").asText()).isEqualTo("warning");
        assertThat(json.get("detail").asText()).startsWith("**Trigger:**");
        assertThat(json.at("/source/label").asText()).isEqualTo("Kindred similar-patient analysis");
        assertThat(json.at("/source/topic/code").asText()).isEqualTo("OUT_OF_RANGE");
        assertThat(json.get("selectionBehavior").asText()).isEqualTo("at-most-one");
        JsonNode s = json.get("suggestions").get(0);
        assertThat(s.get("uuid").asText()).isEqualTo("s-1");
        assertThat(s.get("isRecommended").asBoolean()).isTrue();
        assertThat(s.at("/actions/0/type").asText()).isEqualTo("create");
        assertThat(s.at("/actions/0/resource/resourceType").asText()).isEqualTo("MedicationRequest");
        assertThat(s.at("/actions/0/resource/status").asText()).isEqualTo("draft");
        assertThat(s.at("/actions/0/resource/subject/reference").asText()).isEqualTo("Patient/p1");
        assertThat(s.at("/actions/0/resource/medicationCodeableConcept/coding/0/code").asText()).isEqualTo("314076");
    }

    @Test
    void everyIndicatorMapsAndALongSummaryIsCutBelow140() {
        for (AlertIndicator indicator : AlertIndicator.values()) {
            Map<String, Object> card = CdsCards.card(alert("x".repeat(300), indicator, List.of()));
            assertThat((String) card.get("summary")).hasSizeLessThan(140).endsWith("…");
            assertThat(card.get("indicator")).isEqualTo(indicator.name());
            assertThat(card).doesNotContainKeys("suggestions", "selectionBehavior");
        }
        assertThat(CdsCards.summary("y".repeat(139))).hasSize(139);
    }

    @Test
    void theSameAlertGivesTheSameCardAndAResponseWrapsCards() {
        ClinicalAlert a = alert("s", AlertIndicator.critical, List.of(suggestion(true)));
        assertThat(CdsCards.card(a)).isEqualTo(CdsCards.card(a));
        assertThat(CdsCards.response(List.of(a, a)).get("cards")).asList().hasSize(2);
        assertThat(CdsCards.response(List.of()).get("cards")).asList().isEmpty();
    }
}
