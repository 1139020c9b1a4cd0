package dev.kindred.registry;

/**
 * An error answered by a schema registry (or a failure to reach one), with the HTTP status and the
 * registry's {@code error_code} and message, so callers can tell an incompatible schema (409) from an
 * unknown subject (40401), version (40402) or schema (40403), an invalid schema (42201) or an unreachable
 * registry ({@link #isRetriable()}).
 */
public class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Status and error code used when no registry answered at all. */
    public static final int UNREACHABLE = -1;

    private final int status;
    private final int errorCode;
    private final String registryMessage;

    /**
     * An error as the registry itself states it (used by the in-process registry).
     *
     * @param status HTTP status to answer with
     * @param errorCode Confluent error code, e.g. 40401
     * @param registryMessage the registry's message
     */
    public SchemaRegistryException(int status, int errorCode, String registryMessage) {
        this(registryMessage + " (" + errorCode + ")", status, errorCode, registryMessage, null);
    }

    private SchemaRegistryException(String message, int status, int errorCode, String registryMessage,
                                    Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
        this.registryMessage = registryMessage;
    }

    /**
     * An error met while working on {@code target}, with a message that says what went wrong in plain words
     * first, e.g. "schema for subject cds.alerts-value is incompatible (409): ...".
     *
     * @param target what the request was about, e.g. "subject cds.alerts-value" or "schema id 7"
     */
    public static SchemaRegistryException of(String target, int status, int errorCode, String registryMessage) {
        return new SchemaRegistryException(summary(target, status, errorCode) + " (" + errorCode + "): "
            + registryMessage, status, errorCode, registryMessage, null);
    }

    /** No registry URL answered; the cause is the last I/O failure. */
    public static SchemaRegistryException unreachable(String target, String urls, Throwable cause) {
        String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new SchemaRegistryException("schema registry unreachable at " + urls + " while looking up "
            + target + ": " + reason, UNREACHABLE, UNREACHABLE, reason, cause);
    }

    private static String summary(String target, int status, int errorCode) {
        switch (errorCode) {
            case 409:
                return "schema for " + target + " is incompatible";
            case 40401:
                return target.startsWith("subject ") ? target + " not found" : "subject not found for " + target;
            case 40402:
                return "version not found for " + target;
            case 40403:
                return target.startsWith("schema id ") ? target + " not found" : "schema not found under " + target;
            case 42201:
                return "invalid schema for " + target;
            default:
                if (status == 401 || status == 403) {
                    return "not authorized to read or register " + target + " (check basic.auth.* settings)";
                }
                return "schema registry request for " + target + " failed with HTTP " + status;
        }
    }

    /** HTTP status of the answer, or {@link #UNREACHABLE}. */
    public int status() {
        return status;
    }

    /** The registry's {@code error_code} (e.g. 40401, 409, 42201), or {@link #UNREACHABLE}. */
    public int errorCode() {
        return errorCode;
    }

    /** The registry's own message, verbatim. */
    public String registryMessage() {
        return registryMessage;
    }

    /** True when trying again later may succeed: the registry was unreachable or answered 5xx. */
    public boolean isRetriable() {
        return status == UNREACHABLE || status >= 500;
    }
}
