package dev.kindred.api;

import static dev.kindred.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.cds.Cards;
import dev.kindred.api.feedback.FeedbackRecorder;
import dev.kindred.api.json.Json;
import dev.kindred.api.metrics.ApiMetrics;
import dev.kindred.avro.Feedback;
import dev.kindred.avro.FeedbackOutcome;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/feedback}: the dashboard's accept or override of an alert card, recorded to the feedback topic
 * like a CDS client's, so both count the same.
 */
final class FeedbackApi {
    private static final String OVERRIDE_REASON_SYSTEM = "https://kindred.dev/fhir/CodeSystem/override-reason";

    private final FeedbackRecorder feedback;
    private final AlertView alerts;
    private final ApiMetrics metrics;

    FeedbackApi(FeedbackRecorder feedback, AlertView alerts, ApiMetrics metrics) {
        this.feedback = feedback;
        this.alerts = alerts;
        this.metrics = metrics;
    }

    void record(Context ctx) {
        JsonNode body = Json.read(ctx.body());
        String card = body.path("card").asText("");
        String outcome = body.path("outcome").asText("");
        if (card.isBlank()) {
            throw new IllegalArgumentException("card is required");
        }
        FeedbackOutcome o;
        try {
            o = FeedbackOutcome.valueOf(outcome);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("outcome must be accepted or overridden");
        }
        List<String> accepted = new ArrayList<>();
        for (JsonNode s : body.path("acceptedSuggestions")) {
            accepted.add(s.asText());
        }
        String reasonCode = AlertApi.blankToNull(body.path("overrideReason").asText(null));
        String display = null;
        if (reasonCode != null) {
            for (Map<String, Object> c : Cards.OVERRIDE_REASONS) {
                if (reasonCode.equals(c.get("code"))) {
                    display = (String) c.get("display");
                }
            }
        }
        String comment = AlertApi.blankToNull(body.path("comment").asText(null));
        Instant at = body.hasNonNull("outcomeTimestamp") ? AlertApi.instant(body.get("outcomeTimestamp").asText())
                : Instant.now();
        String system = reasonCode == null ? null : OVERRIDE_REASON_SYSTEM;
        Feedback f = Feedback.newBuilder()
                .setFeedbackId(FeedbackRecorder.feedbackId("dashboard", card, o, accepted, system, reasonCode, comment, at))
                .setService("dashboard")
                .setCard(card)
                .setOutcome(o)
                .setAcceptedSuggestions(accepted)
                .setOverrideReasonSystem(system)
                .setOverrideReasonCode(reasonCode)
                .setOverrideReasonDisplay(display)
                .setUserComment(comment)
                .setOutcomeTimestamp(at)
                .setReceivedAt(Instant.now())
                .setSender("role:" + ctx.attribute("role"))
                .build();
        boolean recorded = feedback.record(f);
        if (recorded) {
            metrics.feedback("dashboard", o.name());
        }
        AlertView.CardFeedback counts = alerts.feedback(card);
        json(ctx, 200, Map.of("feedbackId", f.getFeedbackId(), "recorded", recorded,
                "feedback", Map.of("accepted", counts.accepted(), "overridden", counts.overridden())));
    }
}
