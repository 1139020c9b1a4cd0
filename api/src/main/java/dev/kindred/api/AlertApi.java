package dev.kindred.api;

import static dev.kindred.api.Responses.json;

import dev.kindred.api.alerts.AlertJson;
import dev.kindred.api.alerts.AlertView;
import dev.kindred.api.auth.ApiAuth;
import dev.kindred.api.json.Json;
import dev.kindred.avro.AlertIndicator;
import dev.kindred.avro.ClinicalAlert;
import dev.kindred.avro.TreatmentOutcome;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert endpoints over this instance's alert view: {@code /api/alerts}, {@code /api/alerts/{id}},
 * {@code /api/patients/{key}/alerts} and the {@code /api/alerts/stream} Server-Sent Events, whose live streams it
 * ends when the server stops.
 */
final class AlertApi {
    // The server's logger, so log settings made for ApiServer keep covering the alert stream.
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final AlertView alerts;
    private final ApiAuth auth;
    private final Function<String, List<TreatmentOutcome>> outcomesOf;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger streams = new AtomicInteger();

    /** @param outcomesOf a similar patient's treatment outcomes now, by key */
    AlertApi(AlertView alerts, ApiAuth auth, Function<String, List<TreatmentOutcome>> outcomesOf) {
        this.alerts = alerts;
        this.auth = auth;
        this.outcomesOf = outcomesOf;
    }

    void patientAlerts(Context ctx) {
        String key = ctx.pathParam("key");
        boolean identified = auth.identified(ctx.attribute("role"));
        List<Map<String, Object>> out = new ArrayList<>();
        for (AlertView.Entry e : alerts.ofPatient(key)) {
            out.add(AlertJson.full(e.alert(), identified, alerts.feedback(e.alert().getAlertId()), outcomesOf));
        }
        json(ctx, 200, Map.of("patientKey", key, "alerts", out));
    }

    void alert(Context ctx) {
        Optional<AlertView.Entry> e = alerts.byId(ctx.pathParam("id"));
        if (e.isEmpty()) {
            json(ctx, 404, Map.of("error", "no such alert among those this instance holds"));
            return;
        }
        ClinicalAlert a = e.get().alert();
        json(ctx, 200, AlertJson.full(a, auth.identified(ctx.attribute("role")), alerts.feedback(a.getAlertId()),
                outcomesOf));
    }

    void recentAlerts(Context ctx) {
        AlertView.Filter filter = filter(ctx);
        int limit = Math.max(1, Math.min(1000, ctx.queryParam("limit") == null ? 100
                : Integer.parseInt(ctx.queryParam("limit"))));
        String position = alerts.position();
        List<Map<String, Object>> out = new ArrayList<>();
        for (AlertView.Entry e : alerts.recent(filter, limit)) {
            out.add(AlertJson.summary(e, alerts.feedback(e.alert().getAlertId())));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("alerts", out);
        body.put("position", position);
        body.put("held", alerts.held());
        body.put("bySeverity", alerts.countsBySeverity());
        json(ctx, 200, body);
    }

    /**
     * Server-Sent Events: one {@code alert} event per new alert (the summary JSON), its id the view's position
     * after it. With {@code Last-Event-ID} (header, or {@code lastEventId} query parameter) the held alerts after
     * that position come first; a {@code gap} event says some were no longer held.
     */
    void stream(SseClient client) {
        Context ctx = client.ctx();
        AlertView.Filter filter = filter(ctx);
        String last = ctx.header("Last-Event-ID");
        if (last == null || last.isBlank()) {
            last = ctx.queryParam("lastEventId");
        }
        boolean replay = last != null && !last.isBlank();
        BlockingQueue<AlertView.Entry> queue = new ArrayBlockingQueue<>(10_000);
        AtomicBoolean overflow = new AtomicBoolean();
        AtomicBoolean gap = new AtomicBoolean();
        streams.incrementAndGet();
        try (AlertView.Subscription sub = alerts.subscribe(AlertView.parsePosition(last), replay, e -> {
            if (filter.accepts(e.alert()) && !queue.offer(e)) {
                overflow.set(true);
            }
        }, gap::set)) {
            client.sendComment("kindred alert stream");
            if (gap.get()) {
                client.sendEvent("gap", "{\"reason\":\"some alerts after Last-Event-ID are no longer held\"}",
                        alerts.position());
            }
            long lastSend = System.nanoTime();
            while (running.get() && !client.terminated()) {
                if (overflow.get()) {
                    client.sendEvent("gap", "{\"reason\":\"the client read too slowly\"}", alerts.position());
                    break;
                }
                AlertView.Entry e = queue.poll(1, TimeUnit.SECONDS);
                if (e != null) {
                    client.sendEvent("alert", Json.write(AlertJson.summary(e, alerts.feedback(e.alert().getAlertId()))),
                            e.position());
                    lastSend = System.nanoTime();
                } else if (System.nanoTime() - lastSend > HEARTBEAT.toNanos()) {
                    client.sendComment("heartbeat");
                    lastSend = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("alert stream client left: {}", e.getClass().getSimpleName());
        } finally {
            streams.decrementAndGet();
        }
    }

    /** Tells live streams to end and waits up to {@code patience} for them to return. */
    void endStreams(Duration patience) {
        running.set(false);
        long deadline = System.nanoTime() + patience.toNanos();
        while (streams.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    static AlertView.Filter filter(Context ctx) {
        Set<AlertIndicator> severities = EnumSet.noneOf(AlertIndicator.class);
        for (String s : ctx.queryParams("severity")) {
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    try {
                        severities.add(AlertIndicator.valueOf(part.strip().toLowerCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("severity must be info, warning or critical");
                    }
                }
            }
        }
        return new AlertView.Filter(severities, blankToNull(ctx.queryParam("patient")), instant(ctx.queryParam("from")),
                instant(ctx.queryParam("to")));
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** An ISO-8601 instant or date (its start, UTC); also how dashboard feedback gives its outcome time. */
    static Instant instant(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(s.strip());
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(s.strip()).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("times are ISO-8601 instants or dates: " + s);
            }
        }
    }
}
