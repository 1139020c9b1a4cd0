package dev.kindred.api.auth;

import dev.kindred.api.ApiConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Bearer tokens of the API, the dashboard's calls and /metrics, each granting a role; and the shared secret of the
 * internal endpoint instances forward to each other. Tokens are compared in constant time and never logged.
 */
public final class ApiAuth {
    /** The role of every caller of a demo, which runs without auth. */
    public static final String DEMO_ROLE = "demo";

    private final List<ApiConfig.Token> tokens;
    private final String internalToken;
    private final List<String> identifiedRoles;
    private final boolean open;

    /**
     * @param open true only for {@code kindred demo}: every call is let in as {@link #DEMO_ROLE}
     */
    public ApiAuth(List<ApiConfig.Token> tokens, String internalToken, List<String> identifiedRoles, boolean open) {
        this.tokens = List.copyOf(tokens);
        this.internalToken = internalToken;
        this.identifiedRoles = List.copyOf(identifiedRoles);
        this.open = open;
    }

    public boolean open() {
        return open;
    }

    public boolean hasTokens() {
        return !tokens.isEmpty();
    }

    /** The role the {@code Authorization} header grants, or empty when it grants none. */
    public Optional<String> role(String authorization) {
        if (open) {
            return Optional.of(DEMO_ROLE);
        }
        String presented = bearer(authorization);
        if (presented == null) {
            return Optional.empty();
        }
        byte[] p = presented.getBytes(StandardCharsets.UTF_8);
        String found = null;
        for (ApiConfig.Token t : tokens) {
            if (MessageDigest.isEqual(p, t.token().getBytes(StandardCharsets.UTF_8)) && found == null) {
                found = t.role();
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether the header carries the internal token (another instance forwarding a request). */
    public boolean internal(String authorization) {
        if (open) {
            return true;
        }
        String presented = bearer(authorization);
        return internalToken != null && presented != null
                && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                        internalToken.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a role sees other patients' keys. */
    public boolean identified(String role) {
        return role != null && identifiedRoles.contains(role);
    }

    static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = authorization.substring(7).strip();
        return t.isEmpty() ? null : t;
    }
}
