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
