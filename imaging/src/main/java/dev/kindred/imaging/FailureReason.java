package dev.kindred.imaging;

/**
 * Why an embedding could not be made. The {@link #code()} is stable: the stream writes it into the dead
 * letter, and operators filter on it.
 */
public enum FailureReason {
    /** The PACS could not be reached (connection refused, DNS, TLS, connect or read time-out). */
    PACS_UNREACHABLE("pacs-unreachable"),
    /** The PACS accepted the connection but sent no answer within the HTTP request time-out. */
    PACS_TIMEOUT("pacs-timeout"),
    /** The PACS refused the credentials (HTTP 401 or 403). */
    PACS_AUTH_FAILED("pacs-auth-failed"),
    /** The PACS does not have the instance (HTTP 404 or 410). */
    PACS_NOT_FOUND("pacs-not-found"),
    /** Any other HTTP status, or 429/5xx still failing after the retries. */
    PACS_HTTP_ERROR("pacs-http-error"),
    /** The bytes are not a PNG or JPEG that can be decoded, or the image is implausibly large. */
    IMAGE_UNDECODABLE("image-undecodable"),
    /** The request names no image to embed (no series left after the modality filter, no attachments). */
    NO_IMAGES("no-images"),
    /** The model failed on the input or returned an output that cannot be read as an embedding. */
    MODEL_ERROR("model-error"),
    /** The request was not done within its time-out. */
    EMBEDDING_TIMEOUT("embedding-timeout"),
    /** The queue was full when the request was submitted: rejected at once, nothing was done. */
    QUEUE_FULL("queue-full"),
    /** The service was closed before the request was done. */
    SERVICE_CLOSED("service-closed");

    private final String code;

    FailureReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
