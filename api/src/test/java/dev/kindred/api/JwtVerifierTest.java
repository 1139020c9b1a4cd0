package dev.kindred.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kindred.api.cds.JwtVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** JWT verification as CDS Hooks 2.0 asks, without a server: each way a token must be refused. */
@Timeout(60)
class JwtVerifierTest {
    static final String URL = "https://kindred.example.org/cds-services/kindred-patient-view";

    @TempDir
    static Path tmp;
    static Ehr ehr;
    static JwtVerifier verifier;

    @BeforeAll
    static void keys() throws Exception {
        ehr = new Ehr(tmp);
        verifier = new JwtVerifier(new ApiConfig(ehr.settings()));
    }

    static Instant soon() {
        return Instant.now().plusSeconds(120);
    }

    @Test
    void es384AndRs384TokensForTheCalledUrlPass() throws Exception {
        assertThat(verifier.verify("Bearer " + ehr.es384(Ehr.claims(URL, soon()).build()), URL).iss()).isEqualTo(Ehr.ISS);
        assertThat(verifier.verify("Bearer " + ehr.rs384(Ehr.claims(URL, soon()).build()), URL).issuerName())
                .isEqualTo("ehr");
    }

    @Test
    void anAudienceListContainingTheUrlPasses() throws Exception {
        String token = ehr.es384(Ehr.claims(URL, soon()).audience(List.of("https://other", URL)).build());
        assertThat(verifier.verify("Bearer " + token, URL).iss()).isEqualTo(Ehr.ISS);
    }

    @Test
    void refusals() throws Exception {
        assertRefused(null, "Bearer JWT is required");
        assertRefused("Basic dXNlcjpwYXNz", "Bearer JWT is required");
        assertRefused("Bearer " + ehr.es384(Ehr.claims(URL + "x", soon()).build()), "aud");
        assertRefused("Bearer " + ehr.es384(Ehr.claims(URL, Instant.now().minusSeconds(3600)).build()), "xpired");
        assertRefused("Bearer " + Ehr.none(Ehr.claims(URL, soon()).build()), "alg none");
        assertRefused("Bearer " + Ehr.hs256(Ehr.claims(URL, soon()).build()), "HS256");
        assertRefused("Bearer " + ehr.es384(Ehr.claims(URL, soon()).issuer("https://other.example").build()),
                "issuer not trusted");
        assertRefused("Bearer " + ehr.es384(Ehr.claims(URL, soon()).jwtID(null).build()), "jti");
        assertRefused("Bearer " + ehr.es384WithJku(Ehr.claims(URL, soon()).build(), "https://attacker.example/jwks"),
                "jku");
        assertRefused("Bearer " + ehr.es384(Ehr.claims(URL, Instant.now().plus(Duration.ofDays(1))).build()),
                "too far ahead");
        assertRefused("Bearer not.a.jwt", "not a signed JWT");
    }

    @Test
    void aJtiIsAcceptedOnce() throws Exception {
        String token = "Bearer " + ehr.es384(Ehr.claims(URL, soon()).build());
        verifier.verify(token, URL);
        assertRefused(token, "replay");
    }

    @Test
    void aTokenSignedByAnotherKeyIsRefused() throws Exception {
        Ehr impostor = new Ehr(Files.createTempDirectory(tmp, "impostor"));
        assertRefused("Bearer " + impostor.es384(Ehr.claims(URL, soon()).build()), "JWT rejected");
    }

    @Test
    void hmacAndNoneCannotBeConfigured() {
        assertThatThrownBy(() -> new JwtVerifier(List.of(), List.of("HS256"), Duration.ofHours(1), Duration.ZERO,
                Clock.systemUTC())).hasMessageContaining("never none or HMAC");
        assertThatThrownBy(() -> new JwtVerifier(List.of(), List.of("none"), Duration.ofHours(1), Duration.ZERO,
                Clock.systemUTC())).hasMessageContaining("never none or HMAC");
    }

    @Test
    void anIssuerNeedsExactlyOneJwksSource() {
        assertThatThrownBy(() -> new ApiConfig(Map.of("kindred.cds.issuers", "x", "kindred.cds.issuer.x.iss", "https://x"))
                .issuers()).hasMessageContaining("exactly one of jwks-url and jwks-file");
    }

    static void assertRefused(String header, String why) {
        assertThatThrownBy(() -> verifier.verify(header, URL)).isInstanceOf(JwtVerifier.Rejected.class)
                .hasMessageContaining(why);
    }
}
