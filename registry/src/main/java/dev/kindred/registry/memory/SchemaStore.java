package dev.kindred.registry.memory;

import dev.kindred.registry.SchemaMetadata;
import dev.kindred.registry.SchemaRegistryException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

/**
 * The state and rules of a schema registry, without HTTP: global ids per schema content, versions per
 * subject, compatibility levels. {@link InProcessSchemaRegistry} serves it over HTTP and
 * {@link dev.kindred.registry.MockSchemaRegistryClient} calls it directly, so both behave alike.
 *
 * <p>Two schemas are the same when their Avro JSON forms ({@link Schema#toString()} of the parsed schema)
 * are equal: whitespace does not matter, docs and defaults do. A schema keeps its id forever, also after
 * every subject that used it was deleted, because records in Kafka reference it. Versions of a subject
 * count from 1; after a subject is deleted, registering under it starts at 1 again.
 *
 * <p>With a directory, every change is written to {@value #FILE_NAME} there before it is acknowledged (a
 * whole-state JSON snapshot written to a temporary file, synced, then atomically renamed over the old one)
 * and read back by {@link #open(Path)}, so a restarted dev stack keeps its ids. A file that cannot be read
 * stops the start rather than silently handing out ids again. Thread-safe (every method is synchronized;
 * registrations are rare and clients cache lookups).
 */
public final class SchemaStore {

    /** Name of the state file inside the storage directory. */
    public static final String FILE_NAME = "registry.json";
    /** The version number that stands for "latest". */
    public static final int LATEST = -1;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;

    private record Version(int version, int id) {
    }

    private final Path directory;
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByForm = new HashMap<>();
    private final Map<String, List<Version>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new TreeMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.BACKWARD;
    private int nextId = 1;

    private SchemaStore(Path directory) {
        this.directory = directory;
    }

    /** A store that lives in memory only. */
    public static SchemaStore inMemory() {
        return new SchemaStore(null);
    }

    /**
     * A store persisted in {@code directory} (created if missing), loaded from it if it holds a state.
     *
     * @throws UncheckedIOException if the directory cannot be created or its state file cannot be read
     */
    public static SchemaStore open(Path directory) {
        SchemaStore store = new SchemaStore(directory);
        try {
            Files.createDirectories(directory);
            store.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema registry state in " + directory, e);
        }
        return store;
    }

    /** Parses Avro schema JSON, or fails with 42201 (invalid schema). */
    public static Schema parse(String text) {
        if (text == null || text.isBlank()) {
            throw new SchemaRegistryException(422, 42201, "Invalid schema: empty schema");
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (AvroRuntimeException e) {
            throw new SchemaRegistryException(422, 42201, "Invalid schema: " + e.getMessage());
        }
    }

    /**
     * Registers {@code schema} under {@code subject} and returns its id: the id it already has there, or a
     * new version after the compatibility check (409 if it fails).
     */
    public synchronized int register(String subject, Schema schema) {
        String form = schema.toString();
        Integer id = idsByForm.get(form);
        List<Version> versions = subjects.getOrDefault(subject, List.of());
        if (id != null && versions.stream().anyMatch(v -> v.id() == id)) {
            return id;
        }
        List<String> problems = levelOf(subject).problems(schema, schemasOf(versions));
        if (!problems.isEmpty()) {
            throw new SchemaRegistryException(409, 409, "Schema being registered is incompatible with an earlier "
                + "schema for subject \"" + subject + "\" (" + levelOf(subject) + "), details: " + problems);
        }
        int newId = id != null ? id : nextId++;
        if (id == null) {
            schemasById.put(newId, parse(form));
            idsByForm.put(form, newId);
        }
        int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
        subjects.computeIfAbsent(subject, s -> new ArrayList<>()).add(new Version(version, newId));
        persist();
        return newId;
    }

    /** The version of {@code subject} that holds {@code schema} (40401, 40403 if none). */
    public synchronized SchemaMetadata lookup(String subject, Schema schema) {
        List<Version> versions = versionsOf(subject);
        Integer id = idsByForm.get(schema.toString());
        for (Version v : versions) {
            if (id != null && v.id() == id) {
                return metadata(subject, v);
            }
        }
        throw new SchemaRegistryException(404, 40403, "Schema not found under subject '" + subject + "'.");
    }

    /** The schema with global id {@code id} (40403 if none). */
    public synchronized Schema schema(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(404, 40403, "Schema " + id + " not found.");
        }
        return schema;
    }

    /** The subjects, sorted. */
    public synchronized List<String> subjects() {
        return new ArrayList<>(subjects.keySet());
    }

    /** The versions of {@code subject}, oldest first (40401 if none). */
    public synchronized List<Integer> versions(String subject) {
        return versionsOf(subject).stream().map(Version::version).toList();
    }

    /** One version of {@code subject}, or the latest for {@link #LATEST} (40401, 40402). */
    public synchronized SchemaMetadata version(String subject, int version) {
        return metadata(subject, find(subject, version));
    }

    /** Deletes {@code subject} and returns the versions it had (40401 if none). Ids stay resolvable. */
    public synchronized List<Integer> deleteSubject(String subject) {
        List<Integer> deleted = versions(subject);
        subjects.remove(subject);
        persist();
        return deleted;
    }

