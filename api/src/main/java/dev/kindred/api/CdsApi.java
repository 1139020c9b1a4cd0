package dev.kindred.api;

import static dev.kindred.api.Responses.json;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindred.api.cds.CdsHooksService;
import dev.kindred.api.json.Json;
import dev.kindred.api.metrics.ApiMetrics;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.Map;

/**
 * The CDS Hooks 2.0 endpoints over HTTP: discovery, service calls and card feedback, each counted in the metrics.
 * The JWT check is ApiServer's before-hook; the services themselves are {@link CdsHooksService}.
 */
final class CdsApi {
    private final CdsHooksService service;
    private final ApiMetrics metrics;

    CdsApi(CdsHooksService service, ApiMetrics metrics) {
        this.service = service;
        this.metrics = metrics;
    }

    void discovery(Context ctx) {
        json(ctx, 200, service.discovery());
    }

    void call(Context ctx) {
        String id = ctx.pathParam("id");
        JsonNode request;
        try {
            request = Json.read(ctx.body());
        } catch (IllegalArgumentException e) {
            metrics.cdsCall(id, 400);
            json(ctx, 400, Map.of("error", "the body is not JSON"));
            return;
        }
        CdsHooksService.Answer answer = service.call(id, request, Instant.now());
        metrics.cdsCall(service.known(id) ? id : "unknown", answer.status());
        json(ctx, answer.status(), answer.body());
    }

    void feedback(Context ctx) {
        String id = ctx.pathParam("id");
        JsonNode body;
        try {
            body = Json.read(ctx.body());
        } catch (IllegalArgumentException e) {
            json(ctx, 400, Map.of("error", "the body is not JSON"));
            return;
        }
        CdsHooksService.Answer answer = service.feedback(id, body, ctx.attribute("sender"), Instant.now());
        if (answer.status() == 200) {
            for (JsonNode f : body.path("feedback")) {
                metrics.feedback(id, f.path("outcome").asText());
            }
            ctx.status(200);
            return;
        }
        json(ctx, answer.status(), answer.body());
    }
}
