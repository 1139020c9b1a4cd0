package dev.kindred.clinical.alerts;

import static dev.kindred.clinical.testing.Facts.diagnosis;
import static dev.kindred.clinical.testing.Facts.measurement;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.catalog.ValueRange;
import dev.kindred.clinical.patient.RangeCheck;
import dev.kindred.clinical.patient.Trigger;
import org.junit.jupiter.api.Test;

class AlertIdsTest {
    private static Trigger trigger(String id, String date) {
        return new Trigger(TriggerType.OUT_OF_RANGE, measurement("p", "glucose", 250, date, id),
                new RangeCheck(true, 1, AlertIndicator.warning, new ValueRange(70.0, 99.0)));
    }

    @Test
    void theSameInputGivesTheSameIdAndAnotherInputAnother() {
        String id = AlertFactory.alertId("p", trigger("g1", "2021-01-01"));
        assertThat(AlertFactory.alertId("p", trigger("g1", "2021-01-01"))).isEqualTo(id);
        assertThat(AlertFactory.alertId("q", trigger("g1", "2021-01-01"))).isNotEqualTo(id);
        assertThat(AlertFactory.alertId("p", trigger("g2", "2021-01-01"))).isNotEqualTo(id);
        assertThat(AlertFactory.alertId("p", trigger("g1", "2021-01-02"))).isNotEqualTo(id);
        Trigger dx = new Trigger(TriggerType.NEW_DIAGNOSIS, diagnosis("p", "44054006", "Diabetes", "2021-01-01", null,
                "c1"), null, AlertIndicator.info);
        assertThat(AlertFactory.alertId("p", dx)).isEqualTo(AlertFactory.alertId("p", dx)).isNotEqualTo(id);
        assertThat(java.util.UUID.fromString(id).version()).as("name-based UUID").isEqualTo(3);
    }

    @Test
    void suggestionIdsAreAsStableAsTheAlertId() {
        String a = AlertFactory.suggestionId("alert-1", "http://www.nlm.nih.gov/research/umls/rxnorm|860975");
        assertThat(AlertFactory.suggestionId("alert-1", "http://www.nlm.nih.gov/research/umls/rxnorm|860975")).isEqualTo(a);
        assertThat(AlertFactory.suggestionId("alert-2", "http://www.nlm.nih.gov/research/umls/rxnorm|860975")).isNotEqualTo(a);
        assertThat(AlertFactory.suggestionId("alert-1", "http://www.nlm.nih.gov/research/umls/rxnorm|314076")).isNotEqualTo(a);
    }
}
