package dev.kindred.imaging;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where and how to fetch rendered frames (DICOM PS3.18 WADO-RS "rendered" resources).
 *
 * @param baseUrl the DICOMweb service root, e.g. {@code https://pacs.example.org/dicom-web}
 * @param accept media type to ask for: {@code image/png} (lossless, the default) or {@code image/jpeg}
 * @param authHeaderName header sent with every request, e.g. {@code Authorization}; null for none
 * @param authHeaderValue its value, e.g. {@code Bearer eyJ…}; never logged
 * @param connectTimeout time allowed to open a connection
 * @param requestTimeout time allowed for one frame to arrive
 * @param maxSeriesPerStudy most series fetched from one study
 * @param instancesPerSeries instances fetched per series, spread evenly (1: the middle one)
 * @param skippedModalities series of these modalities hold no pixels to render (reports, presentation states)
 */
public record DicomWebSettings(
        URI baseUrl,
        String accept,
        String authHeaderName,
        String authHeaderValue,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxSeriesPerStudy,
        int instancesPerSeries,
        Set<String> skippedModalities) {

    /** Non-image DICOM modalities: structured reports, key objects, presentation states, RT plans and the like. */
    public static final Set<String> NON_IMAGE_MODALITIES =
            Set.of("SR", "KO", "PR", "DOC", "RTPLAN", "RTSTRUCT", "RTRECORD", "REG", "FID", "AU", "ECG");

    public DicomWebSettings {
        Objects.requireNonNull(baseUrl, "baseUrl");
        if (!"http".equals(baseUrl.getScheme()) && !"https".equals(baseUrl.getScheme())) {
            throw new IllegalArgumentException("the DICOMweb base URL must be http or https, got " + baseUrl);
        }
        if (!"image/png".equals(accept) && !"image/jpeg".equals(accept)) {
            throw new IllegalArgumentException("accept must be image/png or image/jpeg, got " + accept);
        }
        if ((authHeaderName == null) != (authHeaderValue == null)) {
            throw new IllegalArgumentException("set both the auth header name and its value, or neither");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (maxSeriesPerStudy < 1 || instancesPerSeries < 1) {
            throw new IllegalArgumentException("maxSeriesPerStudy and instancesPerSeries must be positive");
        }
        skippedModalities = skippedModalities.stream().map(m -> m.toUpperCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** PNG, no auth header, 5 s to connect, 30 s per frame, one instance from each of at most 4 series. */
    public static DicomWebSettings defaults(URI baseUrl) {
        return new DicomWebSettings(baseUrl, "image/png", null, null, Duration.ofSeconds(5), Duration.ofSeconds(30),
                4, 1, NON_IMAGE_MODALITIES);
    }

    public DicomWebSettings withAuthHeader(String name, String value) {
        return new DicomWebSettings(baseUrl, accept, name, value, connectTimeout, requestTimeout, maxSeriesPerStudy,
                instancesPerSeries, skippedModalities);
    }

    public DicomWebSettings withAccept(String mediaType) {
        return new DicomWebSettings(baseUrl, mediaType, authHeaderName, authHeaderValue, connectTimeout, requestTimeout,
                maxSeriesPerStudy, instancesPerSeries, skippedModalities);
    }

    public DicomWebSettings withTimeouts(Duration connect, Duration request) {
        return new DicomWebSettings(baseUrl, accept, authHeaderName, authHeaderValue, connect, request,
                maxSeriesPerStudy, instancesPerSeries, skippedModalities);
    }

    public DicomWebSettings withLimits(int maxSeries, int instancesEachSeries) {
        return new DicomWebSettings(baseUrl, accept, authHeaderName, authHeaderValue, connectTimeout, requestTimeout,
                maxSeries, instancesEachSeries, skippedModalities);
    }

    /** Keeps the credential out of logs and exception messages. */
    @Override
    public String toString() {
        return "DicomWebSettings[baseUrl=" + baseUrl + ", accept=" + accept + ", authHeader="
                + (authHeaderName == null ? "none" : authHeaderName + ": ***") + ", connectTimeout=" + connectTimeout
                + ", requestTimeout=" + requestTimeout + ", maxSeriesPerStudy=" + maxSeriesPerStudy
                + ", instancesPerSeries=" + instancesPerSeries + ", skippedModalities=" + skippedModalities + "]";
    }
}
