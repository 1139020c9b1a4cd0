package dev.kindred.imaging;

/** A classified failure: the reason code, whether trying again may help, and a message without patient data. */
public final class ImagingException extends Exception {
    private static final long serialVersionUID = 1L;

    private final FailureReason reason;
    private final boolean retriable;

    public ImagingException(FailureReason reason, boolean retriable, String message) {
        this(reason, retriable, message, null);
    }

    public ImagingException(FailureReason reason, boolean retriable, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.retriable = retriable;
    }

    public FailureReason reason() {
        return reason;
    }

    public boolean retriable() {
        return retriable;
    }
}
