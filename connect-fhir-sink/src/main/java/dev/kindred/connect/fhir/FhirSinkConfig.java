package dev.kindred.connect.fhir;

import dev.kindred.registry.SchemaRegistryClientConfig;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** Every setting of the FHIR sink connector. */
public final class FhirSinkConfig extends AbstractConfig {

    public static final String FHIR_BASE_URL_CONFIG = "fhir.base.url";
    public static final String FHIR_BASE_URL_DOC = "Base URL of the FHIR R4 server to write to, e.g. "
        + "https://ehr.example.org/fhir.";

    public static final String RESOURCE_TYPE_CONFIG = "fhir.resource.type";
    public static final String RESOURCE_TYPE_DOC = "Resource each alert becomes: DetectedIssue (the default; "
        + "severity, detail and evidence), Flag (a short warning on the patient's record) or RiskAssessment "
        + "(qualitative risk, mitigation and note).";

    public static final String ID_STRATEGY_CONFIG = "fhir.id.strategy";
    public static final String ID_STRATEGY_DOC = "How a write stays idempotent: alert-id sends PUT "
        + "[base]/{type}/{id} with an id derived from the alert id (needs a server that allows update-as-create "
        + "with client-assigned ids); identifier sends a conditional update PUT [base]/{type}?identifier="
        + "{fhir.identifier.system}|{alert id} and lets the server assign the id.";

    public static final String IDENTIFIER_SYSTEM_CONFIG = "fhir.identifier.system";
    public static final String IDENTIFIER_SYSTEM_DOC = "System (a URI your organisation controls) of the "
        + "identifier that carries the alert id on every written resource.";

    public static final String AUTH_HEADER_NAME_CONFIG = "fhir.auth.header.name";
    public static final String AUTH_HEADER_NAME_DOC = "Name of the header that authenticates to the FHIR server.";

    public static final String AUTH_HEADER_VALUE_CONFIG = "fhir.auth.header.value";
    public static final String AUTH_HEADER_VALUE_DOC = "Value of that header, e.g. 'Bearer <token>'; none "
        + "is sent when empty. Use a config provider (${file:...}) rather than the token itself.";

    public static final String CONNECT_TIMEOUT_MS_CONFIG = "fhir.connect.timeout.ms";
    public static final String CONNECT_TIMEOUT_MS_DOC = "How long to wait for a connection to the FHIR server.";

    public static final String REQUEST_TIMEOUT_MS_CONFIG = "fhir.request.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS_DOC = "How long to wait for the answer to one write; a "
        + "time-out is retried like a 503.";

