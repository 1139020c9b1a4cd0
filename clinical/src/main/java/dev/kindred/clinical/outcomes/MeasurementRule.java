package dev.kindred.clinical.outcomes;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * An outcome rule judged by a measurement: the target feature moved the right way by a threshold (or into
 * a goal range) after a treatment started.
 *
 * @param feature catalog feature id of the target measurement
 * @param threshold the least change that counts, in the feature's canonical unit, or as a fraction of the
 *     baseline when {@code relative}
 * @param goal optional: ending inside it, having started outside it, also counts as improved
 * @param atGoalImproves ending inside the goal counts as improved even when the baseline was inside it too
 *     (treat-to-target: a renewed prescription that keeps the value at goal is working)
 * @param treatments the treatments the rule judges, as system|code
 * @param alsoFor other features whose abnormal values these treatments address (diastolic pressure for an
 *     antihypertensive judged on systolic), for ranking recommendations on an alert
 */
public record MeasurementRule(String id, String description, String feature, Direction direction, double threshold,
        boolean relative, Goal goal, boolean atGoalImproves, List<String> treatments, List<String> alsoFor,
        Duration lookback,
        Duration minDelay, Duration window, Duration courseGap) {

    /** Which way is better. */
    public enum Direction {
        DECREASE, INCREASE;

        static Direction parse(String text) {
            return Direction.valueOf(text.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** A target range with optional ends, inclusive. */
    public record Goal(Double low, Double high) {
        public boolean contains(double value) {
            return (low == null || value >= low) && (high == null || value <= high);
        }
    }

    public MeasurementRule {
        treatments = List.copyOf(treatments);
        alsoFor = alsoFor == null ? List.of() : List.copyOf(alsoFor);
        if (threshold < 0) {
            throw new IllegalArgumentException("outcome rule " + id + ": threshold must not be negative");
        }
        if (minDelay.compareTo(window) >= 0) {
            throw new IllegalArgumentException("outcome rule " + id + ": minDelayDays must be shorter than windowDays");
        }
    }

    /** Whether the rule's treatments address an abnormal value of {@code featureId}. */
    public boolean addresses(String featureId) {
        return feature.equals(featureId) || alsoFor.contains(featureId);
    }

    /** Whether going from {@code baseline} to {@code after} counts as improved. */
    public boolean improved(double baseline, double after) {
        double change = direction == Direction.DECREASE ? baseline - after : after - baseline;
        double needed = relative ? threshold * Math.abs(baseline) : threshold;
        if (change > 0 && change >= needed) {
            return true;
        }
        return goal != null && goal.contains(after) && (atGoalImproves || !goal.contains(baseline));
    }
}
