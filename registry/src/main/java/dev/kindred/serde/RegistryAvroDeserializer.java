package dev.kindred.serde;

import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryClients;
import dev.kindred.registry.SchemaRegistryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Avro records in the Confluent wire format (0x00, 4-byte schema id, Avro binary), fetching the
 * writer schema by id from the registry once and caching a reader per id.
 *
 * <p>Given a generated record class, it reads into that class with the class's schema as reader schema,
 * so data written with an older or newer schema is resolved by Avro's schema resolution (fields added with
 * defaults get their defaults, removed fields are skipped). Without one it returns
 * {@link org.apache.avro.generic.GenericRecord}s in the writer's schema, or, with
 * {@code specific.avro.reader=true}, instances of the generated class the writer schema names.
 *
 * <p>{@code null} deserializes to {@code null} (tombstones). Bytes that are not a valid record (wrong
 * magic byte, unknown schema id, too short, truncated, trailing bytes) throw
 * {@link SerializationException}; messages never contain record contents. An unreachable registry throws a
 * retriable {@link org.apache.kafka.common.errors.TimeoutException}. Thread-safe.
 */
public class RegistryAvroDeserializer<T> implements Deserializer<T> {

    private static final ThreadLocal<BinaryDecoder> DECODER = new ThreadLocal<>();
    private static final int HEADER = 5;

    private final Class<T> type;
    private final Schema readerSchema;
    private SchemaRegistryClient client;
    private boolean ownsClient;
    private boolean specificReader;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    /** For Kafka to create from a class name ({@code specific.avro.reader} decides the result type). */
    public RegistryAvroDeserializer() {
        this(null, null);
    }

    /** A deserializer into {@code type} (a generated record class, or null for GenericRecord). */
    public RegistryAvroDeserializer(Class<T> type) {
        this(null, type);
    }

    /**
     * A deserializer using {@code client}, which the caller keeps owning, into {@code type} (a generated
     * record class, or null for GenericRecord). Usable at once; {@link #configure} is optional.
     */
    public RegistryAvroDeserializer(SchemaRegistryClient client, Class<T> type) {
        this.client = client;
        boolean specific = type != null && SpecificRecord.class.isAssignableFrom(type);
        if (type != null && !specific && !type.isAssignableFrom(GenericData.Record.class)) {
            throw new IllegalArgumentException(type.getName() + " is neither a generated Avro record class nor "
                + "a supertype of GenericRecord");
        }
        this.type = specific ? type : null;
        this.readerSchema = specific ? SpecificData.getForClass(type).getSchema(type) : null;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        RegistryAvroSerdeConfig config = new RegistryAvroSerdeConfig(configs);
        this.specificReader = config.specificAvroReader();
        if (client == null) {
            client = SchemaRegistryClients.create(config);
            ownsClient = true;
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : read(topic, data, 0, data.length);
    }

    @Override
    public T deserialize(String topic, Headers headers, ByteBuffer data) {
        if (data == null) {
            return null;
        }
        if (data.hasArray()) {
            return read(topic, data.array(), data.arrayOffset() + data.position(), data.remaining());
        }
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        return read(topic, copy, 0, copy.length);
    }

    private T read(String topic, byte[] data, int offset, int length) {
        if (client == null) {
            throw new IllegalStateException("RegistryAvroDeserializer is not configured: call configure() first");
        }
        if (length < HEADER) {
            throw new SerializationException("Cannot deserialize a record of topic " + topic + ": " + length
                + " bytes is too short for the Confluent wire format (magic byte 0, 4-byte schema id, Avro data)");
        }
        if (data[offset] != 0) {
            throw new SerializationException(String.format("Cannot deserialize a record of topic %s: unknown magic "
                + "byte 0x%02x (expected 0x00): not written by a Confluent-compatible Avro serializer", topic,
                data[offset] & 0xff));
        }
        int id = (data[offset + 1] & 0xff) << 24 | (data[offset + 2] & 0xff) << 16
            | (data[offset + 3] & 0xff) << 8 | data[offset + 4] & 0xff;
        DatumReader<T> reader = readerFor(id, topic);
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, offset + HEADER, length - HEADER,
            DECODER.get());
        DECODER.set(decoder);
        try {
            T result = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("Cannot deserialize a record of topic " + topic + " with schema id "
                    + id + ": bytes left after the record (corrupt data or wrong schema id)");
            }
            return result;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SerializationException) {
                throw (SerializationException) e;
            }
            throw new SerializationException("Cannot deserialize a record of topic " + topic + " with schema id "
                + id + ": the Avro data is truncated, corrupt or unreadable with the reader schema ("
                + e.getClass().getSimpleName() + ")", e);
        }
    }

    private DatumReader<T> readerFor(int id, String topic) {
        DatumReader<T> reader = readers.get(id);
        if (reader == null) {
            Schema writerSchema;
            try {
                writerSchema = client.getById(id);
            } catch (SchemaRegistryException e) {
                throw RegistryAvroSerializer.translate(e, "Cannot deserialize a record of topic " + topic
                    + ": writer schema id " + id + " is not available: " + e.getMessage());
            }
            reader = newReader(writerSchema);
            DatumReader<T> raced = readers.putIfAbsent(id, reader);
            reader = raced != null ? raced : reader;
        }
        return reader;
    }

    @SuppressWarnings("unchecked")
    private DatumReader<T> newReader(Schema writerSchema) {
        if (type != null) {
            return new SpecificDatumReader<>(writerSchema, readerSchema, SpecificData.getForClass(type));
        }
        if (specificReader) {
            Class<?> generated = SpecificData.get().getClass(writerSchema);
            if (generated == null || !IndexedRecord.class.isAssignableFrom(generated)) {
                throw new SerializationException("specific.avro.reader is set but no generated class "
                    + writerSchema.getFullName() + " is on the classpath");
            }
            SpecificData model = SpecificData.getForClass(generated);
            return new SpecificDatumReader<>(writerSchema, model.getSchema(generated), model);
        }
        return (DatumReader<T>) new GenericDatumReader<Object>(writerSchema, writerSchema, GenericData.get());
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }
}
