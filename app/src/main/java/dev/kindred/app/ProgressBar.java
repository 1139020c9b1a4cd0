package dev.kindred.app;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr; on a non-terminal (CI logs) it prints a line every 10% instead of
 * redrawing.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final boolean terminal;
    private long lastDrawMillis;
    private int lastDecile = -1;

    ProgressBar(PrintStream out, String label) {
        this.out = out;
        this.label = label;
        this.terminal = System.console() != null;
    }

    synchronized void update(long done, long total) {
        long now = System.currentTimeMillis();
        int percent = total == 0 ? 100 : (int) (done * 100 / total);
        if (terminal) {
            if (done < total && now - lastDrawMillis < 100) {
                return;
            }
            lastDrawMillis = now;
            int filled = percent * WIDTH / 100;
            out.printf(Locale.ROOT, "\r%s [%s%s] %,d/%,d (%d%%)", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                    done, total, percent);
            if (done >= total) {
                out.println();
            }
        } else if (percent / 10 > lastDecile) {
            lastDecile = percent / 10;
            out.printf(Locale.ROOT, "%s %,d/%,d (%d%%)%n", label, done, total, percent);
        }
        out.flush();
    }
}
