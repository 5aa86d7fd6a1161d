package io.swarmcanary.edge;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.swarmcanary.ConflictException;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ClusterConfigs;
import io.swarmcanary.swarm.SwarmGateway;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The cluster's edge key: an ES256 key pair whose private half signs short-lived tokens (forcing a track's canary,
 * reading the stats host) and whose public half is all Envoy holds (jwt_authn, JWKS inline). Envoy's config then
 * verifies a credential without any secret, nor a hash of one, in it. The private key is a Swarm config, which only
 * Docker API users can read, like the secret-naming key: whoever can read it can change the edge anyway.
 */
public final class EdgeKey {
    /** How long a stats token the CLI mints is valid, and how long one is handed out again before a new one is minted. */
    static final Duration STATS_TOKEN_TTL = Duration.ofMinutes(5);
    static final Duration STATS_TOKEN_REUSE = Duration.ofMinutes(1);

    public static final String CONFIG = "swarm-canary-edge-key";
    public static final String KIND = Labels.Kind.EDGE_KEY;
    /** The longest a token may live: a forgotten one stops working within a month. */
    public static final Duration MAX_TTL = Duration.ofDays(31);

    private final ECKey key;

    private EdgeKey(ECKey key) {
        this.key = key;
    }

    /** The cluster's key, or empty when no {@code edge ensure} has made one yet. Reading changes nothing. */
    public static Optional<EdgeKey> read(SwarmGateway swarm) {
        return ClusterConfigs.read(swarm, CONFIG).map(EdgeKey::parse);
    }

    /** The cluster's key, created now if it has none; two first users at once agree on whichever was created. */
    public static EdgeKey of(SwarmGateway swarm) {
        Optional<EdgeKey> existing = read(swarm);
        if (existing.isPresent()) {
            return existing.get();
        }
        return parse(ClusterConfigs.createOrReadWinner(swarm, CONFIG,
                generate().key.toJSONString().getBytes(StandardCharsets.UTF_8),
                Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, KIND),
                () -> new ConflictException("another command created this cluster's edge key at the same moment, and it"
                        + " cannot be read back. Re-run.")));
    }

    /** A new key, not stored anywhere (tests; {@link #of} stores the cluster's). */
    public static EdgeKey generate() {
        try {
            return new EdgeKey(new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).generate());
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate an EC P-256 key: " + e.getMessage(), e);
        }
    }

    private static EdgeKey parse(byte[] data) {
        try {
            ECKey key = ECKey.parse(new String(data, StandardCharsets.UTF_8));
            if (!key.isPrivate()) {
                throw new IllegalStateException("the Swarm config " + CONFIG + " holds no private key");
            }
            return new EdgeKey(key);
        } catch (ParseException e) {
            // the parser's message could quote the key material: say only where the problem is
            throw new IllegalStateException("the Swarm config " + CONFIG + " is not an EC JWK; remove it and run"
                    + " 'swarm-canary edge ensure' again to make a new key");
        }
    }

    /** The public key as a JWKS, for Envoy's jwt_authn {@code local_jwks}. */
    public String publicJwks() {
        return new JWKSet(key.toPublicJWK()).toString();
    }

    /** A signed token for this audience (a track's name forces its canary), valid from now for {@code ttl}. */
    public String mint(String audience, Duration ttl, Instant now) {
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new io.swarmcanary.UserInputException("--ttl must be more than 0 and at most " + MAX_TTL.toDays()
                    + " days, got " + ttl);
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(EnvoyConfigRenderer.TOKEN_ISSUER).audience(audience)
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now.minusSeconds(5)))
                .expirationTime(Date.from(now.plus(ttl))).jwtID(UUID.randomUUID().toString()).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    /**
     * Stats tokens of the cluster's key, read from the cluster once (on first use); empty while it has none. A token is
     * minted at most once a minute and each one is valid for {@link #STATS_TOKEN_TTL}, so every token handed out has
     * minutes left (a long analysis window never reads with an expired one), and a wait that asks the control plane ten
     * times a second does not sign ten tokens a second (ECDSA, 25-50 ms each in a CLI's cold JVM).
     */
    public static Supplier<Optional<String>> statsTokens(SwarmGateway swarm) {
        return statsTokens(swarm, java.time.Clock.systemUTC());
    }

    static Supplier<Optional<String>> statsTokens(SwarmGateway swarm, java.time.Clock clock) {
        AtomicReference<Optional<EdgeKey>> key = new AtomicReference<>();
        AtomicReference<Minted> last = new AtomicReference<>();
        return () -> {
            Optional<EdgeKey> k = key.updateAndGet(known -> known != null && known.isPresent() ? known : read(swarm));
            if (k.isEmpty()) {
                return Optional.empty();
            }
            Instant now = clock.instant();
            Minted minted = last.updateAndGet(m -> m != null && !now.isBefore(m.at()) && now.isBefore(m.at().plus(STATS_TOKEN_REUSE))
                    ? m : new Minted(k.get().mint(EnvoyConfigRenderer.STATS_AUDIENCE, STATS_TOKEN_TTL, now), now));
            return Optional.of(minted.token());
        };
    }

    private record Minted(String token, Instant at) {}

    /** A token for reading the stats host, valid for a few minutes. */
    public String statsToken() {
        return mint(EnvoyConfigRenderer.STATS_AUDIENCE, STATS_TOKEN_TTL, Instant.now());
    }
}
