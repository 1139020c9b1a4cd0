package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kindred.imaging.DicomWebClient.FrameRef;
import dev.kindred.imaging.EmbeddingRequest.DicomStudy;
import dev.kindred.imaging.EmbeddingRequest.Instance;
import dev.kindred.imaging.EmbeddingRequest.Series;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DicomWebClientTest {
    static final URI BASE = URI.create("https://pacs.example.org/dicom-web/");

    @Test
    void takesAtMostTheConfiguredSeriesSkippingThoseWithoutPixels() {
        List<Series> series = new ArrayList<>();
        series.add(new Series("9.0", "SR", List.of(new Instance("9.0.1", 1))));
        series.add(new Series("9.1", "CT", List.of()));
        for (int s = 2; s <= 7; s++) {
            series.add(new Series("9." + s, s % 2 == 0 ? "ct" : null, List.of(new Instance("9." + s + ".1", 1))));
        }
        DicomWebClient client = new DicomWebClient(DicomWebSettings.defaults(BASE));

        List<FrameRef> frames = client.select(new DicomStudy("9", series));

        assertThat(frames).extracting(FrameRef::seriesUid).containsExactly("9.2", "9.3", "9.4", "9.5");
    }

    @Test
    void spreadsSeveralInstancesEvenlyOverTheSeriesByInstanceNumber() {
        List<Instance> instances = new ArrayList<>();
        for (int n = 9; n >= 1; n--) {
            instances.add(new Instance("1.1." + n, n));
        }
        DicomStudy study = new DicomStudy("1", List.of(new Series("1.1", "CT", instances)));

        List<FrameRef> three = new DicomWebClient(DicomWebSettings.defaults(BASE).withLimits(4, 3)).select(study);
        List<FrameRef> one = new DicomWebClient(DicomWebSettings.defaults(BASE)).select(study);
        List<FrameRef> all = new DicomWebClient(DicomWebSettings.defaults(BASE).withLimits(4, 20)).select(study);

        assertThat(three).extracting(FrameRef::sopInstanceUid).containsExactly("1.1.2", "1.1.5", "1.1.8");
        assertThat(one).extracting(FrameRef::sopInstanceUid).containsExactly("1.1.5");
        assertThat(all).hasSize(9);
    }

    @Test
    void buildsTheWadoRsRenderedUrl() {
        FrameRef frame = new FrameRef("1.2.3", "1.2.3.4", "1.2.3.4.5");

        assertThat(new DicomWebClient(DicomWebSettings.defaults(BASE)).renderedUri(frame)).hasToString(
                "https://pacs.example.org/dicom-web/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5/rendered");
        assertThat(new DicomWebClient(DicomWebSettings.defaults(URI.create("http://pacs:8080/wado"))).renderedUri(frame))
                .hasToString("http://pacs:8080/wado/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5/rendered");
        // A UID is one path segment, whatever it holds.
        assertThat(new DicomWebClient(DicomWebSettings.defaults(BASE)).renderedUri(new FrameRef("1/../x", "2", "3"))
                .getRawPath()).contains("/studies/1%2F..%2Fx/series/");
    }

    @Test
    void settingsNeverShowTheCredential() {
        DicomWebSettings settings = DicomWebSettings.defaults(BASE).withAuthHeader("Authorization", "Bearer s3cret");

        assertThat(settings.toString()).contains("Authorization: ***").doesNotContain("s3cret");
    }
}
