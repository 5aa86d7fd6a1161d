package io.swarmcanary.swarm;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Swarm configs two commands may create under one name at the same moment: the product's keys (one per cluster, whoever
 * comes first) and content-addressed configs (the same name holds the same bytes, so either writer's will do).
 */
public final class ClusterConfigs {
    private ClusterConfigs() {}

    /** The config's data, or empty when it does not exist or is empty. Reading changes nothing. */
    public static Optional<byte[]> read(SwarmGateway swarm, String name) {
        return swarm.config(name).map(ConfigInfo::data).filter(d -> d != null && d.length > 0);
    }

    /**
     * Creates the config with this data and returns it; when another command created it at the same moment (409), returns
     * what that one stored, so both agree. {@code unreadable} is thrown when the winner's config cannot be read back.
     */
    public static byte[] createOrReadWinner(SwarmGateway swarm, String name, byte[] data, Map<String, String> labels,
                                            Supplier<? extends RuntimeException> unreadable) {
        return createOrRead(swarm, name, data, labels).map(ConfigInfo::data).filter(d -> d != null && d.length > 0)
                .orElseThrow(unreadable);
    }

    /**
     * Creates a content-addressed config (its name carries a hash of {@code data}) and returns it; when another command
     * created the same name at the same moment (409), returns that one, which holds the same bytes.
     */
    public static ConfigInfo createContentAddressed(SwarmGateway swarm, String name, byte[] data, Map<String, String> labels) {
        ConfigInfo config = createOrRead(swarm, name, data, labels).orElseThrow(() -> new IllegalStateException("config "
                + name + " was created by another command at the same moment and removed before it could be read; re-run"));
        if (!Arrays.equals(config.data(), data)) {
            // a name is a hash of its content: other bytes under it were not written by this tool, and are not used
            throw new IllegalStateException("config " + name + " already exists with other content than its name stands for;"
                    + " it was not made by swarm-canary: remove it and re-run");
        }
        return config;
    }

    /** The config created now, or the one another command created under this name at the same moment, if still there. */
    private static Optional<ConfigInfo> createOrRead(SwarmGateway swarm, String name, byte[] data, Map<String, String> labels) {
        try {
            return Optional.of(swarm.createConfig(name, data, labels));
        } catch (AlreadyExistsException raced) {
            return swarm.config(name);
        }
    }
}
