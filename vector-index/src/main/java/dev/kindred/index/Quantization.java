package dev.kindred.index;

import java.util.Locale;

/**
 * How an index compresses its vectors for search. A quantized index walks its graph with compact codes, takes
 * the {@code ceil(k * oversample)} best candidates, rescores them with the float vectors and returns the best
 * {@code k} by exact distance. The float vectors then live in a memory-mapped file rather than on the heap, so
 * the heap holds the codes and the graph only. The codes are derived: the vectors stay float wherever they come
 * from (topic, snapshot), and changing the quantization only rebuilds.
 *
 * @param kind the codes
 * @param oversample candidates rescored per wanted result ({@code >= 1})
 */
public record Quantization(Kind kind, double oversample) {

    /** The kinds of codes. */
    public enum Kind {
        /** Float vectors on the heap, searched exactly. */
        NONE,
        /** One byte per dimension (per-dimension ranges): about a quarter of the float memory. */
        INT8,
        /** One bit per dimension (RaBitQ-style estimator): about a thirtieth of the float memory. */
        BINARY
    }

    /** No quantization. */
    public static final Quantization NONE = new Quantization(Kind.NONE, 1);

    public Quantization {
        if (kind == null || !(oversample >= 1) || oversample > 100) {
            throw new IllegalArgumentException("quantization needs a kind and 1 <= oversample <= 100: " + kind + ", "
                    + oversample);
        }
    }

    /** int8 codes, rescoring twice as many candidates as wanted. */
    public static Quantization int8() {
        return new Quantization(Kind.INT8, 2);
    }

    /** 1-bit codes, rescoring five times as many candidates as wanted. */
    public static Quantization binary() {
        return new Quantization(Kind.BINARY, 5);
    }

    /** Candidates to rescore for {@code k} results. */
    public int candidates(int k) {
        return (int) Math.ceil(k * oversample);
    }

    /**
     * Reads {@code none}, {@code int8} or {@code binary}, each optionally followed by {@code :oversample} (e.g.
     * {@code int8:3}); case does not matter.
     */
    public static Quantization parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split(":", 2);
        Quantization base = switch (parts[0]) {
            case "none", "" -> NONE;
            case "int8" -> int8();
            case "binary", "1bit", "1-bit" -> binary();
            default -> throw new IllegalArgumentException("unknown quantization " + text
                    + " (none, int8 or binary, optionally with :oversample)");
        };
        if (parts.length == 1 || base.kind == Kind.NONE) {
            return base;
        }
        try {
            return new Quantization(base.kind, Double.parseDouble(parts[1]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid oversample in " + text, e);
        }
    }

    @Override
    public String toString() {
        return kind == Kind.NONE ? "none" : kind.name().toLowerCase(Locale.ROOT) + ":" + oversample;
    }
}
