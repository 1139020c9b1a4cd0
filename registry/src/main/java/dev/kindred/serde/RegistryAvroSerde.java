package dev.kindred.serde;

import dev.kindred.registry.SchemaRegistryClient;
import dev.kindred.registry.SchemaRegistryClients;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for Avro records in the Confluent wire format, pairing
 * {@link RegistryAvroSerializer} and {@link RegistryAvroDeserializer} over one shared registry client.
 * Typical use in a topology:
 *
 * <pre>{@code
 * Serde<ClinicalAlert> alerts = RegistryAvroSerde.specific(ClinicalAlert.class,
 *     Map.of("schema.registry.url", "http://127.0.0.1:8081"), false);
 * }</pre>
 *
 * Use {@code mock://SCOPE} as URL in TopologyTestDriver tests. The no-argument constructor lets Kafka
 * create it from a class name ({@code default.value.serde}); it then reads GenericRecords, or generated
 * classes with {@code specific.avro.reader=true}.
 */
public class RegistryAvroSerde<T> implements Serde<T> {

    private final Class<T> type;
    private final SchemaRegistryClient givenClient;
    private SchemaRegistryClient ownClient;
    private RegistryAvroSerializer<T> serializer;
    private RegistryAvroDeserializer<T> deserializer;

    /** For Kafka to create from a class name; {@link #configure} must follow. */
    public RegistryAvroSerde() {
        this(null, null);
    }

    /** A serde of {@code type} (a generated record class, or null for GenericRecord); configure it next. */
    public RegistryAvroSerde(Class<T> type) {
        this(null, type);
    }

    /**
     * A serde of {@code type} (a generated record class, or null for GenericRecord) over {@code client},
     * which the caller keeps owning. Usable at once as a value serde; {@link #configure} may still set keys.
     */
    public RegistryAvroSerde(SchemaRegistryClient client, Class<T> type) {
        this.type = type;
        this.givenClient = client;
        if (client != null) {
            serializer = new RegistryAvroSerializer<>(client);
            deserializer = new RegistryAvroDeserializer<>(client, type);
        }
    }

    /** A configured serde of a generated record class, e.g. {@code ClinicalAlert.class}. */
    public static <T extends SpecificRecord> RegistryAvroSerde<T> specific(Class<T> type, Map<String, ?> configs,
                                                                          boolean isKey) {
        RegistryAvroSerde<T> serde = new RegistryAvroSerde<>(type);
        serde.configure(configs, isKey);
        return serde;
    }

    /** A configured serde of GenericRecords, read in the schema they were written with. */
    public static RegistryAvroSerde<GenericRecord> generic(Map<String, ?> configs, boolean isKey) {
        RegistryAvroSerde<GenericRecord> serde = new RegistryAvroSerde<>(null, null);
        serde.configure(configs, isKey);
        return serde;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        SchemaRegistryClient client = givenClient;
        if (client == null) {
            if (ownClient != null) {
                ownClient.close();
            }
            ownClient = SchemaRegistryClients.create(new RegistryAvroSerdeConfig(configs));
            client = ownClient;
        }
        serializer = new RegistryAvroSerializer<>(client);
        serializer.configure(configs, isKey);
        deserializer = new RegistryAvroDeserializer<>(client, type);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return checked(serializer);
    }

    @Override
    public Deserializer<T> deserializer() {
        return checked(deserializer);
    }

    private <S> S checked(S half) {
        if (half == null) {
            throw new IllegalStateException("RegistryAvroSerde is not configured: call configure() first");
        }
        return half;
    }

    @Override
    public void close() {
        if (ownClient != null) {
            ownClient.close();
        }
    }
}
