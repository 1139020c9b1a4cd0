package dev.kindred.clinical.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every judged treatment course of one population with the patient's vector when it started: what a metric is
 * learned from ({@link MetricLearner}). Written by {@code kindred evaluate --response-cases-out} on development
 * populations only.
 *
 * @param population where the cases come from (for the provenance of what is learned from them)
 * @param design the vector design the vectors were made with (its weights, as the evaluation names them): a
 *     metric learned from them applies to vectors of that design only
 * @param dimensions the vector design's dimension names, the layout of every vector
 */
public record ResponseCases(String population, String design, List<String> dimensions, List<Course> courses) {

    /** One judged course: whose, which treatment (system|code), whether it improved, the vector at its start. */
    public record Course(String patient, String treatment, boolean improved, float[] vector) {
    }

    public ResponseCases {
        dimensions = List.copyOf(dimensions);
        courses = List.copyOf(courses);
        for (Course c : courses) {
            if (c.vector().length != dimensions.size()) {
                throw new IllegalArgumentException("a course of " + c.treatment() + " has " + c.vector().length
                        + " dimensions, the layout " + dimensions.size());
            }
        }
    }

    public void write(Path file) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("kind", "kindred-response-cases");
        root.put("population", population);
        root.put("design", design);
        ArrayNode dims = root.putArray("dimensions");
        dimensions.forEach(dims::add);
        ArrayNode list = root.putArray("courses");
        for (Course c : courses) {
            ObjectNode n = list.addObject();
            n.put("patient", c.patient());
            n.put("treatment", c.treatment());
            n.put("improved", c.improved());
            ArrayNode v = n.putArray("vector");
            for (float x : c.vector()) {
                v.add(x);
            }
        }
        try {
            json.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the response cases " + file, e);
        }
    }

    public static ResponseCases load(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (!"kindred-response-cases".equals(root.path("kind").asText())) {
                throw new IllegalArgumentException(file + " is not a file of response cases (kindred evaluate"
                        + " --response-cases-out writes them)");
            }
            if (!root.hasNonNull("design")) {
                throw new IllegalArgumentException(file + " does not say which vector design its vectors are of"
                        + " (written by an older kindred evaluate): write it again with --response-cases-out");
            }
            List<String> dims = new ArrayList<>();
            root.path("dimensions").forEach(d -> dims.add(d.asText()));
            List<Course> courses = new ArrayList<>();
            for (JsonNode n : root.path("courses")) {
                JsonNode v = n.path("vector");
                float[] vector = new float[v.size()];
                for (int i = 0; i < vector.length; i++) {
                    vector[i] = (float) v.get(i).asDouble();
                }
                courses.add(new Course(n.path("patient").asText(), n.path("treatment").asText(),
                        n.path("improved").asBoolean(), vector));
            }
            return new ResponseCases(root.path("population").asText(), root.path("design").asText(), dims, courses);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the response cases " + file, e);
        }
    }
}
