package dev.kindred.index.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Buffered binary writer for index snapshots: little-endian primitives and bulk float/int arrays straight from
 * a 1 MiB buffer into a channel, with a running CRC-32C over everything written (the trailer).
 */
public final class SnapshotOutput {
    private final WritableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private long written;

    public SnapshotOutput(WritableByteChannel channel) {
        this.channel = channel;
    }

    private void room(int bytes) throws IOException {
        if (buffer.remaining() < bytes) {
            drain();
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        crc.update(buffer.array(), 0, buffer.limit());
        written += buffer.limit();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    public void writeByte(int v) throws IOException {
        room(1);
        buffer.put((byte) v);
    }

    public void writeInt(int v) throws IOException {
        room(4);
        buffer.putInt(v);
    }

    public void writeLong(long v) throws IOException {
        room(8);
        buffer.putLong(v);
    }

    public void writeFloat(float v) throws IOException {
        room(4);
        buffer.putFloat(v);
    }

    public void writeFloats(float[] values) throws IOException {
        int i = 0;
        while (i < values.length) {
            room(4);
            int n = Math.min(values.length - i, buffer.remaining() / 4);
            buffer.asFloatBuffer().put(values, i, n);
            buffer.position(buffer.position() + n * 4);
            i += n;
        }
    }

    public void writeInts(int[] values, int offset, int length) throws IOException {
        int i = 0;
        while (i < length) {
            room(4);
            int n = Math.min(length - i, buffer.remaining() / 4);
            buffer.asIntBuffer().put(values, offset + i, n);
            buffer.position(buffer.position() + n * 4);
            i += n;
        }
    }

    public void writeBytes(byte[] bytes) throws IOException {
        if (bytes == null) {
            writeInt(-1);
            return;
        }
        writeInt(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            room(1);
            int n = Math.min(bytes.length - i, buffer.remaining());
            buffer.put(bytes, i, n);
            i += n;
        }
    }

    public void writeString(String s) throws IOException {
        writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes the checksum of everything before it and flushes; the output is complete after this. */
    public void finish() throws IOException {
        drain();
        long checksum = crc.getValue();
        buffer.putLong(checksum);
        buffer.flip();
        written += buffer.limit();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    public long bytesWritten() {
        return written;
    }
}
