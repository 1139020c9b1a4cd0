package dev.kindred.api.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One JSON mapper for the server, and the CDS Hooks rule that no field is null or empty. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode read(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A copy without null values, empty strings, empty lists and empty objects, at any depth (an object or list
     * that becomes empty goes too): CDS Hooks 2.0 forbids them unless stated.
     */
    public static Object prune(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                Object v = prune(e.getValue());
                if (!isEmpty(v)) {
                    out.put(String.valueOf(e.getKey()), v);
                }
            }
            return out;
        }
        if (value instanceof Collection<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                Object v = prune(item);
                if (!isEmpty(v)) {
                    out.add(v);
                }
            }
            return out;
        }
        return value;
    }

    private static boolean isEmpty(Object v) {
        return v == null || (v instanceof String s && s.isEmpty()) || (v instanceof Map<?, ?> m && m.isEmpty())
                || (v instanceof Collection<?> c && c.isEmpty());
    }

    /** A CDS Hooks response {@code {"cards": [...]}}: the cards pruned, the list kept even when empty. */
    public static Map<String, Object> cdsResponse(List<Map<String, Object>> cards) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cards", prune(cards));
        return out;
    }
}
