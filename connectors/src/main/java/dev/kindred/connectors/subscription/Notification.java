package dev.kindred.connectors.subscription;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed R4 Backport notification: a {@code history} Bundle whose first entry is the status
 * {@code Parameters}. Events carry their number, focus reference (absent for empty payloads) and, for
 * full-resource payloads, the resource itself.
 */
record Notification(String subscription, String type, long eventsSinceStart, List<Event> events) {

    record Event(long number, String focus, JsonNode resource, List<JsonNode> context) {
    }

    static final List<String> TYPES =
        List.of("handshake", "heartbeat", "event-notification", "query-status", "query-event");

    static Notification parse(ObjectMapper json, byte[] body) {
        JsonNode bundle;
        try {
            bundle = json.readTree(body);
        } catch (Exception e) {
            throw new NotificationException(400, "the body is not JSON");
        }
        if (bundle == null || !"Bundle".equals(bundle.path("resourceType").asText())) {
            throw new NotificationException(400, "a notification must be a Bundle");
        }
        if (!"history".equals(bundle.path("type").asText())) {
            throw new NotificationException(400, "a notification Bundle must be of type history, not '"
                + bundle.path("type").asText() + "'");
        }
        JsonNode entries = bundle.path("entry");
        JsonNode status = entries.path(0).path("resource");
        if (!"Parameters".equals(status.path("resourceType").asText())) {
            throw new NotificationException(400, "the first entry of a notification must be the status Parameters");
        }
        String subscription = null;
        String type = null;
        long since = -1;
        List<long[]> numbered = new ArrayList<>();
        List<String> focuses = new ArrayList<>();
        List<List<String>> contexts = new ArrayList<>();
        for (JsonNode parameter : status.path("parameter")) {
            switch (parameter.path("name").asText()) {
                case "subscription" -> subscription = parameter.path("valueReference").path("reference").asText(null);
                case "type" -> type = parameter.path("valueCode").asText(null);
                case "events-since-subscription-start" ->
                    since = number(parameter.path("valueString"), "events-since-subscription-start");
                case "notification-event" -> {
                    long number = -1;
                    String focus = null;
                    List<String> context = new ArrayList<>();
                    for (JsonNode part : parameter.path("part")) {
                        switch (part.path("name").asText()) {
                            case "event-number" -> number = number(part.path("valueString"), "event-number");
                            case "focus" -> focus = part.path("valueReference").path("reference").asText(null);
                            case "additional-context" ->
                                context.add(part.path("valueReference").path("reference").asText(""));
                            default -> { }
                        }
                    }
                    if (number < 0) {
                        throw new NotificationException(400, "a notification-event needs an event-number");
                    }
                    numbered.add(new long[] {number});
                    focuses.add(focus);
                    contexts.add(context);
                }
                default -> { }
            }
        }
        if (subscription == null || subscription.isBlank()) {
            throw new NotificationException(400, "the status has no subscription reference");
        }
        if (type == null || !TYPES.contains(type)) {
            throw new NotificationException(400, "the status type must be one of " + TYPES + ", not '" + type + "'");
        }
        Map<String, JsonNode> resourcesByUrl = new HashMap<>();
        for (int i = 1; i < entries.size(); i++) {
            JsonNode entry = entries.get(i);
            JsonNode resource = entry.get("resource");
            if (resource != null && entry.hasNonNull("fullUrl")) {
                resourcesByUrl.put(entry.get("fullUrl").asText(), resource);
            }
        }
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < numbered.size(); i++) {
            String focus = focuses.get(i);
            // Context resources travel only in full-resource Bundles; id-only context is not fetched.
            List<JsonNode> context = contexts.get(i).stream().map(resourcesByUrl::get)
                .filter(java.util.Objects::nonNull).toList();
            events.add(new Event(numbered.get(i)[0], focus, focus == null ? null : resourcesByUrl.get(focus), context));
        }
        return new Notification(subscription, type, since, events);
    }

    private static long number(JsonNode value, String name) {
        try {
            return Long.parseLong(value.asText().trim());
        } catch (NumberFormatException e) {
            throw new NotificationException(400, name + " must be a number");
        }
    }
}
