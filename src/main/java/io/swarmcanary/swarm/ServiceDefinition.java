package io.swarmcanary.swarm;

import java.util.List;
import java.util.Map;

/**
 * The tool's own model of a replicated service. Specs are always built fresh from this, never read
 * back and re-sent: docker-java drops nested fields it does not know.
 */
public record ServiceDefinition(
        String name,
        String image,
        int replicas,
        Map<String, String> labels,
        Map<String, String> containerLabels,
        List<String> env,
        List<String> networks,
        List<SecretMount> secrets,
        List<String> healthCmd,
        java.time.Duration healthStartPeriod,
        List<String> constraints) {

    public ServiceDefinition {
        labels = Map.copyOf(labels);
        containerLabels = Map.copyOf(containerLabels);
        env = List.copyOf(env);
        networks = List.copyOf(networks);
        secrets = List.copyOf(secrets);
        healthCmd = healthCmd == null ? List.of() : List.copyOf(healthCmd);
        constraints = List.copyOf(constraints);
    }
}