    /**
     * Why {@code schema} could not be registered under {@code subject} next to the given version (or, for
     * {@link #LATEST}, under the subject's level as registration checks it); empty when it could.
     */
    public synchronized List<String> compatibilityProblems(String subject, int version, Schema schema) {
        CompatibilityLevel level = levelOf(subject);
        if (version == LATEST) {
            return level.problems(schema, schemasOf(versionsOf(subject)));
        }
        return level.problems(schema, List.of(schemasById.get(find(subject, version).id())));
    }

    /** The level that applies to subjects without their own. BACKWARD unless changed. */
    public synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    public synchronized void setGlobalLevel(CompatibilityLevel level) {
        globalLevel = level;
        persist();
    }

    /** The level set for {@code subject} itself, or null when it follows the global level. */
    public synchronized CompatibilityLevel subjectLevel(String subject) {
        return subjectLevels.get(subject);
    }

    public synchronized void setSubjectLevel(String subject, CompatibilityLevel level) {
        subjectLevels.put(subject, level);
        persist();
    }

    /** Forgets everything (and persists that), as a fresh registry. */
    public synchronized void clear() {
        reset();
        persist();
    }

    private CompatibilityLevel levelOf(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    private List<Version> versionsOf(String subject) {
        List<Version> versions = subjects.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(404, 40401, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private Version find(String subject, int version) {
        List<Version> versions = versionsOf(subject);
        if (version == LATEST) {
            return versions.get(versions.size() - 1);
        }
        return versions.stream().filter(v -> v.version() == version).findFirst().orElseThrow(() ->
            new SchemaRegistryException(404, 40402, "Version " + version + " not found."));
    }

    private List<Schema> schemasOf(List<Version> versions) {
        return versions.stream().map(v -> schemasById.get(v.id())).toList();
    }

    private SchemaMetadata metadata(String subject, Version v) {
        return new SchemaMetadata(subject, v.id(), v.version(), schemasById.get(v.id()));
    }

    private void reset() {
        schemasById.clear();
        idsByForm.clear();
        subjects.clear();
        subjectLevels.clear();
        globalLevel = CompatibilityLevel.BACKWARD;
        nextId = 1;
    }

    // ------------------------------------------------------------------------------------ persistence

    private void persist() {
        if (directory == null) {
            return;
        }
        try {
            write();
        } catch (IOException | RuntimeException e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            try {
                load();  // back to the last state that reached the disk
            } catch (IOException | RuntimeException reloadFailure) {
                e.addSuppressed(reloadFailure);
            }
            throw new SchemaRegistryException(500, 50001, "Error while persisting the registry state: " + reason);
        }
    }

    private void write() throws IOException {
        ObjectNode root = JSON.createObjectNode().put("format", FORMAT).put("nextId", nextId)
            .put("compatibility", globalLevel.name());
        ObjectNode levels = root.putObject("subjectCompatibility");
        subjectLevels.forEach((subject, level) -> levels.put(subject, level.name()));
        ArrayNode schemas = root.putArray("schemas");
        new TreeMap<>(schemasById).forEach((id, schema) ->
            schemas.addObject().put("id", id).put("schema", schema.toString()));
        ObjectNode subjectsNode = root.putObject("subjects");
        subjects.forEach((subject, versions) -> {
            ArrayNode array = subjectsNode.putArray(subject);
            versions.forEach(v -> array.addObject().put("version", v.version()).put("id", v.id()));
        });

        Path file = directory.resolve(FILE_NAME);
        Path temp = directory.resolve(FILE_NAME + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(java.nio.ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);  // make the rename durable (works on Linux; best effort elsewhere)
        } catch (IOException ignored) {
            // not every platform can sync a directory
        }
    }

    private void load() throws IOException {
        reset();
        Path file = directory.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return;
        }
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || root.path("format").asInt() != FORMAT) {
            throw new IOException(file + " is not a registry state of format " + FORMAT);
        }
        for (JsonNode node : root.path("schemas")) {
            Schema schema;
            try {
                schema = parse(node.path("schema").asText());
            } catch (SchemaRegistryException e) {
                throw new IOException(file + ": " + e.registryMessage(), e);
            }
            int id = node.path("id").asInt();
            schemasById.put(id, schema);
            idsByForm.put(schema.toString(), id);
            nextId = Math.max(nextId, id + 1);
        }
        nextId = Math.max(nextId, root.path("nextId").asInt(1));
        globalLevel = levelFrom(root.path("compatibility").asText(), file);
        for (Map.Entry<String, JsonNode> entry : root.path("subjectCompatibility").properties()) {
            subjectLevels.put(entry.getKey(), levelFrom(entry.getValue().asText(), file));
        }
        for (Map.Entry<String, JsonNode> entry : root.path("subjects").properties()) {
            List<Version> versions = new ArrayList<>();
            for (JsonNode v : entry.getValue()) {
                int id = v.path("id").asInt();
                if (!schemasById.containsKey(id)) {
                    throw new IOException(file + ": subject " + entry.getKey() + " refers to unknown schema id " + id);
                }
                versions.add(new Version(v.path("version").asInt(), id));
            }
            if (!versions.isEmpty()) {
                subjects.put(entry.getKey(), versions);
            }
        }
    }

    private static CompatibilityLevel levelFrom(String name, Path file) throws IOException {
        CompatibilityLevel level = CompatibilityLevel.parse(name);
        if (level == null) {
            throw new IOException(file + ": unknown compatibility level " + name);
        }
        return level;
    }
}
