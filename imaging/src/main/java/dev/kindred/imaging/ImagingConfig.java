package dev.kindred.imaging;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The imaging settings read from Kindred's properties, keys under {@code kindred.imaging.} (see
 * imaging/README.md for the list). Imaging is off unless {@code kindred.imaging.model.path} is set; fetching
 * from a PACS is off unless {@code kindred.imaging.dicomweb.base-url} is set.
 *
 * @param dicomWeb null when no DICOMweb endpoint is configured
 */
public record ImagingConfig(EmbedderSettings embedder, DicomWebSettings dicomWeb, ServiceSettings service) {
    public static final String PREFIX = "kindred.imaging.";

    public static Optional<ImagingConfig> fromProperties(Properties properties) {
        Reader in = new Reader(properties);
        String modelPath = in.string("model.path", null);
        if (modelPath == null) {
            return Optional.empty();
        }
        EmbedderSettings.Builder model = EmbedderSettings.builder(Path.of(modelPath))
                .engine(in.string("model.engine", null))
                .channels(in.integer("model.channels", 3))
                .outputName(in.string("model.output.name", null))
                .outputIndex(in.integer("model.output.index", 0))
                .reduction(in.choice("model.output.reduction", EmbedderSettings.OutputReduction.class,
                        EmbedderSettings.OutputReduction.FLATTEN))
                .l2Normalize(in.bool("model.output.l2-normalize", true))
                .maxBatchSize(in.integer("model.batch-size", 8))
                .intraOpThreads(in.integer("model.threads", 1))
                .maxImagePixels(in.integer("model.max-image-pixels", 64 * 1024 * 1024));
        String size = in.string("model.input-size", "224");
        int[] widthHeight = in.size("model.input-size", size);
        model.inputSize(widthHeight[0], widthHeight[1]);
        float[] mean = in.floats("model.mean");
        float[] std = in.floats("model.std");
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("set both " + PREFIX + "model.mean and " + PREFIX + "model.std, or neither");
        }
        if (mean != null) {
            model.normalization(mean, std);
        }

        DicomWebSettings dicomWeb = null;
        String baseUrl = in.string("dicomweb.base-url", null);
        if (baseUrl != null) {
            DicomWebSettings defaults = DicomWebSettings.defaults(URI.create(baseUrl));
            String header = in.string("dicomweb.auth-header", null);
            String headerName = null;
            String headerValue = null;
            if (header != null) {
                int colon = header.indexOf(':');
                if (colon < 1) {
                    throw new IllegalArgumentException(PREFIX + "dicomweb.auth-header must read 'Name: value',"
                            + " e.g. 'Authorization: Bearer <token>'");
                }
                headerName = header.substring(0, colon).trim();
                headerValue = header.substring(colon + 1).trim();
            }
            String skipped = in.string("dicomweb.skip-modalities", null);
            dicomWeb = new DicomWebSettings(defaults.baseUrl(), in.string("dicomweb.accept", defaults.accept()),
                    headerName, headerValue,
                    in.millis("dicomweb.connect-timeout.ms", defaults.connectTimeout()),
                    in.millis("dicomweb.request-timeout.ms", defaults.requestTimeout()),
                    in.integer("dicomweb.max-series", defaults.maxSeriesPerStudy()),
                    in.integer("dicomweb.instances-per-series", defaults.instancesPerSeries()),
                    skipped == null ? defaults.skippedModalities() : Arrays.stream(skipped.split(","))
                            .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet()));
        }

        ServiceSettings defaults = ServiceSettings.defaults();
        ServiceSettings service = new ServiceSettings(
                in.integer("queue.capacity", defaults.queueCapacity()),
                in.integer("threads.model", defaults.inferenceThreads()),
                in.integer("threads.fetch", defaults.fetchThreads()),
                in.millis("timeout.ms", defaults.requestTimeout()),
                in.integer("retry.attempts", defaults.maxAttempts()),
                in.millis("retry.backoff.ms", defaults.initialBackoff()),
                in.millis("retry.max-backoff.ms", defaults.maxBackoff()));
        return Optional.of(new ImagingConfig(model.build(), dicomWeb, service));
    }

    /** Reads typed values, naming the key in every error. */
    private record Reader(Properties properties) {
        String string(String key, String fallback) {
            String value = properties.getProperty(PREFIX + key);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        int integer(String key, int fallback) {
            String value = string(key, null);
            try {
                return value == null ? fallback : Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw invalid(key, value, "a whole number");
            }
        }

        boolean bool(String key, boolean fallback) {
            String value = string(key, null);
            if (value == null) {
                return fallback;
            }
            if (!Set.of("true", "false").contains(value.toLowerCase(Locale.ROOT))) {
                throw invalid(key, value, "true or false");
            }
            return Boolean.parseBoolean(value);
        }

        Duration millis(String key, Duration fallback) {
            return Duration.ofMillis(integer(key, (int) fallback.toMillis()));
        }

        float[] floats(String key) {
            String value = string(key, null);
            if (value == null) {
                return null;
            }
            String[] parts = value.split(",");
            float[] floats = new float[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    floats[i] = Float.parseFloat(parts[i].trim());
                }
            } catch (NumberFormatException e) {
                throw invalid(key, value, "numbers separated by commas");
            }
            return floats;
        }

        int[] size(String key, String value) {
            String[] parts = value.toLowerCase(Locale.ROOT).split("x");
            try {
                int width = Integer.parseInt(parts[0].trim());
                return new int[] {width, parts.length == 2 ? Integer.parseInt(parts[1].trim()) : width};
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw invalid(key, value, "a size such as 224 or 224x224 (width x height)");
            }
        }

        <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
            String value = string(key, null);
            try {
                return value == null ? fallback : Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw invalid(key, value, "one of " + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
            }
        }

        private static IllegalArgumentException invalid(String key, String value, String expected) {
            return new IllegalArgumentException(PREFIX + key + " is '" + value + "'; expected " + expected);
        }
    }
}
