package dev.kindred.connectors.subscription;

/** A notification the receiver cannot accept; the message says why (and holds no patient data). */
public final class NotificationException extends RuntimeException {
    private final int status;

    public NotificationException(int status, String message) {
        super(message);
        this.status = status;
    }

    public NotificationException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status to answer with. */
    public int status() {
        return status;
    }
}
