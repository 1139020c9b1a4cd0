package dev.kindred.connectors.files;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** What Kindred reads as FHIR files, and how: by name (.json, .ndjson, either gzipped) and by content (gzip). */
public final class FhirFiles {
    private static final int BUFFER = 64 * 1024;

    private FhirFiles() {
    }

    /** A Bulk Data file: one resource per line. */
    public static boolean isNdjson(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".ndjson") || name.endsWith(".ndjson.gz");
    }

    /** A file holding one JSON resource (a Bundle, a notification, a single resource). */
    public static boolean isJson(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".json") || name.endsWith(".json.gz");
    }

    /** Opens a file, decompressing when it starts with the gzip magic bytes (1f 8b), whatever its name. */
    public static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER);
        in.mark(2);
        int b1 = in.read();
        int b2 = in.read();
        in.reset();
        if (b1 == 0x1f && b2 == 0x8b) {
            try {
                return new GZIPInputStream(in, BUFFER);
            } catch (IOException e) {
                in.close();
                throw e;
            }
        }
        return in;
    }

    /**
     * The whole content of a file, decompressed as {@link #open} does; a truncated or corrupt gzip stream gives
     * what could not be read as empty, for the mapper to reject as malformed JSON.
     */
    public static byte[] readAll(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return in.readAllBytes();
        } catch (EOFException | ZipException e) {
            return new byte[0];
        }
    }
}
