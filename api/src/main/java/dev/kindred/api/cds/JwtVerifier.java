package dev.kindred.api.cds;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.kindred.api.ApiConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies the JWT a CDS client sends with every call, as CDS Hooks 2.0 asks: the issuer ({@code iss}) must be one
 * of the configured CDS clients, and the signature must verify with a key of that client's JWKS, which comes from
 * Kindred's configuration (a URL or a file) and never from the token's {@code jku} header (a {@code jku} other
 * than the configured URL is refused); only asymmetric algorithms (ES384 and RS384 by default), never
 * {@code none} or HMAC; {@code aud} must be the URL called; {@code exp}, {@code iat} and {@code jti} are required,
 * {@code exp} no further ahead than the configured maximum; a {@code jti} is accepted once until its token expires.
 */
public final class JwtVerifier {
    private static final Set<JWSAlgorithm> ASYMMETRIC = new HashSet<>();

    static {
        ASYMMETRIC.addAll(JWSAlgorithm.Family.RSA);
        ASYMMETRIC.addAll(JWSAlgorithm.Family.EC);
        ASYMMETRIC.addAll(JWSAlgorithm.Family.ED);
    }

    private static final int MAX_JTIS = 1_000_000;

    /** A verified caller. */
    public record Caller(String issuerName, String iss, String subject, String jti) {
    }

    /** Why a token was refused; the message is safe to return to the client. */
    public static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        public Rejected(String message) {
            super(message);
        }
    }

    private record Trusted(ApiConfig.Issuer config, JWSVerificationKeySelector<SecurityContext> keys) {
    }

    private final Map<String, Trusted> byIss = new HashMap<>();
    private final Set<JWSAlgorithm> algorithms;
    private final Duration maxLifetime;
    private final Duration skew;
    private final Clock clock;
    private final Map<String, Instant> seenJtis = new ConcurrentHashMap<>();

    public JwtVerifier(ApiConfig config) {
        this(config.issuers().values(), config.jwtAlgorithms(), config.jwtMaxLifetime(), config.jwtClockSkew(),
                Clock.systemUTC());
    }

    public JwtVerifier(Iterable<ApiConfig.Issuer> issuers, List<String> algorithmNames, Duration maxLifetime,
            Duration skew, Clock clock) {
        Set<JWSAlgorithm> algs = new LinkedHashSet<>();
        for (String name : algorithmNames) {
            JWSAlgorithm alg = JWSAlgorithm.parse(name.strip().toUpperCase(Locale.ROOT));
            if (!ASYMMETRIC.contains(alg)) {
                throw new IllegalArgumentException("JWS algorithm " + name + " is not accepted for CDS clients: only"
                        + " asymmetric algorithms (ES384, RS384 ...), never none or HMAC");
            }
            algs.add(alg);
        }
        this.algorithms = Set.copyOf(algs);
        this.maxLifetime = maxLifetime;
        this.skew = skew;
        this.clock = clock;
        for (ApiConfig.Issuer issuer : issuers) {
            JWKSource<SecurityContext> source = jwks(issuer);
            byIss.put(issuer.iss(), new Trusted(issuer, new JWSVerificationKeySelector<>(algorithms, source)));
        }
    }

    private static JWKSource<SecurityContext> jwks(ApiConfig.Issuer issuer) {
        try {
            if (issuer.jwksFile() != null) {
                return new ImmutableJWKSet<>(JWKSet.parse(Files.readString(Path.of(issuer.jwksFile()),
                        StandardCharsets.UTF_8)));
            }
            return JWKSourceBuilder.<SecurityContext>create(URI.create(issuer.jwksUrl()).toURL(),
                    new DefaultResourceRetriever(5_000, 5_000, 256 * 1024)).build();
        } catch (IOException | ParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException("CDS client " + issuer.name() + ": cannot read its JWKS ("
                    + e.getMessage() + ")", e);
        }
    }

    /** Whether any CDS client is configured. */
    public boolean hasIssuers() {
        return !byIss.isEmpty();
    }

    /**
     * Verifies the {@code Authorization} header of a call to {@code calledUrl}.
     *
     * @throws Rejected with a reason when the call must be refused (401)
     */
    public Caller verify(String authorization, String calledUrl) throws Rejected {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new Rejected("a Bearer JWT is required");
        }
        String token = authorization.substring(7).strip();
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new Rejected("not a signed JWT (unsigned tokens, alg none, are refused)");
        }
        JWSHeader header = jwt.getHeader();
        if (!algorithms.contains(header.getAlgorithm())) {
            throw new Rejected("JWS algorithm " + header.getAlgorithm() + " is not accepted");
        }
        String iss;
        try {
            iss = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            throw new Rejected("the JWT claims are not valid JSON");
        }
        Trusted trusted = iss == null ? null : byIss.get(iss);
        if (trusted == null) {
            throw new Rejected("issuer not trusted");
        }
        if (header.getJWKURL() != null && (trusted.config().jwksUrl() == null
                || !header.getJWKURL().toString().equals(trusted.config().jwksUrl()))) {
            throw new Rejected("jku is not the issuer's configured JWKS URL (it is never fetched)");
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(Set.of(calledUrl),
                new JWTClaimsSet.Builder().issuer(iss).build(), Set.of("iss", "aud", "exp", "iat", "jti"), null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew((int) skew.toSeconds());
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(trusted.keys());
        processor.setJWTClaimsSetVerifier(claims);
        JWTClaimsSet verified;
        try {
            verified = processor.process(jwt, null);
        } catch (Exception e) {
            throw new Rejected("JWT rejected: " + e.getMessage());
        }
        Instant now = clock.instant();
        Instant exp = verified.getExpirationTime().toInstant();
        if (exp.isAfter(now.plus(maxLifetime).plus(skew))) {
            throw new Rejected("JWT expires too far ahead (at most " + maxLifetime.toSeconds() + " s)");
        }
        String jti = verified.getJWTID();
        remember(iss + "|" + jti, exp.plus(skew), now);
        return new Caller(trusted.config().name(), iss, verified.getSubject(), jti);
    }

    private void remember(String jti, Instant until, Instant now) throws Rejected {
        if (seenJtis.size() >= MAX_JTIS / 2) {
            for (Iterator<Map.Entry<String, Instant>> it = seenJtis.entrySet().iterator(); it.hasNext(); ) {
                if (it.next().getValue().isBefore(now)) {
                    it.remove();
                }
            }
            if (seenJtis.size() >= MAX_JTIS) {
                throw new Rejected("too many unexpired tokens seen; try again later");
            }
        }
        Instant previous = seenJtis.putIfAbsent(jti, until);
        if (previous != null) {
            if (previous.isBefore(now)) {
                seenJtis.put(jti, until);
                return;
            }
            throw new Rejected("jti already used (replay)");
        }
    }
}
