package dev.kindred.api;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A CDS client (an EHR) for the tests: its own keys, a JWKS file Kindred is configured with, and signed JWTs. */
final class Ehr {
    static final String ISS = "https://ehr.example.org";
    final ECKey ec;
    final RSAKey rsa;
    final Path jwks;

    Ehr(Path dir) throws Exception {
        ec = new ECKeyGenerator(Curve.P_384).keyID("ec-1").generate();
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        jwks = dir.resolve("ehr-jwks.json");
        Files.writeString(jwks, new JWKSet(List.of(ec.toPublicJWK(), rsa.toPublicJWK())).toString());
    }

    /** Kindred settings trusting this EHR. */
    Map<String, Object> settings() {
        Map<String, Object> s = new HashMap<>();
        s.put("kindred.cds.issuers", "ehr");
        s.put("kindred.cds.issuer.ehr.iss", ISS);
        s.put("kindred.cds.issuer.ehr.jwks-file", jwks.toString());
        return s;
    }

    static JWTClaimsSet.Builder claims(String aud, Instant exp) {
        return new JWTClaimsSet.Builder().issuer(ISS).audience(aud).issueTime(new Date())
                .expirationTime(Date.from(exp)).jwtID(UUID.randomUUID().toString());
    }

    String es384(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(ec.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new ECDSASigner(ec));
        return jwt.serialize();
    }

    String es384WithJku(JWTClaimsSet claims, String jku) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(ec.getKeyID())
                .type(JOSEObjectType.JWT).jwkURL(URI.create(jku)).build(), claims);
        jwt.sign(new ECDSASigner(ec));
        return jwt.serialize();
    }

    String rs384(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID(rsa.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(rsa));
        return jwt.serialize();
    }

    static String hs256(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new MACSigner("a-shared-secret-that-is-at-least-32-bytes-long!".getBytes()));
        return jwt.serialize();
    }

    static String none(JWTClaimsSet claims) {
        return new PlainJWT(claims).serialize();
    }

    /** A valid ES384 token for a call to {@code url}. */
    String bearer(String url) throws Exception {
        return "Bearer " + es384(claims(url, Instant.now().plusSeconds(300)).build());
    }
}
