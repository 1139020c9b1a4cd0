package dev.kindred.serde;

import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryClients;
import dev.kindred.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.UnresolvedUnionException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (generated {@link SpecificRecord}s or {@link org.apache.avro.generic.GenericRecord}s)
 * in the Confluent wire format: byte 0 = 0x00, bytes 1–4 = the schema's registry id (big-endian), then
 * the Avro binary encoding. The schema is registered (or, with {@code auto.register.schemas=false}, looked
 * up) under {@code <topic>-value} or {@code <topic>-key}.
 *
 * <p>Hot path: one cached id lookup, one cached writer, a per-thread reused buffer and encoder; the registry
 * is asked once per topic and schema. Thread-safe. {@code null} serializes to {@code null} (tombstones).
 * Failures are {@link SerializationException}s, whose messages and causes never quote record contents.
 * When the registry cannot be reached or fails (5xx) it is a {@link TimeoutException} instead (retriable),
 * so an exception handler can tell a registry outage from a bad record.
 */
public class RegistryAvroSerializer<T> implements Serializer<T> {

    private static final ThreadLocal<Output> OUTPUT = ThreadLocal.withInitial(Output::new);
    private static final int MAX_KEPT_BUFFER = 1 << 20;

    private SchemaRegistryClient client;
    private boolean ownsClient;
    private boolean isKey;
    private boolean autoRegister = true;
    private final Map<String, String> subjects = new ConcurrentHashMap<>();
    private final Map<Class<?>, DatumWriter<Object>> specificWriters = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<Object>> genericWriters = new ConcurrentHashMap<>();

    /** For Kafka to create from a class name; {@link #configure} must follow. */
    public RegistryAvroSerializer() {
    }

    /**
     * A serializer using {@code client}, which the caller keeps owning. Usable at once as a value
     * serializer with {@code auto.register.schemas=true}; {@link #configure} may change that.
     */
    public RegistryAvroSerializer(SchemaRegistryClient client) {
        this.client = client;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        RegistryAvroSerdeConfig config = new RegistryAvroSerdeConfig(configs);
        this.isKey = isKey;
        this.autoRegister = config.autoRegisterSchemas();
        if (client == null) {
            client = SchemaRegistryClients.create(config);
            ownsClient = true;
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (!(data instanceof IndexedRecord)) {
            throw new SerializationException("RegistryAvroSerializer writes Avro records, not "
                + data.getClass().getName());
        }
        if (client == null) {
            throw new IllegalStateException("RegistryAvroSerializer is not configured: call configure() first");
        }
        IndexedRecord record = (IndexedRecord) data;
        Schema schema = record.getSchema();
        int id = schemaId(topic, schema);
        DatumWriter<Object> writer = writerFor(record, schema);

        Output out = OUTPUT.get();
        out.reset();
        out.write(0);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            out.encoder = EncoderFactory.get().binaryEncoder(out, out.encoder);
            writer.write(record, out.encoder);
            out.encoder.flush();
        } catch (IOException | RuntimeException e) {
            OUTPUT.remove();  // the encoder may still buffer part of this record: never reuse it
            throw failure(e, schema, topic);
        }
        byte[] bytes = out.toByteArray();
        if (out.size() > MAX_KEPT_BUFFER) {
            OUTPUT.remove();
        }
        return bytes;
    }

    private static SerializationException failure(Exception e, Schema schema, String topic) {
        String prefix = "Cannot serialize a " + schema.getFullName() + " for topic " + topic + ": ";
        if (e instanceof NullPointerException || e instanceof ClassCastException) {
            // Avro's messages for these name the field and the types, never the value
            return new SerializationException(prefix + e.getMessage(), e);
        }
        if (e instanceof UnresolvedUnionException) {
            return new SerializationException(prefix + "a union field holds a value that matches none of its types");
        }
        // other Avro messages may quote the offending value: keep it, and the cause, out of logs
        return new SerializationException(prefix + e.getClass().getSimpleName()
            + " (details withheld: they may quote record values)");
    }

    private int schemaId(String topic, Schema schema) {
        if (topic == null) {
            throw new SerializationException("A topic is needed to name the subject (TopicNameStrategy)");
        }
        String subject = subjects.computeIfAbsent(topic, t -> t + (isKey ? "-key" : "-value"));
        try {
            return autoRegister ? client.register(subject, schema) : client.getId(subject, schema);
        } catch (SchemaRegistryException e) {
            throw translate(e, "Cannot " + (autoRegister ? "register" : "find the registered")
                + " schema " + schema.getFullName() + " under subject " + subject + ": " + e.getMessage());
        }
    }

    /** Turns a registry error into the exception a Kafka client expects. */
    static KafkaException translate(SchemaRegistryException e, String message) {
        return e.isRetriable() ? new TimeoutException(message, e) : new SerializationException(message, e);
    }

    @SuppressWarnings("unchecked")
    private DatumWriter<Object> writerFor(IndexedRecord record, Schema schema) {
        if (record instanceof SpecificRecord) {
            DatumWriter<Object> writer = specificWriters.get(record.getClass());
            return writer != null ? writer : specificWriters.computeIfAbsent(record.getClass(),
                type -> new SpecificDatumWriter<>(schema, SpecificData.getForClass((Class<Object>) type)));
        }
        DatumWriter<Object> writer = genericWriters.get(schema);
        return writer != null ? writer
            : genericWriters.computeIfAbsent(schema, s -> new GenericDatumWriter<>(s, GenericData.get()));
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }

    /** A per-thread growable buffer and the encoder reused with it. */
    private static final class Output extends ByteArrayOutputStream {
        BinaryEncoder encoder;

        Output() {
            super(512);
        }
    }
}
