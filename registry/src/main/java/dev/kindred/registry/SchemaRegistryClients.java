package dev.kindred.registry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * Creates the client a configuration asks for: {@link MockSchemaRegistryClient} for a
 * {@code schema.registry.url} of {@code mock://SCOPE}, otherwise a {@link RestSchemaRegistryClient}.
 */
public final class SchemaRegistryClients {

    private SchemaRegistryClients() {
    }

    /**
     * Creates a client from the keys of {@link SchemaRegistryClientConfig} (other keys are ignored).
     *
     * @throws ConfigException if {@code schema.registry.url} is missing or mixes mock and real URLs
     */
    public static SchemaRegistryClient create(Map<String, ?> configs) {
        return create(new SchemaRegistryClientConfig(configs));
    }

    /** Creates a client from an already parsed configuration (a serde config, say). */
    public static SchemaRegistryClient create(SchemaRegistryClientConfig config) {
        List<String> urls = config.getList(SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG);
        if (urls.isEmpty()) {
            throw new ConfigException("Missing " + SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG
                + ": the schema registry URL(s), or mock://SCOPE for tests");
        }
        long mocks = urls.stream().filter(u -> u.startsWith(SchemaRegistryClientConfig.MOCK_URL_PREFIX)).count();
        if (mocks > 0) {
            if (urls.size() > 1) {
                throw new ConfigException(SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG, urls,
                    "a mock:// URL must be the only one");
            }
            return MockSchemaRegistryClient.forScope(
                urls.get(0).substring(SchemaRegistryClientConfig.MOCK_URL_PREFIX.length()));
        }
        return new RestSchemaRegistryClient(urls, config.basicAuthUserInfo(), config.userInfoFromUrl(),
            Duration.ofMillis(config.getInt(SchemaRegistryClientConfig.HTTP_CONNECT_TIMEOUT_MS_CONFIG)),
            Duration.ofMillis(config.getInt(SchemaRegistryClientConfig.HTTP_READ_TIMEOUT_MS_CONFIG)));
    }
}
