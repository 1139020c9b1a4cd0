package dev.kindred.benchmarks.endtoend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kindred.connectors.files.FhirResourceRecord;
import dev.kindred.connectors.files.ResourceFields;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Makes copies of a population's records that look like other patients: copy {@code c} of a record gets new
 * resource and patient ids, references rewritten to match, and every date moved back by the copy's shift (a
 * whole number of days, so instants move exactly and times of day stay), with the same shape otherwise.
 *
 * <p>Rewritten consistently within a copy: the resource's {@code id}; every {@code reference} naming a known id
 * in any form a server writes ({@code Type/id}, {@code Type/id/_history/n}, absolute URLs, {@code urn:uuid:id});
 * {@code identifier.value}s (a known id is mapped, anything else gets a copy suffix, so logical references by
 * identifier stay distinct too). Copy 0 is the original, unchanged. Conditional references
 * ({@code Practitioner?identifier=...}) and contained references ({@code #x}) are left alone.
 */
final class Amplifier {
    private static final Pattern UUID_SHAPE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** A FHIR date or dateTime with at least a full date: the part that moves. */
    private static final Pattern DATED = Pattern.compile("\\d{4}-\\d{2}-\\d{2}(T.*)?");
    private static final String URN_UUID = "urn:uuid:";
    private static final int MAX_ID_LENGTH = 64;

    /** Keeps decimals exactly as written, as the file reader does, so a copy differs from its original only where rewritten. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private final Set<String> knownIds;
    private final long seed;

    /**
     * @param knownIds every resource id and patient key of the population: the values a reference may name
     * @param seed     chooses each copy's time shift
     */
    Amplifier(Set<String> knownIds, long seed) {
        this.knownIds = knownIds;
        this.seed = seed;
    }

    /** Days copy {@code copy} is moved back: 0 for the original, else 1 to 365, fixed by the seed. */
    int shiftDays(int copy) {
        return copy == 0 ? 0 : new SplittableRandom(seed * 1_000_003L + copy).nextInt(1, 366);
    }

    /** The id a known id has in copy {@code copy}: UUIDs stay UUIDs (name-based), other ids get a prefix. */
    static String copyId(String id, int copy) {
        if (copy == 0) {
            return id;
        }
        if (UUID_SHAPE.matcher(id).matches()) {
            return UUID.nameUUIDFromBytes(("kindred-e2e:" + copy + ":" + id.toLowerCase()).getBytes(StandardCharsets.UTF_8))
                    .toString();
        }
        String prefixed = "c" + copy + "-" + id;
        return prefixed.length() <= MAX_ID_LENGTH ? prefixed : prefixed.substring(0, MAX_ID_LENGTH);
    }

    /** Copy {@code copy} of {@code record}; the record itself for copy 0 or for input that is not FHIR JSON. */
    FhirResourceRecord copy(FhirResourceRecord record, int copy) {
        if (copy == 0 || record.unparseable()) {
            return record;
        }
        ObjectNode resource;
        try {
            resource = (ObjectNode) JSON.readTree(record.json());
        } catch (IOException | ClassCastException e) {
            return record;
        }
        rewrite(resource, null, copy, shiftDays(copy));
        String type = record.resourceType();
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(resource);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write copy " + copy + " of " + record.origin(), e);
        }
        String id = resource.path("id").isTextual() ? resource.get("id").asText() : null;
        return new FhirResourceRecord(type, id, json, ResourceFields.eventTime(type, resource), ResourceFields.patientRef(type, resource),
                record.origin() + "~copy" + copy);
    }

    private void rewrite(JsonNode node, String field, int copy, int days) {
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode item = array.get(i);
                if (item.isTextual()) {
                    array.set(i, rewriteText(item.asText(), field, copy, days));
                } else {
                    rewrite(item, field, copy, days);
                }
            }
            return;
        }
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        boolean identifier = "identifier".equals(field);
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            String name = e.getKey();
            JsonNode value = e.getValue();
            if (value.isTextual()) {
                if (identifier && "value".equals(name)) {
                    String v = value.asText();
                    e.setValue(new TextNode(knownIds.contains(v) ? copyId(v, copy) : v + "-c" + copy));
                } else if (!"div".equals(name)) {
                    e.setValue(rewriteText(value.asText(), name, copy, days));
                }
            } else {
                rewrite(value, name, copy, days);
            }
        }
    }

    private TextNode rewriteText(String text, String field, int copy, int days) {
        if ("id".equals(field)) {
            return new TextNode(knownIds.contains(text) ? copyId(text, copy) : text);
        }
        if ("reference".equals(field) || "fullUrl".equals(field)) {
            return new TextNode(rewriteReference(text, copy));
        }
        return new TextNode(days == 0 ? text : shiftDate(text, days));
    }

    /** {@code urn:uuid:id}, {@code [base/]Type/id[/_history/v]}: the known id in it, mapped. */
    String rewriteReference(String ref, int copy) {
        if (ref.startsWith("#") || ref.indexOf('?') >= 0) {
            return ref;
        }
        if (ref.regionMatches(true, 0, URN_UUID, 0, URN_UUID.length())) {
            String id = ref.substring(URN_UUID.length());
            return known(id) ? URN_UUID + copyId(id, copy) : ref;
        }
        String[] parts = ref.split("/", -1);
        boolean changed = false;
        for (int i = 0; i < parts.length; i++) {
            boolean versionId = i > 0 && "_history".equals(parts[i - 1]);
            if (!versionId && known(parts[i])) {
                parts[i] = copyId(parts[i], copy);
                changed = true;
            }
        }
        return changed ? String.join("/", parts) : ref;
    }

    private boolean known(String id) {
        return !id.isEmpty() && (knownIds.contains(id) || knownIds.contains(id.toLowerCase()));
    }

    /** A FHIR date or dateTime moved back {@code days} days (its date part; time and offset stay); others unchanged. */
    static String shiftDate(String text, int days) {
        if (text.length() < 10 || !DATED.matcher(text).matches()) {
            return text;
        }
        try {
            return LocalDate.parse(text.substring(0, 10)).minusDays(days) + text.substring(10);
        } catch (DateTimeParseException e) {
            return text;
        }
    }
}
