package dev.kindred.index.snapshot;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Reads what {@link SnapshotOutput} wrote (little-endian), keeping the CRC-32C of everything consumed so that
 * {@link #verifyEnd()} can compare it with the trailer. Any inconsistency is an {@link IOException}: the
 * caller then discards what it read.
 */
public final class SnapshotInput {
    /** Bound on a single length field, so a corrupt length cannot make the reader allocate gigabytes. */
    private static final int MAX_LENGTH = 1 << 30;

    private final ReadableByteChannel channel;
    private final long totalBytes;
    /** Bytes before the buffer's start. */
    private long base;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private boolean eof;

    public SnapshotInput(ReadableByteChannel channel, long totalBytes) {
        this.channel = channel;
        this.totalBytes = totalBytes;
        buffer.limit(0);
    }

    /** Bytes not consumed yet, trailer included. */
    public long remaining() {
        return totalBytes - base - buffer.position();
    }

    private void need(int bytes) throws IOException {
        if (buffer.remaining() >= bytes) {
            return;
        }
        // Everything before position has been consumed: checksum it, keep the rest, refill.
        crc.update(buffer.array(), 0, buffer.position());
        base += buffer.position();
        buffer.compact();
        while (buffer.position() < bytes && !eof) {
            if (channel.read(buffer) < 0) {
                eof = true;
            }
        }
        buffer.flip();
        if (buffer.remaining() < bytes) {
            throw new EOFException("snapshot ends early");
        }
    }

    public int readByte() throws IOException {
        need(1);
        return buffer.get() & 0xff;
    }

    public int readInt() throws IOException {
        need(4);
        return buffer.getInt();
    }

    public long readLong() throws IOException {
        need(8);
        return buffer.getLong();
    }

    public float readFloat() throws IOException {
        need(4);
        return buffer.getFloat();
    }

    public int readLength(int max) throws IOException {
        int n = readInt();
        if (n < -1 || n > Math.min(max, MAX_LENGTH) || n > remaining()) {
            throw new IOException("corrupt length " + n);
        }
        return n;
    }

    public void readFloats(float[] into) throws IOException {
        int i = 0;
        while (i < into.length) {
            need(4);
            int n = Math.min(into.length - i, buffer.remaining() / 4);
            buffer.asFloatBuffer().get(into, i, n);
            buffer.position(buffer.position() + n * 4);
            i += n;
        }
    }

    public void readInts(int[] into, int offset, int length) throws IOException {
        int i = 0;
        while (i < length) {
            need(4);
            int n = Math.min(length - i, buffer.remaining() / 4);
            buffer.asIntBuffer().get(into, offset + i, n);
            buffer.position(buffer.position() + n * 4);
            i += n;
        }
    }

    public byte[] readBytes() throws IOException {
        int n = readLength(MAX_LENGTH);
        if (n < 0) {
            return null;
        }
        byte[] bytes = new byte[n];
        int i = 0;
        while (i < n) {
            need(1);
            int chunk = Math.min(n - i, buffer.remaining());
            buffer.get(bytes, i, chunk);
            i += chunk;
        }
        return bytes;
    }

    public String readString() throws IOException {
        byte[] bytes = readBytes();
        if (bytes == null) {
            throw new IOException("corrupt string");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Reads the trailer and checks it against everything read before it and that nothing follows. */
    public void verifyEnd() throws IOException {
        crc.update(buffer.array(), 0, buffer.position());
        buffer.compact();
        buffer.flip();
        long expected = crc.getValue();
        // the trailer itself is not part of the checksum: read it without going through need()
        while (buffer.remaining() < 8 && !eof) {
            buffer.compact();
            if (channel.read(buffer) < 0) {
                eof = true;
            }
            buffer.flip();
        }
        if (buffer.remaining() < 8) {
            throw new EOFException("snapshot has no checksum trailer");
        }
        long actual = buffer.getLong();
        if (actual != expected) {
            throw new IOException("snapshot checksum mismatch");
        }
        if (buffer.hasRemaining() || (!eof && channel.read(ByteBuffer.allocate(1)) > 0)) {
            throw new IOException("snapshot has trailing bytes");
        }
    }
}
