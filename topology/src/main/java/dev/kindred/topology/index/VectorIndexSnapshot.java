package dev.kindred.topology.index;

import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.PayloadCodec;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.VectorIndexes;
import dev.kindred.index.snapshot.SnapshotInput;
import dev.kindred.index.snapshot.SnapshotOutput;
import dev.kindred.index.snapshot.StaleSnapshotException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.common.TopicPartition;

/**
 * The snapshot file of a {@link VectorIndexStore}: every index (items, vectors and graph) together with the
 * source-topic offsets they reflect, so a restart loads the graph and replays only the topic after those
 * offsets.
 *
 * <p>Layout (little-endian): magic {@code KNDX}, format version, store name, source topic, payload format id,
 * the offsets, then per index its space name and the index as its codec writes it
 * ({@link VectorIndexes#writeSnapshot}: shape, graph, vectors, quantizer, items); last a CRC-32C of everything
 * before it. A file is written to a temporary name, forced to disk and
 * atomically renamed over the previous snapshot, so a crash leaves either the old or the new snapshot, never
 * a torn one.
 *
 * <p>Reading is all or nothing: a file that is truncated, fails its checksum or has inconsistent contents
 * ({@link IOException}), or was written for another store, topic, payload format, metric, graph shape or
 * quantization ({@link StaleSnapshotException}) yields nothing, and the caller rebuilds from the topic.
 */
public final class VectorIndexSnapshot {
    private static final int MAGIC = 0x58444e4b; // "KNDX" read as little-endian bytes
    /** 2: each index in its codec's own format (1 had the store write the graph). */
    private static final int FORMAT = 2;

    private VectorIndexSnapshot() {
    }

    /** A snapshot's header fields that must match the reading store. */
    public record Identity(String storeName, String sourceTopic, String payloadFormat) {
        public Identity {
            sourceTopic = sourceTopic == null ? "" : sourceTopic;
        }
    }

    /** What a snapshot holds. */
    public record Contents<P>(Map<TopicPartition, Long> offsets, Map<String, VectorIndex<P>> indexes) {
    }

    /**
     * Writes {@code indexes} and {@code offsets} to {@code file} atomically.
     *
     * @return the size of the file in bytes
     */
    public static <P> long write(Path file, Identity identity, PayloadCodec<P> codec,
            Map<TopicPartition, Long> offsets, Map<String, VectorIndex<P>> indexes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        long bytes;
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            SnapshotOutput out = new SnapshotOutput(channel);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeString(identity.storeName());
            out.writeString(identity.sourceTopic());
            out.writeString(codec.formatId());
            Map<TopicPartition, Long> sorted = new TreeMap<>(
                    (a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition())
                            : a.topic().compareTo(b.topic()));
            sorted.putAll(offsets);
            out.writeInt(sorted.size());
            for (Map.Entry<TopicPartition, Long> e : sorted.entrySet()) {
                out.writeString(e.getKey().topic());
                out.writeInt(e.getKey().partition());
                out.writeLong(e.getValue());
            }
            out.writeInt(indexes.size());
            for (Map.Entry<String, VectorIndex<P>> e : new TreeMap<>(indexes).entrySet()) {
                out.writeString(e.getKey());
                VectorIndexes.writeSnapshot(e.getValue(), out, codec);
            }
            out.finish();
            bytes = out.bytesWritten();
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not every platform can sync a directory; the rename is still atomic.
        }
        return bytes;
    }

    /**
     * Reads a snapshot written by {@link #write}.
     *
     * @param specs the reader's spec for each index name; an index whose stored metric, graph shape or
     *     quantization differs makes the whole snapshot stale
     * @param nameOf the index name to give each space
     * @throws StaleSnapshotException when the snapshot belongs to another configuration
     * @throws IOException when it is unreadable, truncated or corrupt
     */
    public static <P> Contents<P> read(Path file, Identity identity, PayloadCodec<P> codec,
            Function<String, IndexSpec> specs, Function<String, String> nameOf, IndexTuning tuning) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SnapshotInput in = new SnapshotInput(channel, channel.size());
            if (in.readInt() != MAGIC) {
                throw new IOException("not an index snapshot");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new StaleSnapshotException("snapshot format " + format + ", this version reads " + FORMAT);
            }
            expect("store", in.readString(), identity.storeName());
            expect("source topic", in.readString(), identity.sourceTopic());
            expect("payload format", in.readString(), codec.formatId());
            int partitions = in.readLength(1 << 20);
            Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
            for (int i = 0; i < partitions; i++) {
                TopicPartition tp = new TopicPartition(in.readString(), in.readInt());
                long offset = in.readLong();
                if (offset < 0 || offsets.put(tp, offset) != null) {
                    throw new IOException("corrupt offsets");
                }
            }
            int count = in.readLength(1 << 16);
            Map<String, VectorIndex<P>> indexes = new LinkedHashMap<>();
            try {
                for (int i = 0; i < count; i++) {
                    String space = in.readString();
                    indexes.put(space, VectorIndexes.readSnapshot(in, nameOf.apply(space), specs.apply(space), tuning,
                            codec));
                }
                in.verifyEnd();
            } catch (IOException | RuntimeException e) {
                indexes.values().forEach(VectorIndex::close); // a quantized index holds a mapped file
                throw e;
            }
            return new Contents<>(offsets, indexes);
        }
    }

    private static void expect(String what, Object found, Object expected) throws StaleSnapshotException {
        StaleSnapshotException.expect(what, found, expected);
    }
}
