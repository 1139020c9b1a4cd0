package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ImagingConfigTest {

    static Properties properties(String text) throws Exception {
        Properties properties = new Properties();
        properties.load(new StringReader(text));
        return properties;
    }

    @Test
    void imagingIsOffWithoutAModelPath() throws Exception {
        assertThat(ImagingConfig.fromProperties(properties("kindred.imaging.dicomweb.base-url=http://pacs/dicom-web"))).isEmpty();
    }

    @Test
    void readsEverySetting() throws Exception {
        ImagingConfig config = ImagingConfig.fromProperties(properties("""
                kindred.imaging.model.path=/models/cxr.pt
                kindred.imaging.model.input-size=320x256
                kindred.imaging.model.channels=1
                kindred.imaging.model.mean=0.5
                kindred.imaging.model.std=0.25
                kindred.imaging.model.output.name=features
                kindred.imaging.model.output.reduction=average
                kindred.imaging.model.output.l2-normalize=false
                kindred.imaging.model.batch-size=1
                kindred.imaging.dicomweb.base-url=https://pacs.example.org/dicom-web
                kindred.imaging.dicomweb.accept=image/jpeg
                kindred.imaging.dicomweb.auth-header=Authorization: Bearer abc:def
                kindred.imaging.dicomweb.request-timeout.ms=5000
                kindred.imaging.dicomweb.max-series=2
                kindred.imaging.dicomweb.skip-modalities=SR, PR
                kindred.imaging.queue.capacity=10
                kindred.imaging.timeout.ms=15000
                kindred.imaging.retry.attempts=5
                """)).orElseThrow();

        EmbedderSettings model = config.embedder();
        assertThat(model.modelPath()).isEqualTo(Path.of("/models/cxr.pt"));
        assertThat(model.engine()).isEqualTo("PyTorch");
        assertThat(model.inputWidth()).isEqualTo(320);
        assertThat(model.inputHeight()).isEqualTo(256);
        assertThat(model.channels()).isEqualTo(1);
        assertThat(model.mean()).containsExactly(0.5f);
        assertThat(model.std()).containsExactly(0.25f);
        assertThat(model.outputName()).isEqualTo("features");
        assertThat(model.reduction()).isEqualTo(EmbedderSettings.OutputReduction.AVERAGE);
        assertThat(model.l2Normalize()).isFalse();
        assertThat(model.maxBatchSize()).isEqualTo(1);
        DicomWebSettings pacs = config.dicomWeb();
        assertThat(pacs.accept()).isEqualTo("image/jpeg");
        assertThat(pacs.authHeaderName()).isEqualTo("Authorization");
        assertThat(pacs.authHeaderValue()).isEqualTo("Bearer abc:def");
        assertThat(pacs.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(pacs.maxSeriesPerStudy()).isEqualTo(2);
        assertThat(pacs.skippedModalities()).containsExactlyInAnyOrder("SR", "PR");
        assertThat(config.service().queueCapacity()).isEqualTo(10);
        assertThat(config.service().requestTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.service().maxAttempts()).isEqualTo(5);
    }

    @Test
    void defaultsSuitATorchvisionBackbone() throws Exception {
        ImagingConfig config = ImagingConfig.fromProperties(properties("kindred.imaging.model.path=model.onnx")).orElseThrow();

        assertThat(config.embedder().engine()).isEqualTo("OnnxRuntime");
        assertThat(config.embedder().inputWidth()).isEqualTo(224);
        assertThat(config.embedder().mean()).containsExactly(EmbedderSettings.IMAGENET_MEAN);
        assertThat(config.dicomWeb()).isNull();
        assertThat(config.service()).isEqualTo(ServiceSettings.defaults());
    }

    @Test
    void aBadValueNamesItsKey() {
        assertThatThrownBy(() -> ImagingConfig.fromProperties(properties(
                "kindred.imaging.model.path=m.onnx\nkindred.imaging.queue.capacity=lots")))
                .hasMessageContaining("kindred.imaging.queue.capacity").hasMessageContaining("lots");
        assertThatThrownBy(() -> ImagingConfig.fromProperties(properties(
                "kindred.imaging.model.path=m.onnx\nkindred.imaging.model.mean=0.5")))
                .hasMessageContaining("kindred.imaging.model.std");
        assertThatThrownBy(() -> ImagingConfig.fromProperties(properties(
                "kindred.imaging.model.path=m.onnx\nkindred.imaging.dicomweb.base-url=http://p\n"
                        + "kindred.imaging.dicomweb.auth-header=Bearer abc")))
                .hasMessageContaining("Name: value");
    }
}
