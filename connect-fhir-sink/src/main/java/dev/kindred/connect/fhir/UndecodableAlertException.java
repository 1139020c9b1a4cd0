package dev.kindred.connect.fhir;

import org.apache.kafka.connect.errors.DataException;

/** A record value that is not a ClinicalAlert in the Confluent wire format; dead-lettered. */
public class UndecodableAlertException extends DataException {
    private static final long serialVersionUID = 1L;

    public UndecodableAlertException(String message, Throwable cause) {
        super(message, cause);
    }
}
