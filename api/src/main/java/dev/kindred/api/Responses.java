package dev.kindred.api;

import dev.kindred.api.json.Json;
import io.javalin.http.Context;

/** The one way the server's handlers answer with JSON, so every route sets status and content type alike. */
final class Responses {
    private Responses() {
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }
}
