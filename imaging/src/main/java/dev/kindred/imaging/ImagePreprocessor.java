package dev.kindred.imaging;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns encoded image bytes (PNG, JPEG, or any format ImageIO reads) into the model's input: channels ×
 * height × width floats, resized and normalized as configured.
 *
 * <p>Done in plain Java rather than with DJL's NDArray image operations, so it is the same for both engines
 * (ONNX Runtime has no resize) and bit-for-bit repeatable. The resize is an antialiased bilinear (triangle)
 * filter, as PIL and torchvision's {@code Resize(antialias=True)} do, so a 2,000-pixel X-ray shrunk to 224
 * does not alias. Grayscale pixels are read from the raster, not through Java2D's colour conversion, which
 * would treat them as linear light and brighten them.
 */
final class ImagePreprocessor {
    private final EmbedderSettings settings;

    ImagePreprocessor(EmbedderSettings settings) {
        this.settings = settings;
    }

    /** Decodes, resizes and normalizes one image into a new array of {@link EmbedderSettings#inputLength()}. */
    float[] prepare(byte[] encoded) throws ImagingException {
        BufferedImage image = decode(encoded);
        int width = image.getWidth();
        int height = image.getHeight();
        float[][] planes = toPlanes(image);
        int outW = settings.inputWidth();
        int outH = settings.inputHeight();
        // Resize each source plane once: a gray X-ray is resized once and then feeds all three channels.
        float[][] resized = new float[planes.length][];
        for (int p = 0; p < planes.length; p++) {
            resized[p] = resize(planes[p], width, height, outW, outH);
        }
        int planeSize = outW * outH;
        float[] mean = settings.mean();
        float[] std = settings.std();
        float[] prepared = new float[settings.inputLength()];
        for (int c = 0; c < settings.channels(); c++) {
            float[] source = resized[Math.min(c, resized.length - 1)];
            int offset = c * planeSize;
            for (int i = 0; i < planeSize; i++) {
                prepared[offset + i] = (source[i] - mean[c]) / std[c];
            }
        }
        return prepared;
    }

    private BufferedImage decode(byte[] encoded) throws ImagingException {
        if (encoded == null || encoded.length == 0) {
            throw undecodable("the image is empty", null);
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw undecodable("no image reader recognises the " + encoded.length + " bytes", null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > settings.maxImagePixels()) {
                    throw undecodable("the image has " + pixels + " pixels, more than the limit of "
                            + settings.maxImagePixels(), null);
                }
                BufferedImage image = reader.read(0);
                if (image == null || image.getWidth() < 1 || image.getHeight() < 1) {
                    throw undecodable("the " + reader.getFormatName() + " image has no pixels", null);
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw undecodable("cannot decode the image: " + e.getMessage(), e);
        }
    }

    /** One plane for a gray image, R, G and B planes for a colour one (or its luminance for one channel), in [0, 1]. */
    private float[][] toPlanes(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        ColorModel colorModel = image.getColorModel();
        if (colorModel.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(colorModel instanceof IndexColorModel)) {
            float[] gray = image.getRaster().getSamples(0, 0, width, height, 0, (float[]) null);
            float max = (float) ((1L << colorModel.getComponentSize(0)) - 1);
            for (int i = 0; i < gray.length; i++) {
                gray[i] /= max;
            }
            return new float[][] {gray};
        }
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        if (settings.channels() == 1) {
            float[] luminance = new float[argb.length];
            for (int i = 0; i < argb.length; i++) {
                int p = argb[i];
                // ITU-R BT.601 weights, as PIL's convert("L") uses.
                luminance[i] = (0.299f * ((p >> 16) & 0xff) + 0.587f * ((p >> 8) & 0xff) + 0.114f * (p & 0xff)) / 255f;
            }
            return new float[][] {luminance};
        }
        float[] red = new float[argb.length];
        float[] green = new float[argb.length];
        float[] blue = new float[argb.length];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            red[i] = ((p >> 16) & 0xff) / 255f;
            green[i] = ((p >> 8) & 0xff) / 255f;
            blue[i] = (p & 0xff) / 255f;
        }
        return new float[][] {red, green, blue};
    }

    /** Separable antialiased bilinear resize of one plane: rows first, then columns. */
    static float[] resize(float[] plane, int width, int height, int outW, int outH) {
        if (width == outW && height == outH) {
            return plane.clone();
        }
        Taps horizontal = Taps.of(width, outW);
        float[] rows = new float[outW * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < outW; x++) {
                rows[y * outW + x] = horizontal.apply(plane, y * width, 1, x);
            }
        }
        Taps vertical = Taps.of(height, outH);
        float[] out = new float[outW * outH];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                out[y * outW + x] = vertical.apply(rows, x, outW, y);
            }
        }
        return out;
    }

    /** For each output position along one axis: the first source index and the normalized triangle weights. */
    private record Taps(int[] first, float[][] weights) {
        static Taps of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0); // widen the filter when shrinking: that is the antialiasing
            double support = filterScale;
            int[] first = new int[outSize];
            float[][] weights = new float[outSize][];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
                int from = Math.max(0, (int) Math.floor(center - support));
                int to = Math.min(inSize, (int) Math.ceil(center + support));
                double[] w = new double[to - from];
                double sum = 0;
                for (int i = from; i < to; i++) {
                    w[i - from] = Math.max(0, 1 - Math.abs((i + 0.5 - center) / filterScale));
                    sum += w[i - from];
                }
                weights[o] = new float[w.length];
                for (int i = 0; i < w.length; i++) {
                    weights[o][i] = (float) (w[i] / sum);
                }
                first[o] = from;
            }
            return new Taps(first, weights);
        }

        float apply(float[] source, int base, int stride, int out) {
            float[] w = weights[out];
            int index = base + first[out] * stride;
            float sum = 0;
            for (float weight : w) {
                sum += weight * source[index];
                index += stride;
            }
            return sum;
        }
    }

    private static ImagingException undecodable(String message, Throwable cause) {
        return new ImagingException(FailureReason.IMAGE_UNDECODABLE, false, message, cause);
    }
}
