package dev.kindred.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ImagePreprocessorTest {
    static final Path MODEL = Path.of("model.onnx");

    static ImagePreprocessor preprocessor(int channels, int size) {
        return new ImagePreprocessor(EmbedderSettings.builder(MODEL).channels(channels).inputSize(size, size)
                .normalization(new float[] {0f}, new float[] {1f}).build());
    }

    @Test
    void aGrayXrayFillsAllThreeChannelsWithItsOwnValuesNotGammaConverted() throws Exception {
        BufferedImage gray = TestImages.chestXray(64, 0);
        BufferedImage rgb = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                int v = gray.getRaster().getSample(x, y, 0);
                rgb.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }

        float[] fromGray = preprocessor(3, 64).prepare(TestImages.png(gray));
        float[] fromRgb = preprocessor(3, 64).prepare(TestImages.png(rgb));

        assertThat(fromGray).containsExactly(fromRgb);
        assertThat(fromGray[0]).isEqualTo(gray.getRaster().getSample(0, 0, 0) / 255f);
        float[] red = Arrays.copyOfRange(fromGray, 0, 64 * 64);
        assertThat(Arrays.copyOfRange(fromGray, 64 * 64, 2 * 64 * 64)).containsExactly(red);
        assertThat(Arrays.copyOfRange(fromGray, 2 * 64 * 64, 3 * 64 * 64)).containsExactly(red);
    }

    @Test
    void sixteenBitGrayIsScaledByItsBitDepth() throws Exception {
        BufferedImage deep = new BufferedImage(8, 8, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster raster = deep.getRaster();
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                raster.setSample(x, y, 0, 65535 * (x + y) / 14);
            }
        }

        float[] prepared = preprocessor(1, 8).prepare(TestImages.png(deep));

        assertThat(prepared[0]).isEqualTo(0f);
        assertThat(prepared[63]).isEqualTo(1f);
        assertThat(prepared[7]).isCloseTo(0.5f, within(1e-4f));
    }

    @Test
    void aOneChannelModelGetsTheLuminanceOfAColourImage() throws Exception {
        BufferedImage colour = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                colour.setRGB(x, y, 0xff0000);
            }
        }

        float[] prepared = preprocessor(1, 4).prepare(TestImages.png(colour));

        assertThat(prepared).hasSize(16).containsOnly(0.299f);
    }

    @Test
    void normalizesEachChannelWithItsMeanAndStd() throws Exception {
        BufferedImage white = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        white.getRaster().setSamples(0, 0, 4, 4, 0, filled(16, 255));
        ImagePreprocessor imagenet = new ImagePreprocessor(EmbedderSettings.builder(MODEL).inputSize(4, 4).build());

        float[] prepared = imagenet.prepare(TestImages.png(white));

        assertThat(prepared[0]).isEqualTo((1 - 0.485f) / 0.229f);
        assertThat(prepared[16]).isEqualTo((1 - 0.456f) / 0.224f);
        assertThat(prepared[32]).isEqualTo((1 - 0.406f) / 0.225f);
    }

    @Test
    void shrinkingAveragesInsteadOfAliasing() {
        // A one-pixel checkerboard shrunk 4x: point sampling would give all 0 or all 1, a wide filter gives ~0.5.
        float[] checkerboard = new float[64 * 64];
        for (int i = 0; i < checkerboard.length; i++) {
            checkerboard[i] = ((i % 64) + (i / 64)) % 2;
        }
        float[] constant = new float[100 * 50];
        Arrays.fill(constant, 0.25f);

        assertAllNear(ImagePreprocessor.resize(checkerboard, 64, 64, 16, 16), 256, 0.5f, 0.02f);
        assertAllNear(ImagePreprocessor.resize(constant, 100, 50, 37, 23), 37 * 23, 0.25f, 1e-6f);
        assertAllNear(ImagePreprocessor.resize(constant, 100, 50, 300, 200), 300 * 200, 0.25f, 1e-6f);
    }

    @Test
    void refusesWhatIsNotAnImageWithAClearReason() {
        byte[] png = TestImages.chestPng(64, 0);
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        ImagePreprocessor preprocessor = preprocessor(3, 32);
        ImagePreprocessor small = new ImagePreprocessor(EmbedderSettings.builder(MODEL).maxImagePixels(1000).build());

        for (byte[] bad : new byte[][] {new byte[0], "%PDF-1.7".getBytes(), truncated}) {
            assertThatThrownBy(() -> preprocessor.prepare(bad)).isInstanceOfSatisfying(ImagingException.class,
                    e -> assertThat(e.reason()).isEqualTo(FailureReason.IMAGE_UNDECODABLE));
        }
        assertThatThrownBy(() -> small.prepare(png)).isInstanceOfSatisfying(ImagingException.class, e -> {
            assertThat(e.reason()).isEqualTo(FailureReason.IMAGE_UNDECODABLE);
            assertThat(e.getMessage()).contains("4096 pixels");
        });
    }

    private static void assertAllNear(float[] values, int length, float expected, float tolerance) {
        assertThat(values).hasSize(length);
        for (float value : values) {
            assertThat(value).isCloseTo(expected, within(tolerance));
        }
    }

    private static int[] filled(int length, int value) {
        int[] values = new int[length];
        Arrays.fill(values, value);
        return values;
    }
}
