package dev.kindred.clinical.patient;

import dev.kindred.avro.ClinicalFact;
import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.HistoryPoint;
import dev.kindred.clinical.outcomes.OutcomeRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A feature's recent values, bounded: points within the retention (the longest look-back and window the
 * outcome rules need for the feature, at least {@link #DEFAULT_RETENTION}) and at most {@link #MAX_POINTS} of
 * them, plus counts over every value the patient ever had.
 */
final class FeatureHistories {
    /** History kept of a feature no outcome rule needs (for trends). */
    static final Duration DEFAULT_RETENTION = Duration.ofDays(730);
    /** Values kept per feature, whatever their age. */
    static final int MAX_POINTS = 32;

    private final OutcomeRules rules;

    FeatureHistories(OutcomeRules rules) {
        this.rules = rules;
    }

    /**
     * The history with the fact's value added, or {@code history} itself when it already holds it or when it
     * is older than everything the history keeps (too old to matter; counting it could count a replay twice).
     */
    FeatureHistory withPoint(String featureId, FeatureHistory history, ClinicalFact fact, RangeCheck check) {
        Instant time = fact.getEffectiveTime();
        List<HistoryPoint> points = history == null ? new ArrayList<>() : new ArrayList<>(history.getPoints());
        for (HistoryPoint p : points) {
            if (p.getTime().equals(time) && Objects.equals(p.getSourceResourceId(), fact.getSourceResourceId())) {
                if (p.getValue() == fact.getValue()) {
                    return history;
                }
            }
        }
        Duration retention = retention(featureId);
        if (history != null && !points.isEmpty()) {
            Instant latest = points.get(points.size() - 1).getTime();
            boolean full = points.size() >= MAX_POINTS;
            if (time.isBefore(latest.minus(retention)) || (full && time.isBefore(points.get(0).getTime()))) {
                return history;
            }
        }
        boolean replaced = points.removeIf(p -> p.getTime().equals(time)
                && Objects.equals(p.getSourceResourceId(), fact.getSourceResourceId()));
        boolean abnormal = check != null && check.abnormal();
        HistoryPoint point = HistoryPoint.newBuilder().setTime(time).setValue(fact.getValue())
                .setDirection(check == null ? 0 : check.direction()).setAbnormal(abnormal)
                .setSourceResourceId(fact.getSourceResourceId()).build();
        points.add(point);
        points.sort(Comparator.comparing(HistoryPoint::getTime));
        Instant latest = points.get(points.size() - 1).getTime();
        points.removeIf(p -> p.getTime().isBefore(latest.minus(retention)));
        while (points.size() > MAX_POINTS) {
            points.remove(0);
        }
        int count = history == null ? 0 : history.getCount();
        int abnormalCount = history == null ? 0 : history.getAbnormalCount();
        Instant first = history == null ? null : history.getFirstTime();
        return FeatureHistory.newBuilder()
                .setPoints(points)
                .setCount(replaced ? count : count + 1)
                .setAbnormalCount(replaced ? abnormalCount : abnormalCount + (abnormal ? 1 : 0))
                .setFirstTime(first == null || time.isBefore(first) ? time : first)
                .build();
    }

    static FeatureHistory withoutPoint(FeatureHistory history, String sourceId) {
        if (sourceId == null) {
            return history;
        }
        List<HistoryPoint> points = new ArrayList<>();
        int removed = 0;
        int removedAbnormal = 0;
        for (HistoryPoint p : history.getPoints()) {
            if (sourceId.equals(p.getSourceResourceId())) {
                removed++;
                removedAbnormal += p.getAbnormal() ? 1 : 0;
            } else {
                points.add(p);
            }
        }
        if (removed == 0) {
            return history;
        }
        if (points.isEmpty() && history.getCount() <= removed) {
            return null;
        }
        return FeatureHistory.newBuilder(history).setPoints(points)
                .setCount(Math.max(0, history.getCount() - removed))
                .setAbnormalCount(Math.max(0, history.getAbnormalCount() - removedAbnormal)).build();
    }

    private Duration retention(String featureId) {
        Duration byRules = rules.retention(featureId);
        return byRules != null && byRules.compareTo(DEFAULT_RETENTION) > 0 ? byRules : DEFAULT_RETENTION;
    }
}
