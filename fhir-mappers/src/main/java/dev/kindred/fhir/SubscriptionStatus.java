package dev.kindred.fhir;

import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.Reference;

/**
 * The subscription status of an R4 Subscriptions Backport notification: a {@code history} Bundle whose first
 * entry is a {@code Parameters} resource with the status parameters ({@code subscription}, {@code type},
 * {@code notification-event} …). Only what mapping needs is read: the notification type and the focus
 * references of its events.
 */
record SubscriptionStatus(String type, List<Reference> focus) {

    /** The status of a notification Bundle, or null when the Bundle is not a notification. */
    static SubscriptionStatus of(Bundle bundle) {
        if (bundle.getType() != Bundle.BundleType.HISTORY || bundle.getEntry().isEmpty()
                || !(bundle.getEntryFirstRep().getResource() instanceof Parameters)) {
            return null;
        }
        Parameters parameters = (Parameters) bundle.getEntryFirstRep().getResource();
        String type = null;
        boolean subscription = false;
        List<Reference> focus = new ArrayList<>();
        for (ParametersParameterComponent p : parameters.getParameter()) {
            switch (p.getName() == null ? "" : p.getName()) {
                case "subscription" -> subscription = true;
                case "type" -> type = p.hasValue() ? p.getValue().primitiveValue() : null;
                case "notification-event" -> {
                    for (ParametersParameterComponent part : p.getPart()) {
                        if ("focus".equals(part.getName()) && part.getValue() instanceof Reference) {
                            focus.add((Reference) part.getValue());
                        }
                    }
                }
                default -> {
                }
            }
        }
        return subscription || type != null ? new SubscriptionStatus(type, focus) : null;
    }
}
