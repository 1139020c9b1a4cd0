package dev.kindred.registry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Base of the clients: caches the two lookups that never change once answered, subject and schema to id
 * and id to schema, so a serde's hot path asks the registry at most once per subject and schema and once
 * per id. A cache hit allocates nothing ({@link Schema} caches its hash code; the same schema instance is
 * compared by identity first). Subclasses only say how to ask the registry.
 */
public abstract class CachingSchemaRegistryClient implements SchemaRegistryClient {

    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    /** Registers without looking at the cache; see {@link SchemaRegistryClient#register}. */
    protected abstract int registerUncached(String subject, Schema schema);

    /** Looks the id up without looking at the cache; see {@link SchemaRegistryClient#getId}. */
    protected abstract int getIdUncached(String subject, Schema schema);

    /** Fetches a schema without looking at the cache; see {@link SchemaRegistryClient#getById}. */
    protected abstract Schema getByIdUncached(int id);

    /** Deletes without touching the caches; see {@link SchemaRegistryClient#deleteSubject}. */
    protected abstract List<Integer> deleteSubjectUncached(String subject);

    @Override
    public final int register(String subject, Schema schema) {
        Integer id = cachedId(subject, schema);
        return id != null ? id : remember(subject, schema, registerUncached(subject, schema));
    }

    @Override
    public final int getId(String subject, Schema schema) {
        Integer id = cachedId(subject, schema);
        return id != null ? id : remember(subject, schema, getIdUncached(subject, schema));
    }

    @Override
    public final Schema getById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            schema = getByIdUncached(id);
            Schema raced = schemasById.putIfAbsent(id, schema);
            schema = raced != null ? raced : schema;
        }
        return schema;
    }

    @Override
    public final List<Integer> deleteSubject(String subject) {
        List<Integer> deleted = deleteSubjectUncached(subject);
        idsBySubject.remove(subject);
        return deleted;
    }

    /** Forgets everything cached (after the registry behind was reset). */
    protected void clearCaches() {
        idsBySubject.clear();
        schemasById.clear();
    }

    private Integer cachedId(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.get(subject);
        return ids == null ? null : ids.get(schema);
    }

    private int remember(String subject, Schema schema, int id) {
        idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }
}
