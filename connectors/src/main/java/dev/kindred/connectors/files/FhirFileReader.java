package dev.kindred.connectors.files;


import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.ZipException;

/**
 * Reads FHIR R4 JSON from files into {@link FhirResourceRecord}s, for loading exports and replaying them.
 *
 * <p>Input: a file or a directory (walked recursively, files in sorted path order so every run yields
 * the same sequence). In a directory only {@code *.json}, {@code *.ndjson} and their {@code .gz} forms are
 * read; other files are counted as ignored. A {@code .json} file holds one resource or a Bundle of any
 * type; an {@code .ndjson} file (Bulk Data export) holds one resource per line, any types mixed, blank
 * lines skipped. Gzip is recognised by its magic bytes, whatever the name.
 *
 * <p>Bundles are unwrapped to their {@code entry.resource}s, nested Bundles too, each made to stand alone
 * ({@link BundleEntries#standAlone}): references to other entries' {@code urn:uuid:} fullUrls become {@code Type/id} and a
 * bundled Medication is contained in the request that names it. Entries without a resource
 * (e.g. id-only notifications, transaction deletes) are counted and skipped. A {@code history} Bundle whose
 * first entry is a Subscriptions Backport status {@code Parameters} (a notification) yields its resources
 * but not the status. A resource's JSON is re-serialised compactly from the Jackson tree: same content,
 * decimals keep their exact digits ({@code 185.00} stays {@code 185.00}); duplicate keys are an error.
 *
 * <p>Nothing is dropped silently: input that is not JSON (a bad line, a truncated or corrupt file, a value
 * without {@code resourceType}) becomes a record with {@code resourceType == null} carrying the raw bytes, is
 * counted as unparseable and logged with its origin only (never its content).
 *
 * <p>Event time, by resource type (first present wins, then {@code meta.lastUpdated}):
 * <table>
 * <caption>event time sources</caption>
 * <tr><th>type</th><th>fields</th></tr>
 * <tr><td>Observation, DiagnosticReport</td><td>effectiveDateTime | effectivePeriod.start | effectiveInstant | issued</td></tr>
 * <tr><td>ImagingStudy</td><td>started</td></tr>
 * <tr><td>Procedure</td><td>performedDateTime | performedPeriod.start</td></tr>
 * <tr><td>MedicationRequest</td><td>authoredOn</td></tr>
 * <tr><td>MedicationAdministration</td><td>effectiveDateTime | effectivePeriod.start</td></tr>
 * <tr><td>Condition</td><td>onsetDateTime | recordedDate</td></tr>
 * <tr><td>Encounter</td><td>period.start</td></tr>
 * <tr><td>Immunization</td><td>occurrenceDateTime</td></tr>
 * <tr><td>Patient</td><td>none: always null, so patients are sent first</td></tr>
 * <tr><td>any other type</td><td>effectiveDateTime | effectivePeriod.start | occurrenceDateTime | performedDateTime
 *     | period.start | billablePeriod.start | authoredOn | recordedDate | issued | created | date</td></tr>
 * </table>
 * Partial dates ({@code 2020}, {@code 2020-05}, {@code 2020-05-29}) mean their first instant in UTC, a
 * dateTime without offset is read as UTC; an unreadable value counts as absent.
 *
 * <p>Patient reference: {@code subject.reference}, else {@code patient.reference} (Observation, ImagingStudy,
 * Procedure, Condition, MedicationRequest, MedicationAdministration and any other type), as written; for
 * a Patient, {@code "Patient/" + id}.
 *
 * <p>Memory: {@link #stream} is lazy per file: an NDJSON file is read line by line, a JSON file is held
 * whole (bytes and tree) while its resources are produced, so memory is bounded by the largest JSON file
 * plus what the consumer keeps. {@link #readAll} keeps every record (compact JSON bytes, roughly the input
 * size without indentation).
 *
 * <p>Not thread-safe: use one reader per thread. {@link #stats()} is complete once a stream is consumed.
 */
public final class FhirFileReader {

    private static final Logger log = LoggerFactory.getLogger(FhirFileReader.class);

    /** Shared, thread-safe Jackson mapper that keeps decimals exact and rejects duplicate keys. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(
                StreamReadConstraints.builder().maxStringLength(100_000_000).build());
    }

    /** Counts of what was read so far. */
    public record Stats(long files, long ignoredFiles, long resources, long unparseable, long entriesWithoutResource,
                        long notificationStatuses) {
    }

