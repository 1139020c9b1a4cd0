package dev.kindred.registry;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * How to reach a schema registry, with Confluent's key names so existing client configs carry over.
 * {@link SchemaRegistryClients#create(Map)} reads it; the serde's
 * {@link dev.kindred.serde.RegistryAvroSerdeConfig} extends it with the serde's own keys.
 */
public class SchemaRegistryClientConfig extends AbstractConfig {

    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    public static final String SCHEMA_REGISTRY_URL_DOC = "Comma-separated base URLs of the schema registry, "
        + "tried in order when one cannot be reached, e.g. http://registry:8081 or, for Apicurio, "
        + "http://registry:8080/apis/ccompat/v7. A URL mock://SCOPE uses an in-memory registry shared by "
        + "every client of that scope in the JVM (tests).";

    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_DOC = "Where HTTP basic credentials come from: "
        + "URL (the user info of the registry URL, if any) or USER_INFO (basic.auth.user.info).";

    public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";
    public static final String BASIC_AUTH_USER_INFO_DOC = "Basic credentials as user:password, used when "
        + "basic.auth.credentials.source=USER_INFO.";

    public static final String HTTP_CONNECT_TIMEOUT_MS_CONFIG = "http.connect.timeout.ms";
    public static final String HTTP_CONNECT_TIMEOUT_MS_DOC = "How long to wait for a connection to one "
        + "registry URL before trying the next.";

    public static final String HTTP_READ_TIMEOUT_MS_CONFIG = "http.read.timeout.ms";
    public static final String HTTP_READ_TIMEOUT_MS_DOC = "How long to wait for the answer to one request.";

    public static final String MOCK_URL_PREFIX = "mock://";

    /** The definition of the client keys, for configs that extend this one. */
    public static ConfigDef baseConfigDef() {
        return new ConfigDef()
            .define(SCHEMA_REGISTRY_URL_CONFIG, Type.LIST, "", Importance.HIGH, SCHEMA_REGISTRY_URL_DOC)
            .define(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, Type.STRING, "URL",
                ConfigDef.ValidString.in("URL", "USER_INFO"), Importance.MEDIUM, BASIC_AUTH_CREDENTIALS_SOURCE_DOC)
            .define(BASIC_AUTH_USER_INFO_CONFIG, Type.PASSWORD, "", Importance.MEDIUM, BASIC_AUTH_USER_INFO_DOC)
            .define(HTTP_CONNECT_TIMEOUT_MS_CONFIG, Type.INT, 10_000, ConfigDef.Range.atLeast(1),
                Importance.LOW, HTTP_CONNECT_TIMEOUT_MS_DOC)
            .define(HTTP_READ_TIMEOUT_MS_CONFIG, Type.INT, 30_000, ConfigDef.Range.atLeast(1),
                Importance.LOW, HTTP_READ_TIMEOUT_MS_DOC);
    }

    public SchemaRegistryClientConfig(Map<?, ?> props) {
        this(baseConfigDef(), props);
    }

    protected SchemaRegistryClientConfig(ConfigDef definition, Map<?, ?> props) {
        super(definition, props, false);
    }

    /** The user:password to send, or null for none. */
    String basicAuthUserInfo() {
        if (!"USER_INFO".equals(getString(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG))) {
            return null;
        }
        Password password = getPassword(BASIC_AUTH_USER_INFO_CONFIG);
        return password == null || password.value().isEmpty() ? null : password.value();
    }

    boolean userInfoFromUrl() {
        return "URL".equals(getString(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG));
    }
}
