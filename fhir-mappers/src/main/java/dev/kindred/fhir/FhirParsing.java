package dev.kindred.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.LenientErrorHandler;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;

/**
 * Parses FHIR R4 JSON with HAPI. One {@link FhirContext} per JVM (building one takes about a second); a
 * parser per call because HAPI parsers are cheap and not meant to be shared between threads.
 *
 * <p>Unknown elements are tolerated (servers add extensions and newer elements), but invalid values such
 * as a bad decimal or enum code are errors: they are rejected, never silently dropped. HAPI's own warning
 * log is off because its messages may quote values.
 */
public final class FhirParsing {
    private static final FhirContext CONTEXT = FhirContext.forR4Cached();

    private FhirParsing() {
    }

    public static FhirContext context() {
        return CONTEXT;
    }

    /** Parses one resource (which may be a Bundle) or throws a {@link Rejection} with reason malformed-json. */
    public static Resource parse(byte[] json) {
        if (json == null || json.length == 0) {
            throw new Rejection(RejectionReason.MALFORMED_JSON, "empty record: no FHIR resource");
        }
        IParser parser = CONTEXT.newJsonParser();
        LenientErrorHandler errors = new LenientErrorHandler(false);
        errors.setErrorOnInvalidValue(true);
        parser.setParserErrorHandler(errors);
        try {
            IBaseResource resource = parser.parseResource(new String(json, StandardCharsets.UTF_8));
            return (Resource) resource;
        } catch (DataFormatException | ClassCastException | IllegalArgumentException e) {
            throw new Rejection(RejectionReason.MALFORMED_JSON, "not FHIR R4 JSON: " + redact(e.getMessage()));
        }
    }

    /** Keeps an error message's shape but drops quoted text, which may be a patient's value. */
    static String redact(String message) {
        if (message == null) {
            return "unknown parse error";
        }
        String oneLine = message.replaceAll("\\s+", " ").replaceAll("\"[^\"]*\"", "\"…\"")
                .replaceAll("'[^']*'", "'…'");
        return oneLine.length() > 240 ? oneLine.substring(0, 240) + "…" : oneLine;
    }
}
