package dev.kindred.connectors.subscription;

import java.time.Instant;
import java.util.List;

/**
 * What the receiver knows of one subscription: the last event number it wrote, when it last heard a
 * heartbeat and the event ranges it could not recover yet (each {@code [from, to]}, inclusive).
 */
public record SubscriptionState(String subscription, long lastEventNumber, Instant lastHeartbeat,
        Instant lastNotification, List<long[]> openGaps, long duplicatesDropped, long eventsRecovered) {

    public SubscriptionState {
        openGaps = List.copyOf(openGaps);
    }

    static SubscriptionState fresh(String subscription) {
        return new SubscriptionState(subscription, 0, null, null, List.of(), 0, 0);
    }
}
