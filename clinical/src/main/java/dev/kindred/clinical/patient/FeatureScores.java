package dev.kindred.clinical.patient;

import dev.kindred.avro.Demographics;
import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.HistoryPoint;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.ValueRange;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The numbers the vectorizer builds a patient's dimensions from, one feature at a time: z-scores against the
 * catalog's population (or reference range), how far outside the range a value lies, the two-year level and
 * trend, and age.
 */
final class FeatureScores {
    static final double CLIP = 4.0;
    static final double TREND_CLIP = 2.0;
    static final Duration TREND_HORIZON = Duration.ofDays(730);

    private FeatureScores() {
    }

    /** Age in years at {@code now}, or null when the birth date or now is unknown. */
    static Double age(Demographics d, Instant now) {
        if (d == null || d.getBirthDate() == null || now == null) {
            return null;
        }
        LocalDate birth = d.getBirthDate();
        Instant at = d.getDeceasedTime() != null && d.getDeceasedTime().isBefore(now) ? d.getDeceasedTime() : now;
        double days = ChronoUnit.DAYS.between(birth, LocalDate.ofInstant(at, ZoneOffset.UTC));
        return Math.max(0, days / 365.25);
    }

    static double z(Feature feature, double value) {
        double scale = scale(feature);
        if (scale <= 0) {
            return 0;
        }
        double center = feature.population() != null ? feature.population().mean()
                : (feature.referenceRange().low() + feature.referenceRange().high()) / 2;
        return (value - center) / scale;
    }

    /** Population standard deviation, else half the reference range; 0 when neither is known. */
    static double scale(Feature feature) {
        if (feature.population() != null && feature.population().sd() > 0) {
            return feature.population().sd();
        }
        ValueRange r = feature.referenceRange();
        if (r.low() != null && r.high() != null && r.high() > r.low()) {
            return (r.high() - r.low()) / 2;
        }
        return 0;
    }

    /** How far a value lies outside its reference range, in standard deviations, signed; 0 inside. */
    static double exceedance(Feature feature, FeatureValue value) {
        ValueRange range = value.getReferenceLow() != null || value.getReferenceHigh() != null
                ? new ValueRange(value.getReferenceLow(), value.getReferenceHigh()) : feature.referenceRange();
        double scale = scale(feature);
        if (scale <= 0) {
            return 0;
        }
        double v = value.getValue();
        if (range.isAbove(v)) {
            return clip((v - range.high()) / scale, CLIP);
        }
        if (range.isBelow(v)) {
            return -clip((range.low() - v) / scale, CLIP);
        }
        return 0;
    }

    /** Mean z-score of the values of the last two years (clipped), steadier than the latest value alone. */
    static double level(Feature feature, FeatureHistory history, FeatureValue latest) {
        if (scale(feature) <= 0) {
            return 0;
        }
        if (history == null || history.getPoints().isEmpty()) {
            return latest == null ? 0 : clip(z(feature, latest.getValue()), CLIP);
        }
        List<HistoryPoint> points = history.getPoints();
        Instant from = points.get(points.size() - 1).getTime().minus(TREND_HORIZON);
        double sum = 0;
        int n = 0;
        for (HistoryPoint p : points) {
            if (!p.getTime().isBefore(from)) {
                sum += clip(z(feature, p.getValue()), CLIP);
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    /** Slope of the z-scores over the last two years, in standard deviations per year; 0 with too few values. */
    static double trend(Feature feature, FeatureHistory history) {
        List<HistoryPoint> points = history.getPoints();
        if (points.size() < 3 || scale(feature) <= 0) {
            return 0;
        }
        Instant latest = points.get(points.size() - 1).getTime();
        Instant from = latest.minus(TREND_HORIZON);
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        Instant first = null;
        for (HistoryPoint p : points) {
            if (p.getTime().isBefore(from)) {
                continue;
            }
            first = first == null ? p.getTime() : first;
            double x = Duration.between(latest, p.getTime()).toMillis() / (365.25 * 86_400_000.0);
            double y = z(feature, p.getValue());
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        if (n < 3 || first == null || Duration.between(first, latest).toDays() < 90) {
            return 0;
        }
        double denominator = n * sxx - sx * sx;
        if (denominator <= 0) {
            return 0;
        }
        return clip((n * sxy - sx * sy) / denominator, TREND_CLIP);
    }

    static double clip(double x, double limit) {
        return Math.max(-limit, Math.min(limit, x));
    }
}