    public static final String RETRY_BACKOFF_MS_CONFIG = "fhir.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MS_DOC = "Wait before retrying after a retriable failure (429, "
        + "408, 5xx, no connection) without Retry-After; it doubles with each failure in a row.";

    public static final String RETRY_BACKOFF_MAX_MS_CONFIG = "fhir.retry.backoff.max.ms";
    public static final String RETRY_BACKOFF_MAX_MS_DOC = "Upper bound of the wait between retries, also for a "
        + "server's Retry-After.";

    public static final String SCHEMA_REGISTRY_URL_CONFIG = SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG;
    public static final String SCHEMA_REGISTRY_URL_DOC = "Schema registry (Confluent REST API) to read the alerts' "
        + "writer schemas from: comma-separated URLs, tried in order.";

    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG =
        SchemaRegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG;
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_DOC = SchemaRegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE_DOC;

    public static final String BASIC_AUTH_USER_INFO_CONFIG = SchemaRegistryClientConfig.BASIC_AUTH_USER_INFO_CONFIG;
    public static final String BASIC_AUTH_USER_INFO_DOC = SchemaRegistryClientConfig.BASIC_AUTH_USER_INFO_DOC;

    /** Default identifier system; deployments should set their own. */
    public static final String DEFAULT_IDENTIFIER_SYSTEM = "urn:kindred:alert-id";

    /** Idempotency strategies of {@link #ID_STRATEGY_CONFIG}. */
    public enum IdStrategy {
        ALERT_ID("alert-id"), IDENTIFIER("identifier");

        private final String setting;

        IdStrategy(String setting) {
            this.setting = setting;
        }

        public String setting() {
            return setting;
        }

        static IdStrategy of(String setting) {
            for (IdStrategy strategy : values()) {
                if (strategy.setting.equals(setting)) {
                    return strategy;
                }
            }
            throw new ConfigException(ID_STRATEGY_CONFIG, setting, "must be alert-id or identifier");
        }
    }

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
        .define(FHIR_BASE_URL_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, FhirSinkConfig::httpUrl,
            Importance.HIGH, FHIR_BASE_URL_DOC)
        .define(RESOURCE_TYPE_CONFIG, Type.STRING, AlertResourceType.DETECTED_ISSUE.fhirType(),
            ConfigDef.ValidString.in(AlertResourceType.fhirTypes()), Importance.HIGH, RESOURCE_TYPE_DOC)
        .define(ID_STRATEGY_CONFIG, Type.STRING, IdStrategy.ALERT_ID.setting(),
            ConfigDef.ValidString.in(IdStrategy.ALERT_ID.setting(), IdStrategy.IDENTIFIER.setting()),
            Importance.MEDIUM, ID_STRATEGY_DOC)
        .define(IDENTIFIER_SYSTEM_CONFIG, Type.STRING, DEFAULT_IDENTIFIER_SYSTEM, new ConfigDef.NonEmptyString(),
            Importance.MEDIUM, IDENTIFIER_SYSTEM_DOC)
        .define(AUTH_HEADER_NAME_CONFIG, Type.STRING, "Authorization", new ConfigDef.NonEmptyString(),
            Importance.MEDIUM, AUTH_HEADER_NAME_DOC)
        .define(AUTH_HEADER_VALUE_CONFIG, Type.PASSWORD, null, Importance.MEDIUM, AUTH_HEADER_VALUE_DOC)
        .define(CONNECT_TIMEOUT_MS_CONFIG, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.LOW,
            CONNECT_TIMEOUT_MS_DOC)
        .define(REQUEST_TIMEOUT_MS_CONFIG, Type.INT, 30_000, ConfigDef.Range.atLeast(1), Importance.LOW,
            REQUEST_TIMEOUT_MS_DOC)
        .define(RETRY_BACKOFF_MS_CONFIG, Type.LONG, 1_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
            RETRY_BACKOFF_MS_DOC)
        .define(RETRY_BACKOFF_MAX_MS_CONFIG, Type.LONG, 60_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
            RETRY_BACKOFF_MAX_MS_DOC)
        .define(SCHEMA_REGISTRY_URL_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
            SCHEMA_REGISTRY_URL_DOC)
        .define(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, Type.STRING, "URL",
            ConfigDef.ValidString.in("URL", "USER_INFO"), Importance.MEDIUM, BASIC_AUTH_CREDENTIALS_SOURCE_DOC)
        .define(BASIC_AUTH_USER_INFO_CONFIG, Type.PASSWORD, "", Importance.MEDIUM, BASIC_AUTH_USER_INFO_DOC);

    public FhirSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
        if (getList(SCHEMA_REGISTRY_URL_CONFIG).isEmpty()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, "", "the schema registry URL is required to "
                + "read the alerts (Confluent wire format)");
        }
    }

    public String fhirBaseUrl() {
        String url = getString(FHIR_BASE_URL_CONFIG).trim();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public AlertResourceType resourceType() {
        return AlertResourceType.of(getString(RESOURCE_TYPE_CONFIG));
    }

    public IdStrategy idStrategy() {
        return IdStrategy.of(getString(ID_STRATEGY_CONFIG));
    }

    public String identifierSystem() {
        return getString(IDENTIFIER_SYSTEM_CONFIG);
    }

    public String authHeaderName() {
        return getString(AUTH_HEADER_NAME_CONFIG);
    }

    /** The auth header value, or null when none is set. */
    public String authHeaderValue() {
        Password value = getPassword(AUTH_HEADER_VALUE_CONFIG);
        return value == null || value.value().isEmpty() ? null : value.value();
    }

    public Duration connectTimeout() {
        return Duration.ofMillis(getInt(CONNECT_TIMEOUT_MS_CONFIG));
    }

    public Duration requestTimeout() {
        return Duration.ofMillis(getInt(REQUEST_TIMEOUT_MS_CONFIG));
    }

    public Duration retryBackoff() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MS_CONFIG));
    }

    public Duration retryBackoffMax() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MAX_MS_CONFIG));
    }

    /** The registry client's settings, as the registry deserializer reads them. */
    public Map<String, Object> registryConfigs() {
        Map<String, Object> registry = new HashMap<>();
        registry.put(SCHEMA_REGISTRY_URL_CONFIG, getList(SCHEMA_REGISTRY_URL_CONFIG));
        registry.put(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, getString(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG));
        registry.put(BASIC_AUTH_USER_INFO_CONFIG, getPassword(BASIC_AUTH_USER_INFO_CONFIG));
        return registry;
    }

    private static void httpUrl(String name, Object value) {
        String url = value == null ? "" : value.toString().trim();
        try {
            URI uri = URI.create(url);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new ConfigException(name, value, "must be an http or https URL of a FHIR server base");
    }
}
