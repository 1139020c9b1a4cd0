package dev.kindred.connect.fhir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The plugin's version, from the build (Connect shows it for the plugin and each connector). */
final class Versions {

    static final String VERSION = load();

    private Versions() {
    }

    private static String load() {
        try (InputStream in = Versions.class.getResourceAsStream("kindred-connect-fhir-sink.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
