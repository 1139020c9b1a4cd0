package dev.kindred.connect.fhir;

import org.apache.kafka.connect.errors.DataException;

/** An alert that cannot become a FHIR resource; dead-lettered. The message names fields, never values. */
public class UnmappableAlertException extends DataException {
    private static final long serialVersionUID = 1L;

    public UnmappableAlertException(String message) {
        super(message);
    }
}
