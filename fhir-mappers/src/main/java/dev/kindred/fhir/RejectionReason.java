package dev.kindred.fhir;

/**
 * Why a FHIR input could not be used. The code travels on the dead-letter record so that an integration
 * engineer can group and count failures without reading payloads.
 */
public enum RejectionReason {
    /** Not JSON, or JSON that is not a FHIR resource. */
    MALFORMED_JSON("malformed-json"),
    /** Valid FHIR of a type the engine does not consume. */
    UNSUPPORTED_RESOURCE("unsupported-resource"),
    /** The resource names no patient (no subject/patient reference). */
    MISSING_SUBJECT("missing-subject"),
    /** The subject is not a patient (a Group, Device, Location). */
    UNSUPPORTED_SUBJECT("unsupported-subject"),
    /** A patient reference that cannot be turned into a patient key. */
    UNRESOLVABLE_SUBJECT("unresolvable-subject"),
    /** A value that is present but unusable (not a number, out of any plausible range). */
    BAD_VALUE("bad-value"),
    /** A quantity whose unit cannot be converted to the catalog's canonical unit. */
    UNCONVERTIBLE_UNIT("unconvertible-unit"),
    /** A subscription notification that carries ids only and no FHIR server to fetch them from. */
    ID_ONLY_NOTIFICATION("id-only-notification"),
    /** Anything unexpected inside the engine; the message says what. */
    INTERNAL_ERROR("internal-error");

    private final String code;

    RejectionReason(String code) {
        this.code = code;
    }

    /** The stable, kebab-case code written to the dead-letter topic. */
    public String code() {
        return code;
    }
}
