package dev.kindred.fhir;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.hl7.fhir.r4.model.BaseDateTimeType;

/**
 * FHIR date and dateTime values as instants. Partial dates (year, year-month, date) and the rare
 * dateTime without an offset are read as UTC, so the same input gives the same instant on every
 * machine whatever its default time zone.
 */
public final class FhirTimes {
    private FhirTimes() {
    }

    /** The instant of a FHIR date/dateTime/instant, or null when the element is absent or empty. */
    public static Instant toInstant(BaseDateTimeType value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        return parse(value.getValueAsString());
    }

    /** Ends in +hh:mm or -hh:mm (checked by hand: this runs for every resource). */
    private static boolean hasOffset(String text) {
        int n = text.length();
        return n > 6 && (text.charAt(n - 6) == '+' || text.charAt(n - 6) == '-') && text.charAt(n - 3) == ':'
                && Character.isDigit(text.charAt(n - 5)) && Character.isDigit(text.charAt(n - 4))
                && Character.isDigit(text.charAt(n - 2)) && Character.isDigit(text.charAt(n - 1));
    }

    /**
     * {@code YYYY-MM-DDThh:mm:ss} with optional fraction and {@code Z} or {@code ±hh:mm}, read by hand, or null
     * for anything else (left to java.time): nearly every resource carries such a time, and
     * {@code OffsetDateTime.parse} took about 3% of a stream thread.
     */
    static Instant parseCommonDateTime(String t) {
        int n = t.length();
        if (n < 20 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T' || t.charAt(13) != ':'
                || t.charAt(16) != ':') {
            return null;
        }
        int year = digits(t, 0, 4);
        int month = digits(t, 5, 2);
        int day = digits(t, 8, 2);
        int hour = digits(t, 11, 2);
        int minute = digits(t, 14, 2);
        int second = digits(t, 17, 2);
        int i = 19;
        int nanos = 0;
        if (i < n && t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && Character.isDigit(t.charAt(i))) {
                i++;
            }
            int count = i - start;
            if (count == 0 || count > 9) {
                return null;
            }
            nanos = digits(t, start, count);
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == n - 1 && t.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6 && hasOffset(t)) {
            int sign = t.charAt(i) == '-' ? -1 : 1;
            offsetSeconds = sign * (digits(t, i + 1, 2) * 3600 + digits(t, i + 4, 2) * 60);
        } else {
            return null;
        }
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59
                || Math.abs(offsetSeconds) > 18 * 3600) {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second, nanos)
                    .toInstant(ZoneOffset.ofTotalSeconds(offsetSeconds));
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** The non-negative number written by {@code count} digits at {@code from}, or -1 when one is not a digit. */
    private static int digits(String t, int from, int count) {
        int v = 0;
        for (int k = from; k < from + count; k++) {
            char c = t.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** Parses the FHIR string forms YYYY, YYYY-MM, YYYY-MM-DD and full dateTime/instant. */
    public static Instant parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            switch (text.length()) {
                case 4:
                    return LocalDate.of(Integer.parseInt(text), 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC);
                case 7:
                    return LocalDate.parse(text + "-01").atStartOfDay().toInstant(ZoneOffset.UTC);
                case 10:
                    return LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC);
                default:
                    Instant fast = parseCommonDateTime(text);
                    if (fast != null) {
                        return fast;
                    }
                    if (text.endsWith("Z") || hasOffset(text)) {
                        return OffsetDateTime.parse(text).toInstant();
                    }
                    return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            }
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new Rejection(RejectionReason.BAD_VALUE, "unreadable date/time (" + text.length() + " characters)");
        }
    }
}
