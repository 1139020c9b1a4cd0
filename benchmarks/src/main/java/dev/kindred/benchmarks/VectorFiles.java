package dev.kindred.benchmarks;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's vectors and ground truth as files for the peers that run in their own processes (FAISS, Lucene
 * 10): the customary {@code .fvecs} (per vector: int32 dimensions, then the floats) and {@code .ivecs} (per row:
 * int32 count, then the ids), little-endian.
 */
final class VectorFiles {

    private VectorFiles() {
    }

    /** Writes vectors; {@code unit} scales each to unit length (cosine as inner product, for FAISS and Lucene). */
    static void writeFvecs(Path file, float[][] vectors, boolean unit) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            for (float[] v : vectors) {
                double norm = 0;
                for (float f : v) {
                    norm += (double) f * f;
                }
                float scale = unit && norm > 0 ? (float) (1 / Math.sqrt(norm)) : 1;
                writeInt(out, v.length);
                for (float f : v) {
                    writeInt(out, Float.floatToIntBits(f * scale));
                }
            }
        }
    }

    static void writeIvecs(Path file, int[][] rows) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            for (int[] row : rows) {
                writeInt(out, row.length);
                for (int id : row) {
                    writeInt(out, id);
                }
            }
        }
    }

    private static void writeInt(OutputStream out, int v) throws IOException {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
