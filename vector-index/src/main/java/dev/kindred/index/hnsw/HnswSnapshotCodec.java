package dev.kindred.index.hnsw;

import static dev.kindred.index.snapshot.StaleSnapshotException.expect;

import dev.kindred.index.ForwardingVectorIndex;
import dev.kindred.index.IndexSpec;
import dev.kindred.index.IndexTuning;
import dev.kindred.index.IndexedVector;
import dev.kindred.index.PayloadCodec;
import dev.kindred.index.Quantization;
import dev.kindred.index.VectorIndex;
import dev.kindred.index.quantization.BinaryQuantizer;
import dev.kindred.index.quantization.ScalarQuantizer;
import dev.kindred.index.snapshot.SnapshotInput;
import dev.kindred.index.snapshot.SnapshotOutput;
import java.io.IOException;

/**
 * The snapshot format of one {@link HnswVectorIndex}: everything needed to serve it again without rebuilding.
 *
 * <p>Layout (little-endian, inside the caller's stream): magic {@code KHNS}, format version; the shape (metric,
 * dimensions, {@code m}, {@code efConstruction}, quantization kind), which must match the reader's
 * {@link IndexSpec}; the graph (node count, entry point, top level, then per node its level, tombstone flag,
 * float vector and lists); the quantizer's parameters, when trained (int8: each dimension's lower bound and
 * step; binary: the centroid), from which the codes are encoded again on load; the live items (slot, key,
 * version, payload bytes). The caller's stream checksums the whole.
 *
 * <p>Reading checks every count and link against the rest, so a corrupt file is an {@link IOException}, never a
 * broken index; a file of another shape is a {@code StaleSnapshotException}.
 */
public final class HnswSnapshotCodec {
    private static final int MAGIC = 0x534e484b; // "KHNS" read as little-endian bytes
    private static final int FORMAT = 1;

    private HnswSnapshotCodec() {
    }

    /**
     * Writes {@code index} (or the HNSW index under its decorators). Holds the index's monitor meanwhile, so no
     * write or compaction swap interleaves.
     */
    public static <P> void write(VectorIndex<P> index, SnapshotOutput out, PayloadCodec<P> codec) throws IOException {
        if (!(ForwardingVectorIndex.unwrap(index) instanceof HnswVectorIndex<P> hnsw)) {
            throw new IllegalArgumentException("not an HNSW index: " + index.name());
        }
        synchronized (hnsw) {
            writeLocked(hnsw, out, codec);
        }
    }

    private static <P> void writeLocked(HnswVectorIndex<P> index, SnapshotOutput out, PayloadCodec<P> codec)
            throws IOException {
        IndexSpec spec = index.spec();
        Segment<P> s = index.segment();
        HnswGraph g = s.graph;
        out.writeInt(MAGIC);
        out.writeInt(FORMAT);
        out.writeString(spec.metric().name());
        out.writeInt(index.dimensions());
        out.writeInt(spec.parameters().m());
        out.writeInt(spec.parameters().efConstruction());
        out.writeString(spec.quantization().kind().name());
        out.writeInt(g.size());
        out.writeInt(g.entry());
        out.writeInt(g.maxLevel());
        for (int node = 0; node < g.size(); node++) {
            int level = g.level(node);
            out.writeByte(level);
            out.writeByte(s.deleted[node] ? 1 : 0);
            out.writeFloats(s.vectorAt(node));
            for (int l = 0; l <= level; l++) {
                int[] list = g.copyLinks(node, l);
                out.writeInts(list, 0, list[0] + 1);
            }
        }
        QuantizedCodes codes = s.codes;
        if (codes instanceof QuantizedCodes.Int8 int8) {
            out.writeByte(1);
            out.writeFloats(int8.quantizer.lower());
            out.writeFloats(int8.quantizer.step());
        } else if (codes instanceof QuantizedCodes.Binary binary) {
            out.writeByte(2);
            out.writeFloats(binary.quantizer.centroid());
        } else {
            out.writeByte(0);
        }
        out.writeInt(s.live);
        for (int slot = 0; slot < g.size(); slot++) {
            IndexedVector<P> item = s.items[slot];
            if (item != null) {
                out.writeInt(slot);
                out.writeString(item.key());
                out.writeLong(item.version());
                out.writeBytes(codec.encode(item.payload()));
            }
        }
    }

