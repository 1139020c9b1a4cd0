package dev.kindred.fhir;

/**
 * Why a FHIR input could not be used. The code travels on the dead-letter record so that an integration
 * engineer can group and count failures without reading payloads. Codes are stable: new ones may be added,
 * existing ones never change meaning.
 */
public enum RejectionReason {
    /** Not JSON, or JSON that is not a FHIR R4 resource. */
    MALFORMED_JSON("malformed-json"),
    /** JSON of another FHIR version (e.g. STU3), recognised by elements whose shape changed in R4. */
    UNSUPPORTED_FHIR_VERSION("unsupported-fhir-version"),
    /** Valid FHIR of a type the engine does not consume. */
    UNSUPPORTED_RESOURCE("unsupported-resource"),
    /** The resource names no patient (no subject/patient reference). */
    MISSING_SUBJECT("missing-subject"),
    /** The subject is not a patient (a Group, Device, Location). */
    UNSUPPORTED_SUBJECT("unsupported-subject"),
    /** A patient reference that cannot be turned into a patient key. */
    UNRESOLVABLE_SUBJECT("unresolvable-subject"),
    /** A Condition, Procedure or ImagingStudy without any usable code (system and code). */
    MISSING_CODE("missing-code"),
    /** A medication request or administration whose medication has no code or cannot be found. */
    UNKNOWN_MEDICATION("unknown-medication"),
    /** A value that is present but unusable (not a number, out of any plausible range, wrong dimension). */
    BAD_VALUE("bad-value"),
    /** A quantity whose unit cannot be converted to the catalog's canonical unit. */
    UNCONVERTIBLE_UNIT("unconvertible-unit"),
    /** A subscription notification that carries ids only and no FHIR server to fetch them from. */
    ID_ONLY_NOTIFICATION("id-only-notification"),
    /** A resource named by an id-only notification could not be fetched from the configured FHIR server. */
    FETCH_FAILED("fetch-failed"),
    /** Anything unexpected inside the engine; the reason names the exception's class, never its message. */
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
