package dev.kindred.fhir.catalog;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The feature catalog: which LOINC codes become which features, in which unit, with which ranges, and the
 * order of dimensions in each feature space. It is a data file ({@code feature-catalog.json}) shipped in
 * this module and replaceable by configuration; its version travels on every vector and alert.
 */
public final class FeatureCatalog {
    /** Classpath location of the catalog shipped with Kindred. */
    public static final String DEFAULT_RESOURCE = "/dev/kindred/fhir/feature-catalog.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String version;
    private final List<Feature> features;
    private final List<Finding> findings;
    private final ImagingSpace imaging;
    private final Map<String, Feature> featureByLoinc = new HashMap<>();
    private final Map<String, Finding> findingByLoinc = new HashMap<>();
    private final Map<String, Feature> featureById = new HashMap<>();
    private final Map<String, Finding> findingById = new HashMap<>();
    private final Map<String, List<String>> dimensionsBySpace = new LinkedHashMap<>();

    /** The JSON shape of the file. */
    private record CatalogFile(String version, String description, List<Feature> features, List<Finding> findings,
            ImagingSpace imaging) {
    }

    public FeatureCatalog(String version, List<Feature> features, List<Finding> findings) {
        this(version, features, findings, ImagingSpace.NONE);
    }

    public FeatureCatalog(String version, List<Feature> features, List<Finding> findings, ImagingSpace imaging) {
        this.version = Objects.requireNonNull(version, "catalog version");
        this.imaging = imaging == null ? ImagingSpace.NONE : imaging;
        this.features = List.copyOf(features);
        this.findings = findings == null ? List.of() : List.copyOf(findings);
        Map<String, List<String>> dims = new LinkedHashMap<>();
        for (Feature f : this.features) {
            register(f.id(), f.loinc(), featureByLoinc, f);
            featureById.put(f.id(), f);
            dims.computeIfAbsent(f.space(), s -> new ArrayList<>()).add(f.id());
        }
        for (Finding f : this.findings) {
            register(f.id(), f.loinc(), findingByLoinc, f);
            findingById.put(f.id(), f);
            dims.computeIfAbsent(f.space(), s -> new ArrayList<>()).add(f.id());
        }
        dims.forEach((space, ids) -> dimensionsBySpace.put(space, Collections.unmodifiableList(ids)));
    }

    /**
     * A LOINC code feeds at most one numeric feature and at most one finding: some sources send the same
     * test as a quantity and others as a coded answer, and the value's type decides which one it feeds.
     */
    private static <T> void register(String id, List<String> codes, Map<String, T> index, T item) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("catalog entry without an id");
        }
        for (String code : codes) {
            if (index.putIfAbsent(code, item) != null) {
                throw new IllegalArgumentException("LOINC " + code + " is listed twice in the catalog (at " + id + ")");
            }
        }
    }

    /** The catalog shipped with Kindred. */
    public static FeatureCatalog builtIn() {
        try (InputStream in = FeatureCatalog.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("built-in feature catalog missing from the classpath: " + DEFAULT_RESOURCE);
            }
            return read(in, DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A catalog from a file, e.g. a hospital's own (configuration key kindred.catalog.path). */
    public static FeatureCatalog load(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in, path.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read feature catalog " + path, e);
        }
    }

    /** Reads a catalog; {@code origin} names it in error messages. */
    public static FeatureCatalog read(InputStream in, String origin) throws IOException {
        CatalogFile file;
        try {
            file = JSON.readValue(in, CatalogFile.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("feature catalog " + origin + " is not valid: " + e.getOriginalMessage(), e);
        }
        if (file.features() == null || file.features().isEmpty()) {
            throw new IOException("feature catalog " + origin + " lists no features");
        }
        try {
            return new FeatureCatalog(file.version(), file.features(), file.findings(), file.imaging());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException("feature catalog " + origin + " is not valid: " + e.getMessage(), e);
        }
    }

    public String version() {
        return version;
    }

    public List<Feature> features() {
        return features;
    }

    public List<Finding> findings() {
        return findings;
    }

    /** The imaging feature space: modalities and the image embedding dimension ({@link ImagingSpace#NONE} if absent). */
    public ImagingSpace imaging() {
        return imaging;
    }

    /** The numeric feature a LOINC code feeds, or null. */
    public Feature featureForLoinc(String code) {
        return featureByLoinc.get(code);
    }

    /** The coded finding a LOINC code feeds, or null. */
    public Finding findingForLoinc(String code) {
        return findingByLoinc.get(code);
    }

    public Feature feature(String id) {
        return featureById.get(id);
    }

    public Finding finding(String id) {
        return findingById.get(id);
    }

    /** Feature spaces in catalog order, e.g. clinical. */
    public List<String> spaces() {
        return List.copyOf(dimensionsBySpace.keySet());
    }

    /** Feature and finding ids of a space, in dimension order. */
    public List<String> dimensions(String space) {
        return dimensionsBySpace.getOrDefault(space, List.of());
    }

    /**
     * Converts a quantity to the feature's canonical unit.
     *
     * @param ucumCode the quantity's code when its system is UCUM, else null
     * @param unitText the quantity's free-text unit, or null
     * @return the converted value, or empty when neither unit is known for this feature
     */
    public static OptionalDouble toCanonical(Feature feature, double value, String ucumCode, String unitText) {
        if (ucumCode == null && unitText == null) {
            return isDimensionless(feature.unit()) ? OptionalDouble.of(value) : OptionalDouble.empty();
        }
        for (String candidate : new String[] {ucumCode, unitText}) {
            if (candidate == null) {
                continue;
            }
            String unit = UcumUnits.normalize(candidate);
            if (unit.equals(feature.unit()) || unit.equalsIgnoreCase(feature.unit())) {
                return OptionalDouble.of(value);
            }
            for (UnitConversion c : feature.conversions()) {
                if (unit.equals(c.unit()) || UcumUnits.normalize(c.unit()).equalsIgnoreCase(unit)) {
                    return OptionalDouble.of(c.toCanonical(value));
                }
            }
        }
        return OptionalDouble.empty();
    }

    private static boolean isDimensionless(String unit) {
        return unit == null || unit.equals("1") || (unit.startsWith("{") && unit.endsWith("}"));
    }
}
