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

    @Test
    void statsTokensAreMintedAtMostOnceAMinuteAndAlwaysHaveMinutesLeft() throws Exception {
        FakeSwarm swarm = new FakeSwarm();
        Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
        java.time.Clock clock = new java.time.Clock() {
            @Override public java.time.ZoneId getZone() { return java.time.ZoneOffset.UTC; }
            @Override public java.time.Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now[0]; }
        };
        java.util.function.Supplier<java.util.Optional<String>> tokens = EdgeKey.statsTokens(swarm, clock);
        assertThat(tokens.get()).as("no cluster key yet: no token").isEmpty();
        EdgeKey.of(swarm);
        String first = tokens.get().orElseThrow();
        now[0] = now[0].plusSeconds(59);
        assertThat(tokens.get()).contains(first);
        now[0] = now[0].plusSeconds(1);
        String second = tokens.get().orElseThrow();
        assertThat(second).isNotEqualTo(first);
        SignedJWT jwt = SignedJWT.parse(second);
        assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly(io.swarmcanary.envoy.EnvoyConfigRenderer.STATS_AUDIENCE);
        assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(now[0].plus(EdgeKey.STATS_TOKEN_TTL));
        now[0] = now[0].minusSeconds(3600); // a clock set back: never a token minted "in the future"
        assertThat(tokens.get().orElseThrow()).isNotEqualTo(second);
    }
}
