package dev.kindred.clinical.alerts;

import static dev.kindred.clinical.testing.Facts.measurement;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.PatientState;
import dev.kindred.avro.TriggerType;
import dev.kindred.fhir.catalog.ValueRange;
import dev.kindred.clinical.patient.PatientStateUpdater;
import dev.kindred.clinical.patient.RangeCheck;
import dev.kindred.clinical.patient.Trigger;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertSuppressionTest {
    private final AlertSuppression suppression = new AlertSuppression(Duration.ofDays(30));

    private static Trigger high(String date, AlertIndicator severity) {
        ClinicalFact f = measurement("p", "glucose", 250, date, "g-" + date);
        return new Trigger(TriggerType.OUT_OF_RANGE, f, new RangeCheck(true, 1, severity, new ValueRange(70.0, 99.0)));
    }

    private static Trigger low(String date) {
        ClinicalFact f = measurement("p", "glucose", 50, date, "l-" + date);
        return new Trigger(TriggerType.OUT_OF_RANGE, f, new RangeCheck(true, -1, AlertIndicator.warning,
                new ValueRange(70.0, 99.0)));
    }

    /** Feeds triggers one at a time, as the processor does, and returns the ones that alerted. */
    private List<Trigger> run(Trigger... triggers) {
        PatientState state = PatientStateUpdater.empty("p");
        List<Trigger> alerted = new java.util.ArrayList<>();
        for (Trigger t : triggers) {
            state.setLastEventTime(t.fact().getEffectiveTime());
            AlertSuppression.Result r = suppression.filter(state, List.of(t));
            state = r.state();
            alerted.addAll(r.kept());
        }
        return alerted;
    }

    @Test
    void theSameCauseWithinTheWindowAlertsOnce() {
        Trigger first = high("2021-01-01", AlertIndicator.warning);
        assertThat(run(first, high("2021-01-10", AlertIndicator.warning), high("2021-01-30", AlertIndicator.warning)))
                .containsExactly(first);
    }

    @Test
    void aRiseInSeverityAlertsAgainAndAFallDoesNot() {
        Trigger warning = high("2021-01-01", AlertIndicator.warning);
        Trigger critical = high("2021-01-05", AlertIndicator.critical);
        assertThat(run(warning, critical, high("2021-01-08", AlertIndicator.warning),
                high("2021-01-09", AlertIndicator.critical))).containsExactly(warning, critical);
    }

    @Test
    void afterTheWindowTheSameCauseAlertsAgain() {
        Trigger first = high("2021-01-01", AlertIndicator.warning);
        Trigger again = high("2021-02-05", AlertIndicator.warning);
        assertThat(run(first, high("2021-01-20", AlertIndicator.warning), again)).containsExactly(first, again);
    }

    @Test
    void anotherCauseIsNotSuppressed() {
        Trigger h = high("2021-01-01", AlertIndicator.warning);
        Trigger l = low("2021-01-02");
        assertThat(h.cause()).isNotEqualTo(l.cause());
        assertThat(run(h, l)).containsExactly(h, l);
    }

    @Test
    void aZeroWindowTurnsSuppressionOff() {
        AlertSuppression off = new AlertSuppression(Duration.ZERO);
        PatientState state = PatientStateUpdater.empty("p");
        List<Trigger> both = List.of(high("2021-01-01", AlertIndicator.warning), high("2021-01-02", AlertIndicator.warning));
        assertThat(off.filter(state, both).kept()).hasSize(2);
    }

    @Test
    void marksAreKeptInTheStateAndBoundedInNumber() {
        PatientState state = PatientStateUpdater.empty("p");
        state = suppression.filter(state, List.of(high("2021-01-01", AlertIndicator.warning))).state();
        assertThat(state.getAlertMarks()).hasSize(1);
        for (int i = 0; i < AlertSuppression.MAX_MARKS + 10; i++) {
            ClinicalFact f = ClinicalFact.newBuilder(measurement("p", "f" + i, 1, "2022-01-01", "x" + i))
                    .setEffectiveTime(java.time.Instant.parse("2022-01-01T00:00:00Z").plusSeconds(i)).build();
            state = suppression.filter(state, List.of(new Trigger(TriggerType.OUT_OF_RANGE, f,
                    new RangeCheck(true, 1, AlertIndicator.warning, new ValueRange(0.0, 0.5))))).state();
        }
        assertThat(state.getAlertMarks()).hasSize(AlertSuppression.MAX_MARKS);
        assertThat(state.getAlertMarks()).as("the oldest go first").doesNotContainKey(high("2021-01-01",
                AlertIndicator.warning).cause());
    }

    @Test
    void aTriggerArrivingAfterALaterFactOfAnotherKindIsStillSuppressed() {
        Trigger first = high("2021-01-01", AlertIndicator.warning);
        PatientState state = PatientStateUpdater.empty("p");
        state.setLastEventTime(first.fact().getEffectiveTime());
        state = suppression.filter(state, List.of(first)).state();
        state.setLastEventTime(high("2021-03-01", AlertIndicator.warning).fact().getEffectiveTime()); // e.g. a Condition
        assertThat(suppression.filter(state, List.of(high("2021-01-10", AlertIndicator.warning))).kept()).isEmpty();
    }
}
