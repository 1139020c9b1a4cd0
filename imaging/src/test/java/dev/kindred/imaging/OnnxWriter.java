package dev.kindred.imaging;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an ONNX model from Java: just enough of the ONNX protobuf schema (onnx/onnx.proto, IR 8, opset 13)
 * for a graph of float tensors with Conv, Relu, MaxPool, Add, GlobalAveragePool, Flatten and Gemm nodes.
 * ONNX is a protobuf message, so the test network can be exported without Python and loaded by ONNX Runtime
 * exactly as a hospital's exported model is.
 */
final class OnnxWriter {
    private final List<Message> nodes = new ArrayList<>();
    private final List<Message> initializers = new ArrayList<>();
    private final List<Message> inputs = new ArrayList<>();
    private final List<Message> outputs = new ArrayList<>();
    private int nodeCount;

    private long batch;

    /** Fixes the batch dimension of inputs and outputs, as some exporters do; by default it is symbolic ({@code N}). */
    OnnxWriter fixedBatch(long size) {
        this.batch = size;
        return this;
    }

    /** A float input: the batch dimension followed by the given fixed dimensions. */
    OnnxWriter input(String name, long... dimsAfterBatch) {
        inputs.add(valueInfo(name, batch, dimsAfterBatch));
        return this;
    }

    OnnxWriter output(String name, long... dimsAfterBatch) {
        outputs.add(valueInfo(name, batch, dimsAfterBatch));
        return this;
    }

    /** A constant float tensor (weights, biases), stored little-endian in raw_data. */
    OnnxWriter initializer(String name, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        Message tensor = new Message();
        for (long dim : dims) {
            tensor.int64(1, dim);
        }
        tensor.int64(2, 1); // data_type FLOAT
        tensor.string(8, name);
        tensor.bytes(9, raw.array());
        initializers.add(tensor);
        return this;
    }

    /** A node; attributes are name/value pairs, values an Integer or a long[]. */
    OnnxWriter node(String opType, List<String> nodeInputs, String output, Object... attributes) {
        Message node = new Message();
        for (String input : nodeInputs) {
            node.string(1, input);
        }
        node.string(2, output);
        node.string(3, opType.toLowerCase() + "_" + nodeCount++);
        node.string(4, opType);
        for (int i = 0; i < attributes.length; i += 2) {
            Message attribute = new Message().string(1, (String) attributes[i]);
            if (attributes[i + 1] instanceof Integer value) {
                attribute.int64(3, value).int64(20, 2); // i, type INT
            } else {
                for (long value : (long[]) attributes[i + 1]) {
                    attribute.int64(8, value);
                }
                attribute.int64(20, 7); // ints, type INTS
            }
            node.message(5, attribute);
        }
        nodes.add(node);
        return this;
    }

    void write(Path file) throws IOException {
        Message graph = new Message();
        nodes.forEach(node -> graph.message(1, node));
        graph.string(2, "kindred-test-graph");
        initializers.forEach(tensor -> graph.message(5, tensor));
        inputs.forEach(input -> graph.message(11, input));
        outputs.forEach(output -> graph.message(12, output));
        Message model = new Message()
                .int64(1, 8) // ir_version
                .string(2, "kindred-test")
                .message(7, graph)
                .message(8, new Message().string(1, "").int64(2, 13)); // opset_import: default domain, opset 13
        Files.write(file, model.toByteArray());
    }

    private static Message valueInfo(String name, long batch, long... dimsAfterBatch) {
        Message shape = new Message().message(1, batch > 0 ? new Message().int64(1, batch) : new Message().string(2, "N"));
        for (long dim : dimsAfterBatch) {
            shape.message(1, new Message().int64(1, dim));
        }
        Message tensorType = new Message().int64(1, 1).message(2, shape); // elem_type FLOAT, shape
        return new Message().string(1, name).message(2, new Message().message(1, tensorType));
    }

    /** Protobuf wire format: varint (type 0) and length-delimited (type 2) fields, all this schema needs. */
    private static final class Message {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Message int64(int field, long value) {
            varint((long) field << 3);
            varint(value);
            return this;
        }

        Message string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Message message(int field, Message value) {
            return bytes(field, value.toByteArray());
        }

        Message bytes(int field, byte[] value) {
            varint((long) field << 3 | 2);
            varint(value.length);
            out.writeBytes(value);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void varint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
