package io.swarmcanary.swarm;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Swarm configs the product keeps one of per cluster (its keys): created once, whoever comes first. */
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
        try {
            swarm.createConfig(name, data, labels);
            return data;
        } catch (AlreadyExistsException raced) {
            return read(swarm, name).orElseThrow(unreadable);
        }
    }
}
