package dev.kindred.api;

import dev.kindred.api.metrics.ApiMetrics;
import dev.kindred.connectors.subscription.SubscriptionReceiver;
import io.javalin.http.Context;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The FHIR Subscription rest-hook ({@code /subscription-hook}) and its state ({@code /api/subscriptions}), served
 * when {@code kindred.subscription.enabled}: the receiver writes notified resources to the input topics; this class
 * puts it on HTTP and in the metrics.
 */
final class SubscriptionHook implements AutoCloseable {
    private final SubscriptionReceiver receiver;
    private final ApiMetrics metrics;

    /** @param producer the Kafka producer settings Kindred runs on (bootstrap servers among them) */
    SubscriptionHook(ApiConfig config, Map<String, Object> producer, ApiMetrics metrics) {
        Map<String, Object> client = new HashMap<>(producer);
        Object bootstrap = client.remove(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
        this.receiver = new SubscriptionReceiver(new SubscriptionReceiver.Settings(
                String.valueOf(bootstrap), client, config.subscriptionStateTopic(), config.subscriptionTransactionalId(),
                config.subscriptionSecretHeader(), config.subscriptionFhirBase(), config.subscriptionFhirAuthHeader()));
        this.metrics = metrics;
        metrics.gauge("kindred.subscription.resources.written", "Resources the subscription receiver wrote to input topics",
                receiver::resourcesWritten);
        metrics.gauge("kindred.subscription.rejected", "Notifications refused (wrong secret, bad body)", receiver::rejected);
    }

    /** One request to the rest-hook: the receiver answers; per-subscription gauges follow new subscriptions. */
    void receive(Context ctx, String subPath) {
        SubscriptionReceiver.Reply reply = receiver.receive(ctx.method().name(), subPath, ctx::header, ctx.bodyAsBytes());
        ctx.status(reply.status());
        if (!reply.body().isEmpty()) {
            ctx.contentType("application/fhir+json").result(reply.body());
        }
        for (String id : receiver.states().keySet()) {
            metrics.gauge("kindred.subscription.last.event.number", "Last event number written, per subscription",
                    "subscription", id, () -> receiver.states().get(id).lastEventNumber());
            metrics.gauge("kindred.subscription.open.gaps", "Event ranges missed and not yet recovered, per subscription",
                    "subscription", id, () -> receiver.states().get(id).openGaps().size());
            metrics.gauge("kindred.subscription.last.heartbeat.seconds", "Epoch seconds of the last heartbeat (0: none)",
                    "subscription", id, () -> {
                        var heartbeat = receiver.states().get(id).lastHeartbeat();
                        return heartbeat == null ? 0 : heartbeat.getEpochSecond();
                    });
        }
    }

    void states(Context ctx) {
        ctx.contentType("application/json").result(receiver.statesJson());
    }

    @Override
    public void close() {
        receiver.close();
    }
}
