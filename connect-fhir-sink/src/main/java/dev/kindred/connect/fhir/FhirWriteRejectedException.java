package dev.kindred.connect.fhir;

import org.apache.kafka.connect.errors.ConnectException;

/**
 * The FHIR server refused a write for good (a 4xx other than 408 and 429); dead-lettered. The message
 * carries the request line, the status and the OperationOutcome's issue codes and locations, not its
 * diagnostics text, which may quote resource content.
 */
public class FhirWriteRejectedException extends ConnectException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public FhirWriteRejectedException(String message, int status) {
        super(message);
        this.status = status;
    }

    /** The HTTP status the server answered. */
    public int status() {
        return status;
    }
}
