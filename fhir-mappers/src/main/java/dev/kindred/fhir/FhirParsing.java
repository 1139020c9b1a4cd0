package dev.kindred.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.LenientErrorHandler;
import ca.uhn.fhir.parser.json.BaseJsonLikeValue.ScalarType;
import ca.uhn.fhir.parser.json.BaseJsonLikeValue.ValueType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;

/**
 * Parses FHIR R4 JSON with HAPI. One {@link FhirContext} per JVM (building one takes about a second); a
 * parser per call because HAPI parsers are cheap and not meant to be shared between threads.
 *
 * <p>Unknown elements are tolerated (servers add extensions and newer elements), but invalid values such
 * as a bad decimal or enum code are errors: they are rejected, never silently dropped. So is an element of
 * the wrong JSON shape (an object where R4 has an array, a string where it has an object), which HAPI would
 * otherwise skip: that is how other FHIR versions show (STU3's single {@code Observation.interpretation},
 * its string {@code Condition.clinicalStatus}); when the document also uses code systems that only STU3
 * and earlier had ({@code http://hl7.org/fhir/v2/…}, {@code http://hl7.org/fhir/observation-category} …)
 * the reason is unsupported-fhir-version, else malformed-json. HAPI's own warning log is off because its
 * messages may quote values.
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
        parser.setParserErrorHandler(new ShapeCheckingErrorHandler());
        String text = new String(json, StandardCharsets.UTF_8);
        try {
            IBaseResource resource = parser.parseResource(text);
            return (Resource) resource;
        } catch (WrongShape e) {
            if (usesPreR4CodeSystems(text)) {
                throw new Rejection(RejectionReason.UNSUPPORTED_FHIR_VERSION, "not FHIR R4: element '" + e.element
                        + "' has the shape of another FHIR version and the document uses pre-R4 code systems"
                        + " (STU3 or earlier)", resourceType(text), null);
            }
            throw new Rejection(RejectionReason.MALFORMED_JSON, "not FHIR R4 JSON: element '" + e.element
                    + "' has the wrong JSON type");
        } catch (DataFormatException | ClassCastException | IllegalArgumentException e) {
            throw new Rejection(RejectionReason.MALFORMED_JSON, "not FHIR R4 JSON: " + redact(e.getMessage()));
        }
    }

    private static final List<String> PRE_R4_CODE_SYSTEMS = List.of("\"http://hl7.org/fhir/v2/",
            "\"http://hl7.org/fhir/v3/", "\"http://hl7.org/fhir/observation-category\"",
            "\"http://hl7.org/fhir/condition-clinical\"", "\"http://hl7.org/fhir/condition-ver-status\"",
            "\"http://hl7.org/fhir/condition-category\"", "\"http://hl7.org/fhir/medication-request-category\"");

    private static final java.util.regex.Pattern RESOURCE_TYPE =
            java.util.regex.Pattern.compile("\"resourceType\"\\s*:\\s*\"([A-Z][A-Za-z]{1,63})\"");

    /** The first resourceType in a document HAPI could not read, to name it in the rejection. */
    private static String resourceType(String json) {
        java.util.regex.Matcher m = RESOURCE_TYPE.matcher(json);
        return m.find() ? m.group(1) : null;
    }

    static boolean usesPreR4CodeSystems(String json) {
        for (String marker : PRE_R4_CODE_SYSTEMS) {
            if (json.contains(marker)) {
                return true;
            }
        }
        return false;
    }

    /** An element whose JSON shape is not the one R4 defines. */
    private static final class WrongShape extends DataFormatException {
        private static final long serialVersionUID = 1L;
        final String element;

        WrongShape(String element) {
            super("wrong JSON shape for element " + element);
            this.element = element;
        }
    }

    /** Lenient on unknown elements, strict on invalid values and on elements of the wrong JSON shape. */
    private static final class ShapeCheckingErrorHandler extends LenientErrorHandler {
        ShapeCheckingErrorHandler() {
            super(false);
            setErrorOnInvalidValue(true);
        }

        @Override
        public void incorrectJsonType(IParseLocation location, String elementName, ValueType expectedValueType,
                ScalarType expectedScalarType, ValueType foundValueType, ScalarType foundScalarType) {
            throw new WrongShape(elementName);
        }

        @Override
        public void unexpectedRepeatingElement(IParseLocation location, String elementName) {
            throw new WrongShape(elementName);
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
