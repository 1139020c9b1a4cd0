package dev.kindred.topology.internals;

import java.util.ArrayList;
import java.util.List;

/**
 * Exceptions described for logs without their messages: a message can quote the record being processed (names,
 * birth dates, values), and logs are read by people who may not see patient data. What is left (the classes of
 * the cause chain and where the root cause was thrown) is enough to find the fault in the code.
 */
public final class Scrubbed {
    private static final int FRAMES = 8;

    private Scrubbed() {
    }

    /** E.g. {@code a.StreamsException <- b.IllegalStateException at c.D.e(D.java:12) < ...}. */
    public static String describe(Throwable e) {
        List<String> chain = new ArrayList<>();
        Throwable root = e;
        for (Throwable t = e; t != null && chain.size() < 10; t = t.getCause()) {
            chain.add(t.getClass().getName());
            root = t;
        }
        StringBuilder out = new StringBuilder(String.join(" <- ", chain));
        StackTraceElement[] frames = root.getStackTrace();
        for (int i = 0; i < Math.min(FRAMES, frames.length); i++) {
            out.append(i == 0 ? " at " : " < ").append(frames[i]);
        }
        return out.toString();
    }
}
