package dev.kindred.clinical.alerts;

import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.AlertMark;
import dev.kindred.avro.PatientState;
import dev.kindred.clinical.patient.PatientStates;
import dev.kindred.clinical.patient.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps repeated alerts quiet: a trigger whose cause (see {@link Trigger#cause()}) already alerted for the
 * same patient less than {@code window} earlier, in event time, is suppressed unless its severity is higher
 * than that alert's. The last alert per cause is remembered in the patient's state, so suppression survives
 * restarts and rebalances and a replay of the same input suppresses the same alerts. A zero window turns
 * suppression off.
 */
public final class AlertSuppression {
    /** Marks remembered per patient at most (one per cause: about three per feature and one per code). */
    static final int MAX_MARKS = 512;

    private final Duration window;

    public AlertSuppression(Duration window) {
        if (window.isNegative()) {
            throw new IllegalArgumentException("suppression window must not be negative: " + window);
        }
        this.window = window;
    }

    public Duration window() {
        return window;
    }

    /** The triggers to alert on, and the state remembering them. */
    public record Result(PatientState state, List<Trigger> kept) {
    }

    public Result filter(PatientState state, List<Trigger> triggers) {
        if (window.isZero()) {
            return new Result(state, triggers);
        }
        Map<String, AlertMark> marks = new HashMap<>(state.getAlertMarks());
        List<Trigger> kept = new ArrayList<>();
        for (Trigger t : triggers) {
            String cause = t.cause();
            Instant time = t.fact().getEffectiveTime();
            AlertMark last = marks.get(cause);
            if (last != null && Duration.between(last.getEventTime(), time).abs().compareTo(window) < 0
                    && rank(t.severity()) <= rank(last.getSeverity())) {
                continue;
            }
            kept.add(t);
            marks.put(cause, AlertMark.newBuilder().setEventTime(time).setSeverity(t.severity())
                    .setAlertId(AlertFactory.alertId(state.getPatientKey(), t)).build());
        }
        // Marks are bounded by number, not by age: a patient's facts come from several topics and are not
        // processed in strict event-time order, so no "now" is safe to forget marks against.
        if (marks.size() > MAX_MARKS) {
            List<Map.Entry<String, AlertMark>> oldest = new ArrayList<>(marks.entrySet());
            oldest.sort(Map.Entry.comparingByValue(java.util.Comparator.comparing(AlertMark::getEventTime)));
            for (int i = 0; marks.size() > MAX_MARKS; i++) {
                marks.remove(oldest.get(i).getKey());
            }
        }
        if (marks.equals(state.getAlertMarks())) {
            return new Result(state, kept);
        }
        PatientState marked = PatientStates.copy(state);
        marked.setAlertMarks(marks);
        return new Result(marked, kept);
    }

    static int rank(AlertIndicator indicator) {
        return switch (indicator) {
            case info -> 0;
            case warning -> 1;
            case critical -> 2;
        };
    }
}
