package dev.kindred.index.hnsw;

import dev.kindred.index.DistanceMetric;
import dev.kindred.index.kernels.VectorMath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Float vectors in a memory-mapped file, for quantized indexes: the heap holds only the codes the graph is
 * searched with, and the floats, read only to rescore a search's top candidates (and while linking new nodes),
 * stay in the page cache, which the operating system may evict under memory pressure. The source of truth is
 * still the index's topic (or snapshot), so the file is scratch: it is unlinked as soon as it is open.
 *
 * <p>The file is mapped in chunks of whole vectors (at most 64 MiB each), added as the index grows.
 */
final class MappedFloatVectors extends FloatVectors {
    private static final long CHUNK_BYTES = 64L << 20;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private final FileChannel channel;
    private final int vectorBytes;
    private final int perChunk;
    private FloatBuffer[] views = new FloatBuffer[0];
    private int capacity;

    MappedFloatVectors(DistanceMetric metric, int dimensions, int capacity, Path directory) {
        super(metric, dimensions, capacity);
        this.vectorBytes = 4 * dimensions;
        this.perChunk = (int) Math.max(1, CHUNK_BYTES / vectorBytes);
        try {
            Path dir = directory != null ? directory : Path.of(System.getProperty("java.io.tmpdir"));
            Files.createDirectories(dir);
            Path file = Files.createTempFile(dir, "kindred-vectors-", ".f32");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                Files.delete(file); // the mapping and the open channel keep the data; nothing is left behind
            } catch (IOException e) {
                file.toFile().deleteOnExit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a vector file in " + directory, e);
        }
        grow(capacity);
    }

    @Override
    void grow(int wanted) {
        super.grow(wanted);
        if (wanted <= capacity) {
            return;
        }
        int needed = (wanted + perChunk - 1) / perChunk;
        int had = views.length;
        views = Arrays.copyOf(views, needed);
        try {
            for (int c = had; c < needed; c++) {
                views[c] = channel.map(FileChannel.MapMode.READ_WRITE, (long) c * perChunk * vectorBytes,
                        (long) perChunk * vectorBytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map the vector file", e);
        }
        capacity = needed * perChunk;
    }

    @Override
    void copyInto(int slot, float[] out) {
        views[slot / perChunk].get((slot % perChunk) * dimensions, out);
    }

    @Override
    void store(int slot, float[] vector) {
        views[slot / perChunk].put((slot % perChunk) * dimensions, vector);
    }

    /**
     * The vector at {@code slot} copied into this thread's scratch array (a bulk copy, fast), for the array kernels:
     * the Vector API's loads from buffers changed between JDK releases (JDK 22 replaced them by memory segments),
     * arrays work on every JDK the index runs on.
     */
    private float[] load(int slot) {
        float[] scratch = SCRATCH.get();
        if (scratch.length != dimensions) {
            scratch = new float[dimensions];
            SCRATCH.set(scratch);
        }
        copyInto(slot, scratch);
        return scratch;
    }

    @Override
    float dot(float[] query, int slot) {
        return VectorMath.dot(query, load(slot));
    }

    @Override
    float squaredDistance(float[] query, int slot) {
        return VectorMath.squaredDistance(query, load(slot));
    }

    @Override
    long heapBytes(int slots) {
        return 16 + 64L * views.length + normBytes();
    }

    @Override
    long mappedBytes(int slots) {
        return (long) slots * vectorBytes;
    }

    @Override
    void close() {
        try {
            channel.close(); // the mappings stay valid until they are collected
        } catch (IOException e) {
            // nothing to recover: the file is already unlinked
        }
    }
}
