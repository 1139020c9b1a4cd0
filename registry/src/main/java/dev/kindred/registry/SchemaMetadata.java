package dev.kindred.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * One version of a subject as the registry reports it ({@code GET /subjects/{subject}/versions/{n}}):
 * the subject, the schema's global id, the version within the subject and the schema itself.
 */
public record SchemaMetadata(String subject, int id, int version, Schema schema) {

    public SchemaMetadata {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
