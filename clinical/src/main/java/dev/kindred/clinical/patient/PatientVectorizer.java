package dev.kindred.clinical.patient;

import dev.kindred.avro.Demographics;
import dev.kindred.avro.FeatureHistory;
import dev.kindred.avro.FeatureValue;
import dev.kindred.avro.ImagingRecord;
import dev.kindred.avro.PatientState;
import dev.kindred.fhir.catalog.Feature;
import dev.kindred.fhir.catalog.FeatureCatalog;
import dev.kindred.fhir.catalog.Finding;
import dev.kindred.fhir.catalog.ImagingSpace;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Lays a patient's state out as one vector per feature space. Built from observations, demographics and
 * imaging only: never from diagnoses (what the evaluation judges similarity against) nor treatments.
 *
 * <p>The {@code clinical} space (each catalog space other than imaging gets the same layout):
 * <ul>
 *   <li>{@code age}: years / 10 at the patient's latest event, times {@link VectorWeights#age}; {@code age:child}
 *       and {@code age:senior}: under 18 and 65 or over, times {@link VectorWeights#ageBand}; {@code sex}: +½ male,
 *       −½ female, 0 otherwise, times {@link VectorWeights#sex};</li>
 *   <li>per numeric feature {@code f} (catalog weight {@code w > 0}), each block present only when its weight
 *       in {@link VectorWeights} is not 0 ({@link VectorWeights#DEFAULT} keeps level, abnormal-share and count):
 *     <ul>
 *       <li>{@code f:level}: the mean z-score of the values of the last two years, clipped to ±{@value FeatureScores#CLIP},
 *           times {@code w · level}: steadier than the latest value alone;</li>
 *       <li>{@code f:count}: log(1 + number of values) / {@value #COUNT_SCALE}, times {@code count} (and
 *           {@code w} with {@link VectorWeights#catalogWeightsOnPresence}): how often a clinician orders the test;</li>
 *       <li>{@code f}: the latest value as a z-score against the catalog's population, clipped to ±{@value FeatureScores#CLIP},
 *           times {@code w · latest}; a missing value is 0, the population mean;</li>
 *       <li>{@code f:abnormal}: how far the latest value lies outside its reference range (the resource's own
 *           range wins over the catalog's), in population standard deviations, signed (+ above, − below), 0
 *           inside, clipped to ±{@value FeatureScores#CLIP}, times {@code w · abnormal};</li>
 *       <li>{@code f:abnormal-share}: the share of all the patient's values of {@code f} that were out of
 *           range, times {@code abnormalShare} (and {@code w} with {@link VectorWeights#catalogWeightsOnPresence}): a chronic abnormality, not a one-off;</li>
 *       <li>{@code f:measured}: 1 when the test was ever done, times {@code measured} (and {@code w}, likewise): which tests a
 *           clinician orders says much about a patient, and it separates "normal" from "never measured",
 *           which the latest-value dimension alone cannot;</li>
 *       <li>{@code f:trend}: the least-squares slope of the z-scores over the last two years (at least three
 *           values spanning 90 days), in standard deviations per year, clipped to ±2, times
 *           {@code w · trend};</li>
 *     </ul></li>
 *   <li>per coded finding: its latest score times its catalog weight times {@link VectorWeights#finding};</li>
 *   <li>{@code imaging:<modality>}: log(1 + studies of that modality), and {@code imaging:site<n>}: log(1 +
 *       studies of body sites hashed into {@value #SITE_BUCKETS} buckets), times {@link VectorWeights#imaging}.</li>
 * </ul>
 *
 * <p>The imaging space (the catalog's {@code imaging.space}, {@code imaging}): the same modality and
 * body-site counts, unweighted, for every patient with a study. An image embedding supplied on the latest
 * study that carried one goes, unchanged, into its own space {@code <imaging space>-embedding}.
 *
 * <p>A space in which the patient has nothing is left out. "Now" for age and trends is the patient's latest
 * event time, so the same state always gives the same vectors.
 */
public final class PatientVectorizer {
    static final int SITE_BUCKETS = 8;
    /** log(1 + count) of a test is divided by this: about 1 for a test done twenty times. */
    static final double COUNT_SCALE = 3.0;
    public static final String EMBEDDING_SUFFIX = "-embedding";

    private final FeatureCatalog catalog;
    private final VectorWeights weights;
    private final String imagingSpace;
    private final List<String> modalities;
    private final Map<String, List<String>> dimensions = new LinkedHashMap<>();

    public PatientVectorizer(FeatureCatalog catalog) {
        this(catalog, VectorWeights.DEFAULT);
    }

    public PatientVectorizer(FeatureCatalog catalog, VectorWeights weights) {
        this.catalog = catalog;
        this.weights = weights;
        ImagingSpace imaging = catalog.imaging();
        this.imagingSpace = imaging.space();
        this.modalities = imaging.modalities();
        boolean first = true;
        for (String space : catalog.spaces()) {
            if (space.equals(imagingSpace)) {
                continue;
            }
            List<String> dims = new ArrayList<>();
            if (first) {
                if (weights.age() != 0 || weights.ageBand() != 0) {
                    dims.addAll(List.of("age", "age:child", "age:senior"));
                }
                if (weights.sex() != 0) {
                    dims.add("sex");
                }
            }
            for (String id : catalog.dimensions(space)) {
                if (catalog.feature(id) != null) {
                    for (Map.Entry<String, Double> block : weights.featureBlocks()) {
                        dims.add(id + block.getKey());
                    }
                } else if (weights.finding() != 0) {
                    dims.add(id);
                }
            }
            if (first && weights.imaging() != 0) {
                dims.addAll(imagingDimensions());
            }
            dimensions.put(space, Collections.unmodifiableList(dims));
            first = false;
        }
        dimensions.put(imagingSpace, Collections.unmodifiableList(imagingDimensions()));
    }

    private List<String> imagingDimensions() {
        List<String> dims = new ArrayList<>();
        for (String m : modalities) {
            dims.add("imaging:" + m);
        }
        for (int i = 0; i < SITE_BUCKETS; i++) {
            dims.add("imaging:site" + i);
        }
        return dims;
    }

    public VectorWeights weights() {
        return weights;
    }

    /** Names of a space's dimensions, in order (not for the embedding space, whose dimensions are the model's). */
    public List<String> dimensions(String space) {
        return dimensions.getOrDefault(space, List.of());
    }

    /** The feature id a dimension name belongs to ("hba1c:trend" → "hba1c"). */
    public static String featureOf(String dimension) {
        int colon = dimension.indexOf(':');
        return colon < 0 ? dimension : dimension.substring(0, colon);
    }

    /** The clinical space: the first catalog space that is not the imaging space. */
    public String clinicalSpace() {
        return dimensions.keySet().iterator().next();
    }

    public String imagingSpace() {
        return imagingSpace;
    }

    public String embeddingSpace() {
        return imagingSpace + EMBEDDING_SUFFIX;
    }

    /** Vectors by space, "now" being the patient's latest event; a space the patient has nothing in is left out. */
    public Map<String, List<Float>> vectors(PatientState state) {
        return vectors(state, now(state));
    }

    /** Vectors by space with age and trends taken at {@code now} (null: age unknown). */
    public Map<String, List<Float>> vectors(PatientState state, Instant now) {
        Map<String, List<Float>> out = new LinkedHashMap<>();
        boolean first = true;
        for (Map.Entry<String, List<String>> e : dimensions.entrySet()) {
            String space = e.getKey();
            if (space.equals(imagingSpace)) {
                continue;
            }
            float[] v = new float[e.getValue().size()];
            boolean any = fillClinical(state, now, space, first, v);
            if (any) {
                if (weights.unitLength()) {
                    normalize(v);
                }
                out.put(space, asList(v));
            }
            first = false;
        }
        if (!state.getImaging().isEmpty()) {
            float[] v = new float[dimensions.get(imagingSpace).size()];
            fillImaging(state, v, 0, 1.0);
            out.put(imagingSpace, asList(v));
        }
        if (state.getImagingEmbedding() != null && !state.getImagingEmbedding().isEmpty()) {
            out.put(embeddingSpace(), List.copyOf(state.getImagingEmbedding()));
        }
        return out;
    }

    private boolean fillClinical(PatientState state, Instant now, String space, boolean withExtras, float[] v) {
        int i = 0;
        boolean any = false;
        if (withExtras) {
            Demographics d = state.getDemographics();
            if (weights.age() != 0 || weights.ageBand() != 0) {
                Double age = FeatureScores.age(d, now);
                if (age != null) {
                    v[i] = (float) (Math.min(age, 100) / 10.0 * weights.age());
                    v[i + 1] = (float) (age < 18 ? weights.ageBand() : 0);
                    v[i + 2] = (float) (age >= 65 ? weights.ageBand() : 0);
                }
                any = d != null;
                i += 3;
            }
            if (weights.sex() != 0) {
                if (d != null && d.getGender() != null) {
                    String g = d.getGender().toLowerCase(Locale.ROOT);
                    v[i] = (float) (("male".equals(g) ? 0.5 : "female".equals(g) ? -0.5 : 0) * weights.sex());
                }
                any |= d != null;
                i++;
            }
        }
        List<Map.Entry<String, Double>> blocks = weights.featureBlocks();
        for (String id : catalog.dimensions(space)) {
            Feature feature = catalog.feature(id);
            FeatureValue value = state.getFeatures().get(id);
            if (feature == null) {
                if (weights.finding() == 0) {
                    continue;
                }
                Finding finding = catalog.finding(id);
                if (value != null) {
                    v[i] = (float) (value.getValue() * (finding != null ? finding.weight() : 1.0) * weights.finding());
                    any = true;
                }
                i++;
                continue;
            }
            FeatureHistory history = state.getHistory().get(id);
            boolean seen = value != null || (history != null && history.getCount() > 0);
            any |= seen;
            double w = feature.weight();
            double presence = weights.catalogWeightsOnPresence() ? w : (w > 0 ? 1 : 0);
            for (Map.Entry<String, Double> block : blocks) {
                double x = 0;
                if (seen) {
                    x = switch (block.getKey()) {
                        case "" -> value == null ? 0 : component(id, value.getValue());
                        case ":level" -> FeatureScores.level(feature, history, value) * w;
                        case ":abnormal" -> value == null ? 0 : FeatureScores.exceedance(feature, value) * w;
                        case ":abnormal-share" -> history == null || history.getCount() == 0 ? 0
                                : (double) history.getAbnormalCount() / history.getCount() * presence;
                        case ":measured" -> presence;
                        case ":count" -> Math.log1p(history == null ? 1 : history.getCount()) / COUNT_SCALE * presence;
                        case ":trend" -> history == null ? 0 : FeatureScores.trend(feature, history) * w;
                        default -> throw new IllegalStateException(block.getKey());
                    };
                }
                v[i++] = (float) (x * block.getValue());
            }
        }
        if (withExtras && weights.imaging() != 0 && !state.getImaging().isEmpty()) {
            any = true;
            fillImaging(state, v, i, weights.imaging());
        }
        return any;
    }

    private void fillImaging(PatientState state, float[] v, int offset, double weight) {
        int[] byModality = new int[modalities.size()];
        int[] bySite = new int[SITE_BUCKETS];
        for (ImagingRecord r : state.getImaging()) {
            for (String m : r.getModalities()) {
                int idx = modalities.indexOf(m);
                if (idx >= 0) {
                    byModality[idx]++;
                }
            }
            for (String site : r.getBodySites()) {
                bySite[Math.floorMod(site.hashCode(), SITE_BUCKETS)]++;
            }
        }
        for (int j = 0; j < byModality.length; j++) {
            v[offset + j] = (float) (Math.log1p(byModality[j]) * weight);
        }
        for (int j = 0; j < SITE_BUCKETS; j++) {
            v[offset + byModality.length + j] = (float) (Math.log1p(bySite[j]) * weight);
        }
    }

    /** The patient's latest event time, else the time of death, else null. */
    static Instant now(PatientState state) {
        if (state.getLastEventTime() != null) {
            return state.getLastEventTime();
        }
        Demographics d = state.getDemographics();
        return d != null && d.getDeceasedTime() != null ? d.getDeceasedTime() : null;
    }

    /** The contribution of one feature value to its latest-value dimension: z-score, clipped, times weight. */
    public double component(String featureId, double value) {
        Feature feature = catalog.feature(featureId);
        if (feature == null) {
            Finding finding = catalog.finding(featureId);
            return value * (finding != null ? finding.weight() : 1.0);
        }
        return FeatureScores.clip(FeatureScores.z(feature, value), FeatureScores.CLIP) * feature.weight();
    }

    private static void normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum > 0) {
            float norm = (float) Math.sqrt(sum);
            for (int i = 0; i < v.length; i++) {
                v[i] /= norm;
            }
        }
    }

    private static List<Float> asList(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }

    public static float[] toArray(List<Float> vector) {
        float[] out = new float[vector.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vector.get(i);
        }
        return out;
    }
}