    /**
     * Reads an index written by {@link #write} for {@code spec}.
     *
     * @throws dev.kindred.index.snapshot.StaleSnapshotException when it was written for another shape
     * @throws IOException when it is truncated or inconsistent
     */
    public static <P> HnswVectorIndex<P> read(SnapshotInput in, String name, IndexSpec spec, IndexTuning tuning,
            PayloadCodec<P> codec) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not an HNSW index");
        }
        expect("index format of " + name, in.readInt(), FORMAT);
        expect("metric of " + name, in.readString(), spec.metric().name());
        int dimensions = in.readInt();
        if (dimensions < 1 || dimensions > 1 << 20) {
            throw new IOException("corrupt dimensions " + dimensions);
        }
        int m = spec.parameters().m();
        expect("m of " + name, in.readInt(), m);
        expect("efConstruction of " + name, in.readInt(), spec.parameters().efConstruction());
        expect("quantization of " + name, in.readString(), spec.quantization().kind().name());
        int size = in.readLength(Integer.MAX_VALUE - 16);
        int entry = in.readInt();
        int maxLevel = in.readInt();
        if (size < 0 || entry < -1 || entry >= size || maxLevel < -1 || maxLevel > HnswGraph.MAX_LEVEL
                || (size > 0) != (entry >= 0) || (long) size * (6 + 4L * dimensions) > in.remaining()) {
            throw new IOException("corrupt graph header");
        }
        Segment<P> s = HnswVectorIndex.newSegment(spec, dimensions, tuning, size + 16);
        try {
            readInto(in, s, size, entry, maxLevel, spec, codec);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return new HnswVectorIndex<>(name, spec, dimensions, tuning, s);
    }

    private static <P> void readInto(SnapshotInput in, Segment<P> s, int size, int entry, int maxLevel, IndexSpec spec,
            PayloadCodec<P> codec) throws IOException {
        HnswGraph g = s.graph;
        int dimensions = s.vectors.dimensions;
        for (int node = 0; node < size; node++) {
            int level = in.readByte();
            int flag = in.readByte();
            if (level > maxLevel || flag > 1) {
                throw new IOException("corrupt node " + node);
            }
            float[] vector = new float[dimensions];
            in.readFloats(vector);
            s.vectors.set(node, vector);
            g.addNode(level);
            if (flag == 1) {
                s.deleted[node] = true;
                s.deletedCount++;
            }
            for (int l = 0; l <= level; l++) {
                int[] list = new int[g.maxConnections(l) + 1];
                list[0] = in.readLength(g.maxConnections(l));
                in.readInts(list, 1, list[0]);
                for (int i = 1; i <= list[0]; i++) {
                    if (list[i] < 0 || list[i] >= size) {
                        throw new IOException("corrupt link " + list[i]);
                    }
                }
                g.setLinks(node, l, list);
            }
        }
        if (entry >= 0 && g.level(entry) != maxLevel) {
            throw new IOException("corrupt entry point");
        }
        g.setEntry(entry);
        checkUpperLinks(g);
        int quantizer = in.readByte();
        QuantizedCodes codes = switch (quantizer) {
            case 0 -> null;
            case 1 -> new QuantizedCodes.Int8(spec.metric(), ScalarQuantizer.of(floats(in, dimensions),
                    floats(in, dimensions)), g.capacity());
            case 2 -> new QuantizedCodes.Binary(spec.metric(), BinaryQuantizer.of(floats(in, dimensions)),
                    g.capacity());
            default -> throw new IOException("corrupt quantizer " + quantizer);
        };
        if (codes != null && codes.kind() != spec.quantization().kind()) {
            throw new IOException("quantizer of another kind");
        }
        readItems(in, s, codec);
        if (codes != null) {
            s.useCodes(codes);
        }
    }

    private static float[] floats(SnapshotInput in, int n) throws IOException {
        float[] values = new float[n];
        in.readFloats(values);
        return values;
    }

    private static void checkUpperLinks(HnswGraph g) throws IOException {
        for (int node = 0; node < g.size(); node++) {
            for (int l = 1; l <= g.level(node); l++) {
                int[] list = g.copyLinks(node, l);
                for (int i = 1; i <= list[0]; i++) {
                    if (g.level(list[i]) < l) {
                        throw new IOException("corrupt link at level " + l);
                    }
                }
            }
        }
    }

    private static <P> void readItems(SnapshotInput in, Segment<P> s, PayloadCodec<P> codec) throws IOException {
        int size = s.graph.size();
        int live = in.readLength(size);
        int previous = -1;
        for (int i = 0; i < live; i++) {
            int slot = in.readInt();
            if (slot <= previous || slot >= size || s.deleted[slot]) {
                throw new IOException("corrupt item slot " + slot);
            }
            previous = slot;
            String key = in.readString();
            long version = in.readLong();
            P payload = codec.decode(in.readBytes());
            s.place(slot, Segment.stored(key, version, payload));
        }
        if (s.slots.size() != live) {
            throw new IOException("duplicate keys in snapshot");
        }
        for (int slot = 0; slot < size; slot++) {
            if (s.items[slot] == null) {
                if (!s.deleted[slot]) {
                    throw new IOException("live slot " + slot + " without an item");
                }
                if (s.freeCount == s.free.length) {
                    s.free = java.util.Arrays.copyOf(s.free, s.free.length * 2);
                }
                s.free[s.freeCount++] = slot;
            }
        }
    }
}
