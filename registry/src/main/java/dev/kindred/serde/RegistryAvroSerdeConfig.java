package dev.kindred.serde;

import dev.kindred.registry.SchemaRegistryClientConfig;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Every key the registry Avro serde reads, named like Confluent's so existing producer, consumer and
 * Streams configs carry over: the registry keys it inherits from {@link SchemaRegistryClientConfig}
 * ({@code schema.registry.url}, {@code basic.auth.*}, {@code http.*.timeout.ms}) and the serde's own below.
 * Subjects always follow TopicNameStrategy ({@code <topic>-key}, {@code <topic>-value}); a config asking
 * for another strategy is rejected rather than silently ignored.
 */
public class RegistryAvroSerdeConfig extends SchemaRegistryClientConfig {

    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";
    public static final String AUTO_REGISTER_SCHEMAS_DOC = "Whether the serializer registers the schema of "
        + "the records it writes (true) or only looks up the id of an already registered schema (false, for "
        + "production, where schemas are registered ahead by a deployment step).";

    public static final String SPECIFIC_AVRO_READER_CONFIG = "specific.avro.reader";
    public static final String SPECIFIC_AVRO_READER_DOC = "For a deserializer created without a record "
        + "class (from a class name in a Kafka config): read into the generated class named by the writer "
        + "schema (true) or into GenericRecord (false).";

    public static final String KEY_SUBJECT_NAME_STRATEGY_CONFIG = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY_CONFIG = "value.subject.name.strategy";
    public static final String SUBJECT_NAME_STRATEGY_DOC = "Only TopicNameStrategy is supported "
        + "(<topic>-key, <topic>-value); accepted so configs that name it explicitly carry over.";
    public static final String TOPIC_NAME_STRATEGY = "io.confluent.kafka.serializers.subject.TopicNameStrategy";

    private static final ConfigDef CONFIG = baseConfigDef()
        .define(AUTO_REGISTER_SCHEMAS_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, AUTO_REGISTER_SCHEMAS_DOC)
        .define(SPECIFIC_AVRO_READER_CONFIG, Type.BOOLEAN, false, Importance.LOW, SPECIFIC_AVRO_READER_DOC)
        .define(KEY_SUBJECT_NAME_STRATEGY_CONFIG, Type.STRING, TOPIC_NAME_STRATEGY, RegistryAvroSerdeConfig::topicNameStrategyOnly,
            Importance.LOW, SUBJECT_NAME_STRATEGY_DOC)
        .define(VALUE_SUBJECT_NAME_STRATEGY_CONFIG, Type.STRING, TOPIC_NAME_STRATEGY,
            RegistryAvroSerdeConfig::topicNameStrategyOnly, Importance.LOW, SUBJECT_NAME_STRATEGY_DOC);

    public RegistryAvroSerdeConfig(Map<?, ?> props) {
        super(CONFIG, props);
    }

    /** The definition of every key, e.g. to print documentation. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public boolean autoRegisterSchemas() {
        return getBoolean(AUTO_REGISTER_SCHEMAS_CONFIG);
    }

    public boolean specificAvroReader() {
        return getBoolean(SPECIFIC_AVRO_READER_CONFIG);
    }

    private static void topicNameStrategyOnly(String name, Object value) {
        if (value != null && !value.toString().endsWith("TopicNameStrategy")) {
            throw new ConfigException(name, value, "only TopicNameStrategy (<topic>-key, <topic>-value) is supported");
        }
    }
}
