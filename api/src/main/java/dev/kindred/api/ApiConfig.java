package dev.kindred.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The HTTP server's settings, from the same properties as the rest of Kindred ({@code kindred.http.*} and
 * {@code kindred.cds.*}). Secrets (tokens) are never logged or echoed back.
 */
public final class ApiConfig extends AbstractConfig {

    public static final String ENABLED_CONFIG = "kindred.http.enabled";
    public static final String HOST_CONFIG = "kindred.http.host";
    public static final String PORT_CONFIG = "kindred.http.port";
    public static final String PUBLIC_URL_CONFIG = "kindred.http.public-url";
    public static final String TOKENS_CONFIG = "kindred.http.auth.tokens";
    public static final String TOKENS_FILE_CONFIG = "kindred.http.auth.tokens.file";
    public static final String IDENTIFIED_ROLES_CONFIG = "kindred.http.identified-roles";
    public static final String INTERNAL_TOKEN_CONFIG = "kindred.http.internal.token";
    public static final String CORS_ORIGINS_CONFIG = "kindred.http.cors.origins";
    public static final String ALERTS_BUFFER_CONFIG = "kindred.http.alerts.buffer";
    public static final String ALERTS_PER_PATIENT_CONFIG = "kindred.http.alerts.per-patient";
    public static final String ALERTS_PATIENTS_CONFIG = "kindred.http.alerts.patients";
    public static final String FORWARD_TIMEOUT_CONFIG = "kindred.http.forward.timeout.ms";

