package dev.kindred.registry;

import dev.kindred.registry.memory.SchemaStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.avro.Schema;

/**
 * An in-memory {@link SchemaRegistryClient} for tests, chosen by a {@code schema.registry.url} of
 * {@code mock://SCOPE}: every serde configured with the same scope in a JVM shares one instance, so a
 * TopologyTestDriver test needs no HTTP server. It runs the same {@link SchemaStore} as the in-process
 * registry, hence the same semantics: ids global per schema content, versions per subject, BACKWARD
 * compatibility by default, the same error codes.
 */
public final class MockSchemaRegistryClient extends CachingSchemaRegistryClient {

    private static final Map<String, MockSchemaRegistryClient> SCOPES = new ConcurrentHashMap<>();

    private final SchemaStore store = SchemaStore.inMemory();

    /** A private registry, shared with nobody. */
    public MockSchemaRegistryClient() {
    }

    /** The registry of {@code scope}, created on first use and shared by every caller in this JVM. */
    public static MockSchemaRegistryClient forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new MockSchemaRegistryClient());
    }

    /** Empties the registry of {@code scope} (in place: clients already holding it see the empty state). */
    public static void resetScope(String scope) {
        MockSchemaRegistryClient client = SCOPES.get(scope);
        if (client != null) {
            client.reset();
        }
    }

    /** Empties this registry and its caches, as a freshly started registry. */
    public void reset() {
        store.clear();
        clearCaches();
    }

    /** The state behind this client, e.g. to set a compatibility level in a test. */
    public SchemaStore store() {
        return store;
    }

    @Override
    protected int registerUncached(String subject, Schema schema) {
        return call("subject " + subject, () -> store.register(subject, schema));
    }

    @Override
    protected int getIdUncached(String subject, Schema schema) {
        return call("subject " + subject, () -> store.lookup(subject, schema).id());
    }

    @Override
    protected Schema getByIdUncached(int id) {
        return call("schema id " + id, () -> store.schema(id));
    }

    @Override
    public List<String> subjects() {
        return store.subjects();
    }

    @Override
    public SchemaMetadata latest(String subject) {
        return call("subject " + subject, () -> store.version(subject, SchemaStore.LATEST));
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        return !store.subjects().contains(subject)
            || call("subject " + subject, () -> store.compatibilityProblems(subject, SchemaStore.LATEST, schema))
                .isEmpty();
    }

    @Override
    protected List<Integer> deleteSubjectUncached(String subject) {
        return call("subject " + subject, () -> store.deleteSubject(subject));
    }

    /** Shared instances outlive their users: closing does nothing. */
    @Override
    public void close() {
    }

    private static <T> T call(String target, Supplier<T> action) {
        try {
            return action.get();
        } catch (SchemaRegistryException e) {
            throw SchemaRegistryException.of(target, e.status(), e.errorCode(), e.registryMessage());
        }
    }
}
