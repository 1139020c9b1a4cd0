package dev.kindred.index.snapshot;

import java.io.IOException;

/**
 * A snapshot that is intact but belongs to another configuration (store, topic, payload format, metric, graph
 * shape, quantization or file format): it is not loaded, and the index is rebuilt from its source instead.
 */
public final class StaleSnapshotException extends IOException {
    private static final long serialVersionUID = 1L;

    public StaleSnapshotException(String message) {
        super(message);
    }

    /** Throws when {@code found} (in the snapshot) differs from {@code expected} (now). */
    public static void expect(String what, Object found, Object expected) throws StaleSnapshotException {
        if (!found.equals(expected)) {
            throw new StaleSnapshotException(what + " is " + found + " in the snapshot, " + expected + " now");
        }
    }
}
