package dev.kindred.imaging;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive from Java, the format {@code torch.jit.save} produces and {@code torch.jit.load}
 * (and so DJL's PyTorch engine) reads: a zip holding the module's TorchScript source under {@code code/},
 * its attributes as a pickle ({@code data.pkl}, protocol 2, tensors as persistent ids into {@code data/N}),
 * an empty constants pickle and the file format version. The module is one class whose attributes are float
 * tensors and whose {@code forward} is TorchScript source that PyTorch compiles at load time.
 */
final class TorchScriptWriter {
    private static final LocalDateTime FIXED_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);

    private final String className;
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();

    private record Tensor(float[] values, long[] shape) {}

    TorchScriptWriter(String className) {
        this.className = className;
    }

    TorchScriptWriter parameter(String name, float[] values, long... shape) {
        parameters.put(name, new Tensor(values, shape));
        return this;
    }

    /** Writes the archive; {@code forwardBody} is the indented body of {@code forward(self, x: Tensor) -> Tensor}. */
    void write(Path file, String forwardBody) throws IOException {
        String archive = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, archive + "/data.pkl", dataPickle());
            stored(zip, archive + "/code/__torch__.py", source(forwardBody).getBytes(StandardCharsets.UTF_8));
            stored(zip, archive + "/constants.pkl", new Pickle().emptyTuple().stop());
            int key = 0;
            for (Tensor tensor : parameters.values()) {
                ByteBuffer raw = ByteBuffer.allocate(tensor.values().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                raw.asFloatBuffer().put(tensor.values());
                stored(zip, archive + "/data/" + key++, raw.array());
            }
            stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private String source(String forwardBody) {
        StringBuilder code = new StringBuilder("class ").append(className).append("(Module):\n");
        code.append("  __parameters__ = [");
        parameters.keySet().forEach(name -> code.append('"').append(name).append("\", "));
        code.append("]\n  __buffers__ = []\n");
        parameters.keySet().forEach(name -> code.append("  ").append(name).append(" : Tensor\n"));
        code.append("  training : bool\n");
        code.append("  def forward(self: __torch__.").append(className).append(",\n    x: Tensor) -> Tensor:\n");
        code.append(forwardBody);
        return code.toString();
    }

    /** The module object: GLOBAL class, NEWOBJ, then BUILD with a dict of every attribute. */
    private byte[] dataPickle() {
        Pickle pickle = new Pickle().global("__torch__", className).emptyTuple().newObj().emptyDict().mark();
        pickle.string("training").bool(false);
        int key = 0;
        for (Map.Entry<String, Tensor> entry : parameters.entrySet()) {
            pickle.string(entry.getKey());
            tensor(pickle, entry.getValue(), key++);
        }
        return pickle.setItems().build().stop();
    }

    /** torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks). */
    private static void tensor(Pickle pickle, Tensor tensor, int key) {
        long[] shape = tensor.shape();
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= shape[i];
        }
        pickle.global("torch._utils", "_rebuild_tensor_v2").mark();
        pickle.mark().string("storage").global("torch", "FloatStorage").string(Integer.toString(key)).string("cpu")
                .integer(tensor.values().length).tuple().binPersId();
        pickle.integer(0);
        pickle.mark();
        for (long dim : shape) {
            pickle.integer(dim);
        }
        pickle.tuple().mark();
        for (long s : strides) {
            pickle.integer(s);
        }
        pickle.tuple().bool(false).global("collections", "OrderedDict").emptyTuple().reduce();
        pickle.tuple().reduce();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setTimeLocal(FIXED_TIME); // the same bytes for the same model, whenever it is written
        entry.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    /** The pickle protocol 2 opcodes this archive needs. */
    private static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            out.write(0x80); // PROTO
            out.write(2);
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickle string(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            op('X'); // BINUNICODE
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
            out.writeBytes(utf8);
            return this;
        }

        Pickle integer(long value) {
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("only 32-bit integers are written: " + value);
            }
            op('J'); // BININT
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value).array());
            return this;
        }

        Pickle bool(boolean value) {
            return op(value ? 0x88 : 0x89); // NEWTRUE, NEWFALSE
        }

        Pickle mark() {
            return op('(');
        }

        Pickle tuple() {
            return op('t');
        }

        Pickle emptyTuple() {
            return op(')');
        }

        Pickle emptyDict() {
            return op('}');
        }

        Pickle setItems() {
            return op('u');
        }

        Pickle newObj() {
            return op(0x81);
        }

        Pickle build() {
            return op('b');
        }

        Pickle reduce() {
            return op('R');
        }

        Pickle binPersId() {
            return op('Q');
        }

        byte[] stop() {
            op('.');
            return out.toByteArray();
        }

        private Pickle op(int code) {
            out.write(code);
            return this;
        }
    }
}
