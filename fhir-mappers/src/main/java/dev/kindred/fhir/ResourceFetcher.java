package dev.kindred.fhir;

import org.hl7.fhir.r4.model.Resource;

/**
 * Fetches a resource that an input names but does not carry: the focus of an id-only subscription
 * notification, or a Medication a request refers to. {@link #NONE} fetches nothing (no FHIR server
 * configured); {@link HttpResourceFetcher} reads from a FHIR server's REST API.
 */
public interface ResourceFetcher {

    /** Fetches nothing: id-only notifications are rejected id-only-notification. */
    ResourceFetcher NONE = new ResourceFetcher() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public Resource fetch(String reference) {
            throw new Rejection(RejectionReason.ID_ONLY_NOTIFICATION, "no FHIR server is configured to fetch "
                    + reference);
        }
    };

    /** Whether this fetcher can fetch at all. */
    default boolean enabled() {
        return true;
    }

    /**
     * The current version of the resource a reference names ({@code Type/id}, {@code Type/id/_history/n} or an
     * absolute URL ending in {@code Type/id}).
     *
     * @throws Rejection fetch-failed (unreachable, timeout, HTTP error, not FHIR), naming the reference only
     */
    Resource fetch(String reference);
}
