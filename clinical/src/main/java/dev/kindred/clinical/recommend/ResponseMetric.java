package dev.kindred.clinical.recommend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Per-treatment feature weights for choosing whose outcome of a treatment estimates a patient's: a diagonal
 * metric, learned from outcomes on development populations (the evaluation's {@code MetricLearner}), so that
 * the neighbours for one decision are alike in what that treatment's response turned on there. It holds
 * numbers per dimension name and nothing else: no rule of who responds.
 *
 * <p>{@link #project} keeps a treatment's dimensions with a weight, each multiplied by it; Euclidean distance
 * between projections is the learned distance. A treatment without weights is not {@link #covers covered}:
 * its neighbours come from the vector design as it is.
 */
public final class ResponseMetric {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Map<String, Double>> weights;
    private final JsonNode provenance;

    /**
     * @param weights per treatment (system|code), per dimension name, its weight (0 or absent leaves it out)
     * @param provenance how the weights were learned (written with them; may be null)
     */
    public ResponseMetric(Map<String, Map<String, Double>> weights, JsonNode provenance) {
        Map<String, Map<String, Double>> copy = new TreeMap<>();
        weights.forEach((treatment, dims) -> {
            Map<String, Double> kept = new LinkedHashMap<>();
            dims.forEach((dim, w) -> {
                if (!Double.isFinite(w) || w < 0) {
                    throw new IllegalArgumentException("weight of " + dim + " for " + treatment
                            + " must be a finite number at least 0, not " + w);
                }
                if (w > 0) {
                    kept.put(dim, w);
                }
            });
            if (!kept.isEmpty()) {
                copy.put(treatment, Collections.unmodifiableMap(kept));
            }
        });
        this.weights = Collections.unmodifiableMap(copy);
        this.provenance = provenance;
    }

    /** The treatments (system|code) with learned weights. */
    public Set<String> treatments() {
        return weights.keySet();
    }

    public boolean covers(String treatment) {
        return weights.containsKey(treatment);
    }

    /** A treatment's weights by dimension name (empty when not covered). */
    public Map<String, Double> weights(String treatment) {
        return weights.getOrDefault(treatment, Map.of());
    }

    public JsonNode provenance() {
        return provenance;
    }

    /** The vector design the weights were learned on (as the learner's cases named it), or null if unrecorded. */
    public String design() {
        return provenance == null || !provenance.hasNonNull("vectors") ? null : provenance.get("vectors").asText();
    }

    /**
     * A projector of vectors laid out as {@code dimensions} for {@code treatment}: the weighted dimensions only,
     * in the order of {@code dimensions}. A weighted dimension the layout lacks is an error, so a metric learned
     * on another vector design is refused rather than silently half applied.
     */
    public Projector projector(String treatment, List<String> dimensions) {
        Map<String, Double> w = weights(treatment);
        List<Integer> index = new ArrayList<>();
        List<Double> scale = new ArrayList<>();
        for (int i = 0; i < dimensions.size(); i++) {
            Double s = w.get(dimensions.get(i));
            if (s != null) {
                index.add(i);
                scale.add(s);
            }
        }
        if (index.size() != w.size()) {
            List<String> missing = new ArrayList<>(w.keySet());
            missing.removeAll(dimensions);
            throw new IllegalArgumentException("the response metric of " + treatment + " weighs dimensions the"
                    + " vector design does not have: " + missing);
        }
        return new Projector(index.stream().mapToInt(Integer::intValue).toArray(),
                scale.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Keeps and scales the weighted dimensions of a vector. */
    public record Projector(int[] index, double[] scale) {
        public float[] project(float[] vector) {
            float[] out = new float[index.length];
            for (int i = 0; i < index.length; i++) {
                out[i] = (float) (vector[index[i]] * scale[i]);
            }
            return out;
        }
    }

    /** Reads a metric written by {@link #write}. */
    public static ResponseMetric load(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            JsonNode treatments = root.path("treatments");
            if (!treatments.isObject()) {
                throw new IllegalArgumentException(file + " is not a response metric: no \"treatments\" object");
            }
            Map<String, Map<String, Double>> weights = new TreeMap<>();
            treatments.fields().forEachRemaining(t -> {
                Map<String, Double> dims = new LinkedHashMap<>();
                t.getValue().path("weights").fields().forEachRemaining(d -> dims.put(d.getKey(), d.getValue().asDouble()));
                weights.put(t.getKey(), dims);
            });
            return new ResponseMetric(weights, root.get("provenance"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the response metric " + file, e);
        }
    }

    /** Writes the weights, heaviest first per treatment, with the provenance and any per-treatment notes. */
    public void write(Path file, Map<String, ? extends JsonNode> notes) {
        ObjectNode root = JSON.createObjectNode();
        root.put("kind", "kindred-response-metric");
        if (provenance != null) {
            root.set("provenance", provenance);
        }
        ObjectNode treatments = root.putObject("treatments");
        weights.forEach((treatment, dims) -> {
            ObjectNode t = treatments.putObject(treatment);
            if (notes.containsKey(treatment)) {
                t.set("learning", notes.get(treatment));
            }
            ObjectNode w = t.putObject("weights");
            dims.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> w.put(e.getKey(), e.getValue()));
        });
        try {
            JSON.writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the response metric " + file, e);
        }
    }
}
