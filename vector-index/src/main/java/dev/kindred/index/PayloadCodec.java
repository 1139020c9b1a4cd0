package dev.kindred.index;

/**
 * Turns payloads into bytes and back for index snapshots. The index package knows nothing about what a
 * payload is; the application that chooses the payload type supplies its codec.
 *
 * @param <P> the payload type
 */
public interface PayloadCodec<P> {

    /**
     * Identifies the encoding (e.g. a schema fingerprint). A snapshot written with another format id is stale
     * and is not loaded: the store rebuilds from its topic instead of misreading payloads.
     */
    String formatId();

    /** The payload's bytes; may return null for a null payload. */
    byte[] encode(P payload);

    /** The payload for bytes from {@link #encode}; null bytes stand for a null payload. */
    P decode(byte[] bytes);

    /** For stores whose items carry no payload: every payload is stored and read back as null. */
    static <P> PayloadCodec<P> none() {
        return new PayloadCodec<>() {
            @Override
            public String formatId() {
                return "none";
            }

            @Override
            public byte[] encode(P payload) {
                return null;
            }

            @Override
            public P decode(byte[] bytes) {
                return null;
            }
        };
    }
}
