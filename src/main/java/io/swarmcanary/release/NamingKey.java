package io.swarmcanary.release;

import io.swarmcanary.swarm.ClusterConfigs;
import io.swarmcanary.swarm.AlreadyExistsException;
import io.swarmcanary.swarm.SwarmGateway;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster's key for naming secrets. A secret's name carries a keyed hash of its value (HMAC-SHA256), so names stay
 * deterministic (same value, same name: re-runs create nothing) while a name printed in a build log can no longer be
 * brute-forced offline, nor show that two environments share a value. The key lives in the cluster as a Swarm config,
 * which only Docker API users can read: whoever can read it can read the services' secrets anyway.
 */
public final class NamingKey {
    public static final String CONFIG = "swarm-canary-naming-key";
    public static final String KIND = Labels.Kind.NAMING_KEY;
    private static final int BYTES = 32;

    private NamingKey() {}

    /** A key as read from the cluster, or a new one not stored yet (a deploy stores it with its first change). */
    public record Key(byte[] bytes, boolean stored) {}

    /** The cluster's key, or a new one to {@link #store} once every check has passed: reading changes nothing. */
    public static Key readOrNew(SwarmGateway swarm) {
        return read(swarm).map(k -> new Key(k, true)).orElseGet(() -> {
            byte[] key = new byte[BYTES];
            new SecureRandom().nextBytes(key);
            return new Key(key, false);
        });
    }

    /** Stores a new key; another deploy storing its own at the same moment makes the names this run planned wrong. */
    public static void store(SwarmGateway swarm, Key key) {
        if (key.stored()) {
            return;
        }
        try {
            swarm.createConfig(CONFIG, key.bytes(), Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, KIND));
        } catch (AlreadyExistsException raced) {
            throw new io.swarmcanary.ConflictException("another deploy created this cluster's secret-naming key at the"
                    + " same moment; nothing of this run was created. Re-run.");
        }
    }

    /** The cluster's key, created now if it has none; two first users at once agree on whichever was created. */
    public static byte[] of(SwarmGateway swarm) {
        Key key = readOrNew(swarm);
        return key.stored() ? key.bytes() : ClusterConfigs.createOrReadWinner(swarm, CONFIG, key.bytes(),
                Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, KIND), () -> new io.swarmcanary.ConflictException(
                        "another deploy created this cluster's secret-naming key at the same moment; nothing of this run"
                                + " was created. Re-run."));
    }

    public static Optional<byte[]> read(SwarmGateway swarm) {
        return ClusterConfigs.read(swarm, CONFIG);
    }
}