    private long files;
    private long ignoredFiles;
    private long resources;
    private long unparseable;
    private long entriesWithoutResource;
    private long notificationStatuses;

    /**
     * The records under {@code path}, produced lazily file by file. Close the stream (try-with-resources)
     * to release an NDJSON file left half-read. Read errors of the file system surface as
     * {@link UncheckedIOException} naming the file.
     */
    public Stream<FhirResourceRecord> stream(Path path) throws IOException {
        List<Path> inputs = inputFiles(path);
        return inputs.stream().flatMap(this::recordsOf);
    }

    /** All records under {@code path}, in order, in one list. */
    public List<FhirResourceRecord> readAll(Path path) throws IOException {
        try (Stream<FhirResourceRecord> s = stream(path)) {
            return s.toList();
        }
    }

    /** What was read so far by this reader (all streams and lists together). */
    public Stats stats() {
        return new Stats(files, ignoredFiles, resources, unparseable, entriesWithoutResource, notificationStatuses);
    }

    /** The files that {@link #stream} reads for {@code path}, in reading order. */
    public List<Path> inputFiles(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new IOException("No such file or directory: " + path);
        }
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                if (FhirFiles.isNdjson(p) || FhirFiles.isJson(p)) {
                    found.add(p);
                } else {
                    ignoredFiles++;
                    log.debug("Ignoring {}: not .json, .ndjson or their .gz", p);
                }
            }
        }
        return found;
    }

    private Stream<FhirResourceRecord> recordsOf(Path file) {
        files++;
        try {
            return FhirFiles.isNdjson(file) ? ndjsonRecords(file) : jsonRecords(file).stream();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private List<FhirResourceRecord> jsonRecords(Path file) throws IOException {
        List<FhirResourceRecord> out = new ArrayList<>();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (InputStream in = FhirFiles.open(file)) {
            in.transferTo(buf);
        } catch (EOFException | ZipException e) {
            // A truncated or corrupt gzip file: pass on what could be decompressed, or else the raw file.
            byte[] partial = buf.size() > 0 ? buf.toByteArray() : Files.readAllBytes(file);
            out.add(unparseable(partial, file.toString(), "truncated or corrupt gzip data (" + e.getClass().getSimpleName() + ")"));
            return out;
        }
        parseAndEmit(buf.toByteArray(), file.toString(), out::add);
        return out;
    }

    private Stream<FhirResourceRecord> ndjsonRecords(Path file) throws IOException {
        LineReader lines;
        try {
            lines = new LineReader(FhirFiles.open(file));
        } catch (EOFException | ZipException e) {
            return Stream.of(unparseable(Files.readAllBytes(file), file.toString(),
                    "corrupt gzip header (" + e.getClass().getSimpleName() + ")"));
        }
        Iterator<FhirResourceRecord> it = new Iterator<>() {
            private final ArrayDeque<FhirResourceRecord> pending = new ArrayDeque<>();
            private int lineNo;
            private boolean eof;

            @Override
            public boolean hasNext() {
                while (pending.isEmpty() && !eof) {
                    readLine();
                }
                return !pending.isEmpty();
            }

            @Override
            public FhirResourceRecord next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return pending.removeFirst();
            }

            private void readLine() {
                lineNo++;
                String origin = file + ":" + lineNo;
                byte[] line;
                try {
                    line = lines.next();
                } catch (EOFException | ZipException e) {
                    eof = true;
                    pending.add(unparseable(lines.partial(), origin,
                            "file ends inside compressed data (" + e.getClass().getSimpleName() + ")"));
                    return;
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot read " + origin + ": " + e.getMessage(), e);
                }
                if (line == null) {
                    eof = true;
                } else if (!isBlank(line)) {
                    parseAndEmit(line, origin, pending::add);
                }
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(() -> {
                    try {
                        lines.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException("Cannot close " + file, e);
                    }
                });
    }

    /** Splits a byte stream on '\n' (dropping a trailing '\r'), keeping each line's bytes as they are. */
    private static final class LineReader implements AutoCloseable {
        private final InputStream in;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int limit;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(4096);

        LineReader(InputStream in) {
            this.in = in;
        }

        /** The next line, or null at the end of the input. */
        byte[] next() throws IOException {
            line.reset();
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buf, 0, buf.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return any ? stripCr(line.toByteArray()) : null;
                    }
                }
                any = true;
                int start = pos;
                while (pos < limit && buf[pos] != '\n') {
                    pos++;
                }
                line.write(buf, start, pos - start);
                if (pos < limit) {
                    pos++; // skip '\n'
                    return stripCr(line.toByteArray());
                }
            }
        }

        /** The bytes of the line being read when the input failed. */
        byte[] partial() {
            return line.toByteArray();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private void parseAndEmit(byte[] bytes, String origin, Consumer<FhirResourceRecord> out) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            out.accept(unparseable(bytes, origin, "not valid JSON (" + e.getClass().getSimpleName() + where + ")"));
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot parse " + origin, e);
        }
        if (node == null || node.isMissingNode()) {
            out.accept(unparseable(bytes, origin, "empty input"));
            return;
        }
        emit(node, bytes, origin, out);
    }

    private void emit(JsonNode node, byte[] raw, String origin, Consumer<FhirResourceRecord> out) {
        JsonNode typeNode = node.get("resourceType");
        if (!node.isObject() || typeNode == null || !typeNode.isTextual() || typeNode.asText().isBlank()) {
            out.accept(unparseable(raw != null ? raw : toBytes(node, origin), origin, "no resourceType"));
            return;
        }
        String type = typeNode.asText();
        if ("Bundle".equals(type)) {
            if (node.has("entry") && !node.get("entry").isArray()) {
                out.accept(unparseable(raw != null ? raw : toBytes(node, origin), origin, "Bundle.entry is not an array"));
            } else {
                unwrapBundle(node, origin, out);
            }
            return;
        }
        resources++;
        out.accept(new FhirResourceRecord(type, ResourceFields.text(node.get("id")), toBytes(node, origin), ResourceFields.eventTime(type, node),
                ResourceFields.patientRef(type, node), origin));
    }

    private void unwrapBundle(JsonNode bundle, String origin, Consumer<FhirResourceRecord> out) {
        JsonNode entries = bundle.path("entry");
        boolean notification = "history".equals(bundle.path("type").asText());
        Map<String, JsonNode> byUrn = new HashMap<>();
        for (JsonNode entry : entries) {
            String fullUrl = ResourceFields.text(entry.get("fullUrl"));
            JsonNode resource = entry.get("resource");
            if (fullUrl != null && fullUrl.startsWith("urn:") && resource != null && resource.isObject()) {
                byUrn.put(fullUrl, resource);
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            JsonNode resource = entries.get(i).get("resource");
            if (resource == null || resource.isNull()) {
                entriesWithoutResource++;
                continue;
            }
            if (!byUrn.isEmpty() && resource.isObject()) {
                resource = BundleEntries.standAlone((ObjectNode) resource, byUrn);
            }
            if (i == 0 && notification && isSubscriptionStatus(resource)) {
                notificationStatuses++;
                continue;
            }
            emit(resource, null, origin + "#entry[" + i + "]", out);
        }
    }

    private static boolean isSubscriptionStatus(JsonNode resource) {
        if (!"Parameters".equals(resource.path("resourceType").asText())) {
            return false;
        }
        for (JsonNode profile : resource.path("meta").path("profile")) {
            if (profile.asText().contains("subscription-status")) {
                return true;
            }
        }
        for (JsonNode parameter : resource.path("parameter")) {
            if ("subscription".equals(parameter.path("name").asText())) {
                return true;
            }
        }
        return false;
    }

    private FhirResourceRecord unparseable(byte[] raw, String origin, String reason) {
        unparseable++;
        log.warn("Unparseable FHIR input at {}: {}; passed on as raw bytes ({} bytes)", origin, reason, raw.length);
        return new FhirResourceRecord(null, null, raw, null, null, origin);
    }

    private static byte[] toBytes(JsonNode node, String origin) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialise the resource at " + origin, e);
        }
    }

    // ---- files ------------------------------------------------------------------------------------------

    private static byte[] stripCr(byte[] line) {
        return line.length > 0 && line[line.length - 1] == '\r'
                ? java.util.Arrays.copyOf(line, line.length - 1) : line;
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
