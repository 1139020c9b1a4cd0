package dev.kindred.imaging;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Synthetic chest-X-ray-like frames (gray body, dark lungs, ribs, a bright nodule), encoded as PNG or JPEG. */
final class TestImages {
    private TestImages() {}

    /** A grayscale frame; {@code variant} moves the lungs and the nodule so variants embed differently. */
    static BufferedImage chestXray(int size, int variant) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(40, 40, 40), 0, size, new Color(150, 150, 150)));
        g.fillRect(0, 0, size, size);
        double shift = (variant % 5) * size * 0.03;
        g.setColor(new Color(25, 25, 25));
        g.fill(new Ellipse2D.Double(size * 0.15 + shift, size * 0.2, size * 0.3, size * 0.55));
        g.fill(new Ellipse2D.Double(size * 0.55 - shift, size * 0.2, size * 0.3, size * 0.55));
        g.setColor(new Color(200, 200, 200));
        g.setStroke(new BasicStroke(Math.max(1f, size / 100f)));
        for (int rib = 0; rib < 6; rib++) {
            int y = (int) (size * (0.25 + rib * 0.09));
            g.drawArc((int) (size * 0.12), y, (int) (size * 0.76), (int) (size * 0.18), 20, 140);
        }
        g.setColor(new Color(235, 235, 235));
        double nodule = size * (0.05 + 0.02 * (variant % 3));
        g.fill(new Ellipse2D.Double(size * (0.25 + 0.1 * (variant % 4)), size * 0.45, nodule, nodule));
        g.dispose();
        return image;
    }

    static byte[] png(BufferedImage image) {
        return encode(image, "png");
    }

    static byte[] jpeg(BufferedImage image) {
        return encode(image, "jpeg");
    }

    static byte[] chestPng(int size, int variant) {
        return png(chestXray(size, variant));
    }

    static byte[] chestJpeg(int size, int variant) {
        return jpeg(chestXray(size, variant));
    }

    private static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
