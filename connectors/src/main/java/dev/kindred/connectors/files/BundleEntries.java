package dev.kindred.connectors.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** Bundle entries made to stand alone, so each can travel as its own record. */
final class BundleEntries {

    private BundleEntries() {
    }

    /**
     * A copy of a Bundle entry's resource that still means the same once taken out of its Bundle, as a FHIR
     * server does when it processes a transaction: a reference to another entry's {@code urn:} fullUrl becomes
     * that entry's {@code Type/id}, and a {@code medicationReference} to a Medication of the Bundle becomes a
     * contained copy of it ({@code #id}), because a replayed MedicationRequest has no server to look the
     * Medication up on. References the Bundle cannot resolve are left as they are.
     */
    static ObjectNode standAlone(ObjectNode resource, Map<String, JsonNode> byUrn) {
        ObjectNode copy = resource.deepCopy();
        Map<String, ObjectNode> toContain = new LinkedHashMap<>();
        rewriteReferences(copy, null, copy, byUrn, toContain);
        if (!toContain.isEmpty()) {
            ArrayNode contained = copy.withArrayProperty("contained");
            for (JsonNode c : contained) {
                toContain.remove(ResourceFields.text(c.get("id")));
            }
            toContain.values().forEach(contained::add);
        }
        return copy;
    }

    private static void rewriteReferences(JsonNode node, String field, ObjectNode root, Map<String, JsonNode> byUrn,
            Map<String, ObjectNode> toContain) {
        if (node.isArray()) {
            for (JsonNode item : node) {
                rewriteReferences(item, field, root, byUrn, toContain);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        ObjectNode object = (ObjectNode) node;
        JsonNode ref = object.get("reference");
        JsonNode target = ref != null && ref.isTextual() ? byUrn.get(ref.asText()) : null;
        if (target != null) {
            String type = ResourceFields.text(target.get("resourceType"));
            String id = ResourceFields.text(target.get("id"));
            if ("medicationReference".equals(field) && "Medication".equals(type)) {
                String localId = id != null ? id : "med" + Integer.toHexString(ref.asText().hashCode());
                ObjectNode medication = target.deepCopy();
                medication.put("id", localId);
                toContain.putIfAbsent(localId, medication);
                object.put("reference", "#" + localId);
            } else if (type != null && id != null) {
                object.put("reference", type + "/" + id);
            }
        }
        var fields = object.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            if (!"contained".equals(e.getKey()) || object != root) {
                rewriteReferences(e.getValue(), e.getKey(), root, byUrn, toContain);
            }
        }
    }
}
