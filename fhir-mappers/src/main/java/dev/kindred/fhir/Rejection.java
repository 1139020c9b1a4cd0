package dev.kindred.fhir;

/**
 * A FHIR input, or one resource inside it, that cannot be used. Messages name resource types, ids and
 * codes, never patient values or names, because they end up in logs and on the dead-letter topic.
 */
public final class Rejection extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final RejectionReason reason;
    private final String resourceType;
    private final String resourceId;

    public Rejection(RejectionReason reason, String message, String resourceType, String resourceId) {
        super(message, null, false, false);
        this.reason = reason;
        this.resourceType = resourceType;
        this.resourceId = resourceId;
    }

    public Rejection(RejectionReason reason, String message) {
        this(reason, message, null, null);
    }

    public RejectionReason reason() {
        return reason;
    }

    /** The offending resource's type, when it could be read. */
    public String resourceType() {
        return resourceType;
    }

    /** The offending resource's logical id, when it could be read. */
    public String resourceId() {
        return resourceId;
    }

    /** A copy that names the resource, for rejections raised before the resource was known. */
    public Rejection about(String type, String id) {
        return new Rejection(reason, getMessage(), resourceType != null ? resourceType : type,
                resourceId != null ? resourceId : id);
    }
}
