package dev.kindred.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded mutations of real FHIR resources, the kinds of damage a sender or a network can do to a record. The
 * same seed and inputs give the same mutations, so a failure can be replayed.
 */
final class FhirMutator {

    enum Kind {
        TRUNCATION, BYTE_FLIP, WRONG_TYPE, HUGE_NUMBER, TINY_NUMBER, DEEP_NESTING, INVALID_UTF8, DUPLICATE_KEY,
        WRONG_RESOURCE_TYPE, OVERSIZE
    }

    record Mutation(Kind kind, byte[] bytes) {
    }

    /** Just under the broker's 1 MiB limit, so the record is accepted by Kafka and must be handled by the app. */
    static final int OVERSIZE_BYTES = 1024 * 1024 - 32 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Random random;

    FhirMutator(long seed) {
        this.random = new Random(seed);
    }

    Mutation mutate(byte[] resource) {
        Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
        return new Mutation(kind, apply(kind, resource));
    }

    byte[] apply(Kind kind, byte[] resource) {
        String text = new String(resource, StandardCharsets.UTF_8);
        return switch (kind) {
            case TRUNCATION -> java.util.Arrays.copyOf(resource, 1 + random.nextInt(Math.max(1, lastBrace(resource) - 1)));
            case BYTE_FLIP -> flipBytes(resource);
            case WRONG_TYPE -> wrongType(resource);
            case HUGE_NUMBER -> replaceNumber(resource, pick("1e400", "-1e400", "123456789012345678901234567890123456789",
                    "1.7976931348623157e309", "9".repeat(400)));
            case TINY_NUMBER -> replaceNumber(resource, pick("1e-400", "4.9e-325", "-0.0000000000000000000000000001",
                    "0." + "0".repeat(400) + "1"));
            case DEEP_NESTING -> {
                int depth = 2_000 + random.nextInt(20_000);
                yield insertField(text, "\"extension\":" + "[".repeat(depth) + "]".repeat(depth));
            }
            case INVALID_UTF8 -> invalidUtf8(resource);
            case DUPLICATE_KEY -> duplicateKey(text);
            case WRONG_RESOURCE_TYPE -> text.replaceFirst("\"resourceType\"\\s*:\\s*\"[A-Za-z]*\"",
                    "\"resourceType\":\"" + pick("Observatoin", "", "observation", "Patient ", "DomainResource",
                            "Bundlex", "42") + "\"").getBytes(StandardCharsets.UTF_8);
            case OVERSIZE -> insertField(text, "\"text\":{\"status\":\"generated\",\"div\":\""
                    + "x".repeat(OVERSIZE_BYTES - resource.length) + "\"}");
        };
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private static int lastBrace(byte[] b) {
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] == '}') {
                return i;
            }
        }
        return b.length;
    }

    private byte[] flipBytes(byte[] resource) {
        byte[] out = resource.clone();
        int flips = 1 + random.nextInt(3);
        for (int i = 0; i < flips; i++) {
            int at = random.nextInt(out.length);
            out[at] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
    }

    private byte[] invalidUtf8(byte[] resource) {
        byte[][] bad = {{(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x28, (byte) 0x8C, (byte) 0xBC},
            {(byte) 0xC0, (byte) 0xAF}};
        byte[] insert = bad[random.nextInt(bad.length)];
        // Inside a string value: after the opening quote of the resourceType's value, where a parser must decode it.
        String text = new String(resource, StandardCharsets.UTF_8);
        int at = text.indexOf("\"resourceType\"");
        int quote = at < 0 ? 1 : text.indexOf('"', text.indexOf(':', at)) + 1;
        int cut = text.substring(0, quote).getBytes(StandardCharsets.UTF_8).length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(resource, 0, cut);
        out.writeBytes(insert);
        out.write(resource, cut, resource.length - cut);
        return out.toByteArray();
    }

    private byte[] duplicateKey(String text) {
        // The same key again with another value: resourceType or subject, which decide what the record is about.
        String extra = random.nextBoolean() ? "\"resourceType\":\"Patient\"" : "\"subject\":{\"reference\":\"Patient/duplicate-key\"}";
        int end = text.lastIndexOf('}');
        return (text.substring(0, end) + "," + extra + text.substring(end)).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] insertField(String text, String field) {
        int start = text.indexOf('{');
        return (text.substring(0, start + 1) + field + "," + text.substring(start + 1)).getBytes(StandardCharsets.UTF_8);
    }

    /** One field somewhere in the tree gets a value of another JSON type. */
    private byte[] wrongType(byte[] resource) {
        JsonNode root = tree(resource);
        List<Map.Entry<ObjectNode, String>> fields = new ArrayList<>();
        collectFields(root, fields);
        fields.removeIf(f -> f.getValue().equals("resourceType"));
        if (fields.isEmpty()) {
            return flipBytes(resource);
        }
        Map.Entry<ObjectNode, String> f = fields.get(random.nextInt(fields.size()));
        JsonNode old = f.getKey().get(f.getValue());
        JsonNodeFactory n = JsonNodeFactory.instance;
        JsonNode replacement;
        if (old.isTextual()) {
            replacement = random.nextBoolean() ? n.numberNode(42) : n.objectNode().put("unexpected", true);
        } else if (old.isNumber()) {
            replacement = random.nextBoolean() ? n.textNode("seventy") : n.arrayNode().add(1).add(2);
        } else if (old.isObject()) {
            replacement = random.nextBoolean() ? n.textNode("not an object") : n.arrayNode().add(old);
        } else if (old.isArray()) {
            replacement = random.nextBoolean() ? n.booleanNode(true) : n.textNode("not an array");
        } else {
            replacement = n.arrayNode();
        }
        f.getKey().set(f.getValue(), replacement);
        return bytes(root);
    }

    private byte[] replaceNumber(byte[] resource, String literal) {
        JsonNode root = tree(resource);
        List<Map.Entry<ObjectNode, String>> fields = new ArrayList<>();
        collectFields(root, fields);
        fields.removeIf(f -> !f.getKey().get(f.getValue()).isNumber());
        String text;
        if (fields.isEmpty()) {
            // No number in this resource: give it a measured value anyway, which a mapper must check.
            text = new String(insertField(new String(resource, StandardCharsets.UTF_8),
                    "\"valueQuantity\":{\"value\":" + literal + ",\"unit\":\"mg/dL\"}"), StandardCharsets.UTF_8);
            return text.getBytes(StandardCharsets.UTF_8);
        }
        Map.Entry<ObjectNode, String> f = fields.get(random.nextInt(fields.size()));
        String marker = "\"__number_" + random.nextInt(1_000_000) + "__\"";
        f.getKey().put(f.getValue(), marker.substring(1, marker.length() - 1));
        text = new String(bytes(root), StandardCharsets.UTF_8).replace(marker, literal);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void collectFields(JsonNode node, List<Map.Entry<ObjectNode, String>> out) {
        if (node instanceof ObjectNode object) {
            for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                out.add(Map.entry(object, name));
                collectFields(object.get(name), out);
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(child -> collectFields(child, out));
        }
    }

    private static JsonNode tree(byte[] resource) {
        try {
            return JSON.readTree(resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