    public static final String CDS_ISSUERS_CONFIG = "kindred.cds.issuers";
    public static final String CDS_ISSUER_PREFIX = "kindred.cds.issuer.";
    public static final String CDS_ALGORITHMS_CONFIG = "kindred.cds.jwt.algorithms";
    public static final String CDS_MAX_LIFETIME_CONFIG = "kindred.cds.jwt.max-lifetime.s";
    public static final String CDS_CLOCK_SKEW_CONFIG = "kindred.cds.jwt.clock-skew.s";
    public static final String CDS_FHIR_TIMEOUT_CONFIG = "kindred.cds.fhir.timeout.ms";
    public static final String SUBSCRIPTION_ENABLED_CONFIG = "kindred.subscription.enabled";
    public static final String SUBSCRIPTION_SECRET_HEADER_CONFIG = "kindred.subscription.secret-header";
    public static final String SUBSCRIPTION_FHIR_BASE_CONFIG = "kindred.subscription.fhir.base-url";
    public static final String SUBSCRIPTION_FHIR_AUTH_HEADER_CONFIG = "kindred.subscription.fhir.auth-header";
    public static final String SUBSCRIPTION_STATE_TOPIC_CONFIG = "kindred.subscription.state-topic";
    public static final String SUBSCRIPTION_TRANSACTIONAL_ID_CONFIG = "kindred.subscription.transactional-id";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(ENABLED_CONFIG, Type.BOOLEAN, true, Importance.HIGH,
                    "Start the HTTP server (API, CDS Hooks, dashboard, /health, /metrics).")
            .define(HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.HIGH,
                    "Address the HTTP server binds to; 127.0.0.1 unless set.")
            .define(PORT_CONFIG, Type.INT, 8080, Range.between(0, 65535), Importance.HIGH,
                    "HTTP port; 0 picks a free one.")
            .define(PUBLIC_URL_CONFIG, Type.STRING, "", Importance.HIGH,
                    "Base URL clients call (behind a proxy: the proxy's). A CDS client's JWT must have aud equal to"
                            + " this base plus the path called; card links point here. Empty: http://host:port.")
            .define(TOKENS_CONFIG, Type.PASSWORD, null, Importance.HIGH,
                    "Bearer tokens of the API, dashboard and /metrics, as role:token entries, comma-separated.")
            .define(TOKENS_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                    "A file of role:token lines (# comments), read at start, in addition to kindred.http.auth.tokens.")
            .define(IDENTIFIED_ROLES_CONFIG, Type.LIST, "", Importance.HIGH,
                    "Roles that see other patients' keys. Everyone else, and every CDS client, sees similar patients"
                            + " de-identified: a pseudonym per alert or request, similarity, what they share, outcomes.")
            .define(INTERNAL_TOKEN_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Shared secret instances send each other when one forwards a patient's state request to the"
                            + " instance that holds it. Needed with more than one instance and auth on.")
            .define(CORS_ORIGINS_CONFIG, Type.LIST, "*", Importance.LOW,
                    "Origins allowed to call the CDS Hooks endpoints from a browser (* for any).")
            .define(ALERTS_BUFFER_CONFIG, Type.INT, 10_000, Range.atLeast(10), Importance.LOW,
                    "Recent alerts each instance keeps in memory for the alert list and the live stream.")
            .define(ALERTS_PER_PATIENT_CONFIG, Type.INT, 20, Range.atLeast(1), Importance.LOW,
                    "Latest alerts kept per patient.")
            .define(ALERTS_PATIENTS_CONFIG, Type.INT, 100_000, Range.atLeast(1), Importance.LOW,
                    "Patients whose latest alerts are kept (least recently alerted dropped first).")
            .define(FORWARD_TIMEOUT_CONFIG, Type.INT, 5_000, Range.atLeast(1), Importance.LOW,
                    "Timeout of a request forwarded to the instance holding a patient.")
            .define(CDS_ISSUERS_CONFIG, Type.LIST, "", Importance.HIGH,
                    "Names of the CDS clients (EHRs) trusted, each configured with kindred.cds.issuer.<name>.iss and"
                            + " .jwks-url or .jwks-file. A JWT from any other issuer is refused.")
            .define(CDS_ALGORITHMS_CONFIG, Type.LIST, "ES384,RS384", Importance.MEDIUM,
                    "JWS algorithms accepted (asymmetric only: none and HMAC are always refused).")
            .define(CDS_MAX_LIFETIME_CONFIG, Type.INT, 3600, Range.atLeast(1), Importance.LOW,
                    "A JWT whose exp is further than this many seconds ahead is refused (bounds the jti cache).")
            .define(CDS_CLOCK_SKEW_CONFIG, Type.INT, 60, Range.atLeast(0), Importance.LOW,
                    "Allowed clock difference for exp, iat and nbf, in seconds.")
            .define(CDS_FHIR_TIMEOUT_CONFIG, Type.INT, 5_000, Range.atLeast(1), Importance.LOW,
                    "Timeout of each fetch from a CDS client's fhirServer.")
            .define(SUBSCRIPTION_ENABLED_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Serve the FHIR subscription rest-hook receiver at /subscription-hook (backport notifications,"
                            + " HAPI classic PUT) and its state at /api/subscriptions.")
            .define(SUBSCRIPTION_SECRET_HEADER_CONFIG, Type.PASSWORD, null, Importance.HIGH,
                    "The header every notification must carry, as in Subscription.channel.header, e.g."
                            + " 'Authorization: Bearer xyz'. Required when the receiver is enabled.")
            .define(SUBSCRIPTION_FHIR_BASE_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "The FHIR server that sends the notifications: id-only focuses are read and gaps recovered"
                            + " with $events there. Empty: only full-resource notifications are usable.")
            .define(SUBSCRIPTION_FHIR_AUTH_HEADER_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Header sent with each request to that FHIR server, e.g. 'Authorization: Bearer abc'.")
            .define(SUBSCRIPTION_STATE_TOPIC_CONFIG, Type.STRING, "kindred.subscription-state", Importance.LOW,
                    "Compacted topic holding each subscription's last event number and open gaps.")
            .define(SUBSCRIPTION_TRANSACTIONAL_ID_CONFIG, Type.STRING, "kindred-subscription-receiver", Importance.LOW,
                    "Transactional id of the receiver's producer; give each instance its own.");

    /** One trusted CDS client. */
    public record Issuer(String name, String iss, String jwksUrl, String jwksFile) {
    }

    /** One accepted bearer token and the role it grants. */
    public record Token(String role, String token) {
        @Override
        public String toString() {
            return "Token[role=" + role + "]";
        }
    }

    public ApiConfig(Map<?, ?> props) {
        super(CONFIG, props, false);
    }

    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public boolean enabled() {
        return getBoolean(ENABLED_CONFIG);
    }

    public String host() {
        return getString(HOST_CONFIG);
    }

    public int port() {
        return getInt(PORT_CONFIG);
    }

    public String publicUrl() {
        String url = getString(PUBLIC_URL_CONFIG);
        return url == null ? "" : url.replaceAll("/+$", "");
    }

    public List<String> identifiedRoles() {
        return getList(IDENTIFIED_ROLES_CONFIG);
    }

    public String internalToken() {
        var p = getPassword(INTERNAL_TOKEN_CONFIG);
        return p == null || p.value().isBlank() ? null : p.value();
    }

    public List<String> corsOrigins() {
        return getList(CORS_ORIGINS_CONFIG);
    }

    public int alertsBuffer() {
        return getInt(ALERTS_BUFFER_CONFIG);
    }

    public int alertsPerPatient() {
        return getInt(ALERTS_PER_PATIENT_CONFIG);
    }

    public int alertsPatients() {
        return getInt(ALERTS_PATIENTS_CONFIG);
    }

    public Duration forwardTimeout() {
        return Duration.ofMillis(getInt(FORWARD_TIMEOUT_CONFIG));
    }

    public List<String> jwtAlgorithms() {
        return getList(CDS_ALGORITHMS_CONFIG);
    }

    public Duration jwtMaxLifetime() {
        return Duration.ofSeconds(getInt(CDS_MAX_LIFETIME_CONFIG));
    }

    public Duration jwtClockSkew() {
        return Duration.ofSeconds(getInt(CDS_CLOCK_SKEW_CONFIG));
    }

    public Duration fhirTimeout() {
        return Duration.ofMillis(getInt(CDS_FHIR_TIMEOUT_CONFIG));
    }

    public boolean subscriptionEnabled() {
        return getBoolean(SUBSCRIPTION_ENABLED_CONFIG);
    }

    public String subscriptionSecretHeader() {
        var secret = getPassword(SUBSCRIPTION_SECRET_HEADER_CONFIG);
        return secret == null ? null : secret.value();
    }

    public String subscriptionFhirBase() {
        String base = getString(SUBSCRIPTION_FHIR_BASE_CONFIG);
        return base.isBlank() ? null : base;
    }

    public String subscriptionFhirAuthHeader() {
        var header = getPassword(SUBSCRIPTION_FHIR_AUTH_HEADER_CONFIG);
        return header == null ? null : header.value();
    }

    public String subscriptionStateTopic() {
        return getString(SUBSCRIPTION_STATE_TOPIC_CONFIG);
    }

    public String subscriptionTransactionalId() {
        return getString(SUBSCRIPTION_TRANSACTIONAL_ID_CONFIG);
    }

    /** The accepted bearer tokens, from the setting and the tokens file. */
    public List<Token> tokens() {
        List<String> entries = new ArrayList<>();
        var inline = getPassword(TOKENS_CONFIG);
        if (inline != null && !inline.value().isBlank()) {
            for (String e : inline.value().split(",")) {
                entries.add(e);
            }
        }
        String file = getString(TOKENS_FILE_CONFIG);
        if (file != null && !file.isBlank()) {
            try {
                for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && !line.strip().startsWith("#")) {
                        entries.add(line);
                    }
                }
            } catch (IOException e) {
                throw new ConfigException(TOKENS_FILE_CONFIG + ": cannot read " + file + ": " + e.getMessage());
            }
        }
        List<Token> out = new ArrayList<>();
        for (String entry : entries) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.indexOf(':');
            if (colon <= 0 || colon == e.length() - 1) {
                throw new ConfigException("bearer tokens are role:token entries; one is not (its role or token is"
                        + " missing)");
            }
            String token = e.substring(colon + 1).strip();
            if (token.length() < 16) {
                throw new ConfigException("a bearer token of role " + e.substring(0, colon).strip()
                        + " is shorter than 16 characters");
            }
            out.add(new Token(e.substring(0, colon).strip().toLowerCase(Locale.ROOT), token));
        }
        return out;
    }

    /** The trusted CDS clients, by name. */
    public Map<String, Issuer> issuers() {
        Map<String, Issuer> out = new LinkedHashMap<>();
        Map<String, Object> originals = originals();
        for (String name : getList(CDS_ISSUERS_CONFIG)) {
            String prefix = CDS_ISSUER_PREFIX + name + ".";
            String iss = string(originals.get(prefix + "iss"));
            String url = string(originals.get(prefix + "jwks-url"));
            String file = string(originals.get(prefix + "jwks-file"));
            if (iss == null) {
                throw new ConfigException(prefix + "iss", null, "the issuer (iss claim) of CDS client " + name
                        + " must be set");
            }
            if ((url == null) == (file == null)) {
                throw new ConfigException(prefix + "jwks-url", url, "CDS client " + name
                        + " needs exactly one of jwks-url and jwks-file");
            }
            out.put(name, new Issuer(name, iss, url, file));
        }
        return out;
    }

    private static String string(Object o) {
        if (o == null) {
            return null;
        }
        String s = o.toString().strip();
        return s.isEmpty() ? null : s;
    }
}
