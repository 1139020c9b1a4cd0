package dev.kindred.connect.fhir;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Logical ids of written resources, derived from alert ids so the same alert always lands on one resource. */
public final class ResourceIds {

    /** FHIR R4 id: 1 to 64 of letters, digits, '-' and '.'. */
    private static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    private ResourceIds() {
    }

    /**
     * The alert id itself when it is a valid FHIR id (Kindred's are UUIDs), otherwise the 64 hex digits of
     * its SHA-256: stable, valid and, unlike replacing the offending characters, without collisions between
     * ids that differ only in those characters.
     */
    public static String fromAlertId(String alertId) {
        if (alertId == null || alertId.isEmpty()) {
            throw new IllegalArgumentException("an alert id is needed");
        }
        if (isValidId(alertId)) {
            return alertId;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(alertId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public static boolean isValidId(String id) {
        return id != null && FHIR_ID.matcher(id).matches();
    }
}
