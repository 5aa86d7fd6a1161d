package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.swarmcanary.UserInputException;
import io.swarmcanary.testing.FakeSwarm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EdgeKeyTest {
    @Test
    void theClusterKeyIsMadeOnceAndReadBack() {
        FakeSwarm swarm = new FakeSwarm();
        assertThat(EdgeKey.read(swarm)).isEmpty();
        EdgeKey made = EdgeKey.of(swarm);
        assertThat(EdgeKey.of(swarm).publicJwks()).isEqualTo(made.publicJwks());
        assertThat(EdgeKey.read(swarm).orElseThrow().publicJwks()).isEqualTo(made.publicJwks());
    }

    @Test
    void whatEnvoyGetsHoldsNoPrivatePart() throws Exception {
        String jwks = EdgeKey.generate().publicJwks();
        ECKey key = (ECKey) JWKSet.parse(jwks).getKeys().get(0);
        assertThat(key.isPrivate()).isFalse();
        assertThat(jwks).doesNotContain("\"d\"");
    }

    @Test
    void aTokenIsSignedForItsAudienceAndExpires() throws Exception {
        EdgeKey key = EdgeKey.generate();
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        SignedJWT jwt = SignedJWT.parse(key.mint("files-webdev", Duration.ofHours(1), now));
        ECKey publicKey = (ECKey) JWKSet.parse(key.publicJwks()).getKeys().get(0);
        assertThat(jwt.verify(new ECDSAVerifier(publicKey))).isTrue();
        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
        assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("swarm-canary");
        // a single string audience: what Envoy's route matches exactly
        assertThat(new String(jwt.getPayload().toBytes(), StandardCharsets.UTF_8)).contains("\"aud\":\"files-webdev\"");
        assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(now.plus(Duration.ofHours(1)));
    }

    @Test
    void aTokenLivesAtMostAMonth() {
        EdgeKey key = EdgeKey.generate();
        assertThatThrownBy(() -> key.mint("files-webdev", Duration.ofDays(32), Instant.now()))
                .isInstanceOf(UserInputException.class).hasMessageContaining("--ttl");
        assertThatThrownBy(() -> key.mint("files-webdev", Duration.ZERO, Instant.now())).isInstanceOf(UserInputException.class);
    }
}
