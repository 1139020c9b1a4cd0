package dev.kindred.registry;

import java.io.Closeable;
import java.util.List;
import org.apache.avro.Schema;

/**
 * A client of the Confluent Schema Registry REST API, reduced to what an Avro serde and an operator need.
 * Implementations: {@link RestSchemaRegistryClient} (HTTP, any compatible registry) and
 * {@link MockSchemaRegistryClient} ({@code mock://} URLs, in memory, for tests). Implementations are
 * thread-safe and cache what never changes (the id of a schema under a subject, the schema of an id), so
 * a serde can call them for every record. Errors are {@link SchemaRegistryException}s.
 */
public interface SchemaRegistryClient extends Closeable {

    /**
     * Registers {@code schema} under {@code subject} if it is not there yet and returns its global id.
     * Registering an identical schema again returns the same id. Makes
     * {@code POST /subjects/{subject}/versions} with {@code {"schema": "..."}} (once per subject and schema).
     *
     * @throws SchemaRegistryException 409 if the subject's compatibility level rejects the schema, 42201 if
     *     the registry finds it invalid
     */
    int register(String subject, Schema schema);

    /**
     * Returns the global id of {@code schema} if it is registered under {@code subject}, without
     * registering it (for {@code auto.register.schemas=false}). Makes {@code POST /subjects/{subject}}
     * (once per subject and schema).
     *
     * @throws SchemaRegistryException 40401 if the subject does not exist, 40403 if the schema is not
     *     registered under it
     */
    int getId(String subject, Schema schema);

    /**
     * Returns the schema with global id {@code id}. Makes {@code GET /schemas/ids/{id}} (once per id).
     *
     * @throws SchemaRegistryException 40403 if no schema has that id
     */
    Schema getById(int id);

    /** Lists the subjects. Makes {@code GET /subjects} (not cached). */
    List<String> subjects();

    /**
     * Returns the latest version of {@code subject}. Makes
     * {@code GET /subjects/{subject}/versions/latest} (not cached: it changes).
     *
     * @throws SchemaRegistryException 40401 if the subject does not exist
     */
    SchemaMetadata latest(String subject);

    /**
     * Tells whether {@code schema} may be registered under {@code subject} by the subject's compatibility
     * level, without registering it; true for a subject that does not exist yet. Makes
     * {@code POST /compatibility/subjects/{subject}/versions/latest} (not cached).
     */
    boolean isCompatible(String subject, Schema schema);

    /**
     * Deletes {@code subject} and returns the versions it had. Ids stay resolvable by
     * {@link #getById(int)}, since records already written reference them. Makes
     * {@code DELETE /subjects/{subject}}.
     *
     * @throws SchemaRegistryException 40401 if the subject does not exist
     */
    List<Integer> deleteSubject(String subject);

    /** Releases what this client holds; never throws. */
    @Override
    void close();
}
