package dev.kindred.imaging;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Fetches rendered frames over DICOMweb: {@code GET {base}/studies/{study}/series/{series}/instances/{instance}/rendered}
 * with {@code Accept: image/png} or {@code image/jpeg} (PS3.18 §10.4, WADO-RS retrieve rendered), and
 * classifies every failure with a {@link FailureReason} and whether a retry may help.
 *
 * <p>Redirects are not followed, so the auth header never travels to another host. Thread-safe.
 */
public final class DicomWebClient {
    private final DicomWebSettings settings;
    private final HttpClient http;

    public DicomWebClient(DicomWebSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public DicomWebSettings settings() {
        return settings;
    }

    /** One frame to fetch. */
    public record FrameRef(String studyUid, String seriesUid, String sopInstanceUid) {
        @Override
        public String toString() {
            return "study " + studyUid + " series " + seriesUid + " instance " + sopInstanceUid;
        }
    }

    /**
     * The bounded set of frames to fetch for a study: series with pixels, at most
     * {@link DicomWebSettings#maxSeriesPerStudy()} of them in the order listed, and
     * {@link DicomWebSettings#instancesPerSeries()} instances of each spread evenly over the series in
     * instance-number order (one instance: the middle one, the most representative slice of a stack).
     */
    public List<FrameRef> select(EmbeddingRequest.DicomStudy study) {
        List<FrameRef> frames = new ArrayList<>();
        int seriesTaken = 0;
        for (EmbeddingRequest.Series series : study.series()) {
            if (seriesTaken == settings.maxSeriesPerStudy()) {
                break;
            }
            String modality = series.modality() == null ? null : series.modality().toUpperCase(Locale.ROOT);
            if (series.instances().isEmpty() || modality != null && settings.skippedModalities().contains(modality)) {
                continue;
            }
            List<EmbeddingRequest.Instance> ordered = new ArrayList<>(series.instances());
            ordered.sort(Comparator.comparing(EmbeddingRequest.Instance::number,
                    Comparator.nullsLast(Comparator.naturalOrder())));
            int count = Math.min(settings.instancesPerSeries(), ordered.size());
            for (int i = 0; i < count; i++) {
                // Centre of the i-th of `count` equal parts of the series.
                int index = (int) ((2L * i + 1) * ordered.size() / (2L * count));
                frames.add(new FrameRef(study.studyUid(), series.seriesUid(), ordered.get(index).sopInstanceUid()));
            }
            seriesTaken++;
        }
        return frames;
    }

    public URI renderedUri(FrameRef frame) {
        String base = settings.baseUrl().toString();
        return URI.create((base.endsWith("/") ? base : base + "/") + "studies/" + segment(frame.studyUid())
                + "/series/" + segment(frame.seriesUid()) + "/instances/" + segment(frame.sopInstanceUid())
                + "/rendered");
    }

    /**
     * Fetches one rendered frame, waiting at most {@code timeout} (capped by the configured request time-out).
     * Blocks the calling thread; the embedding service calls it from its own fetch threads.
     */
    public byte[] fetchRendered(FrameRef frame, Duration timeout) throws ImagingException {
        Duration limit = timeout.compareTo(settings.requestTimeout()) < 0 ? timeout : settings.requestTimeout();
        HttpRequest.Builder request = HttpRequest.newBuilder(renderedUri(frame))
                .timeout(limit.isNegative() || limit.isZero() ? Duration.ofMillis(1) : limit)
                .header("Accept", settings.accept())
                .GET();
        if (settings.authHeaderName() != null) {
            request.header(settings.authHeaderName(), settings.authHeaderValue());
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new ImagingException(FailureReason.PACS_UNREACHABLE, true,
                    "no connection to the PACS within " + settings.connectTimeout() + " for " + frame, e);
        } catch (HttpTimeoutException e) {
            throw new ImagingException(FailureReason.PACS_TIMEOUT, true,
                    "the PACS sent no frame within " + limit + " for " + frame, e);
        } catch (ConnectException e) {
            throw new ImagingException(FailureReason.PACS_UNREACHABLE, true,
                    "cannot connect to the PACS at " + settings.baseUrl() + " for " + frame + ": " + e, e);
        } catch (IOException e) {
            throw new ImagingException(FailureReason.PACS_UNREACHABLE, true,
                    "the connection to the PACS failed for " + frame + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImagingException(FailureReason.SERVICE_CLOSED, false, "interrupted while fetching " + frame, e);
        }
        return bodyOrFailure(frame, response.statusCode(), response.body());
    }

    private static byte[] bodyOrFailure(FrameRef frame, int status, byte[] body) throws ImagingException {
        if (status == 200) {
            if (body.length == 0) {
                throw new ImagingException(FailureReason.IMAGE_UNDECODABLE, false, "HTTP 200 with an empty body for " + frame);
            }
            return body;
        }
        String message = "HTTP " + status + " for " + frame;
        if (status == 401 || status == 403) {
            throw new ImagingException(FailureReason.PACS_AUTH_FAILED, false, message + ": check the auth header setting");
        }
        if (status == 404 || status == 410) {
            throw new ImagingException(FailureReason.PACS_NOT_FOUND, false, message);
        }
        // 408, 429 and 5xx say "not now"; anything else (a 4xx, 204, a redirect) will not change on a retry.
        boolean retriable = status == 408 || status == 429 || status >= 500;
        throw new ImagingException(FailureReason.PACS_HTTP_ERROR, retriable, message);
    }

    private static String segment(String uid) {
        return URLEncoder.encode(uid, StandardCharsets.UTF_8);
    }
}
