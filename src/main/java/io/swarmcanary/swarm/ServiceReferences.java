package io.swarmcanary.swarm;

import java.util.Map;
import java.util.Set;

/**
 * What a service's spec refers to, and what the spec Docker keeps for {@code docker service rollback} refers to.
 * Docker's own "in use" check looks at current specs only; a rollback needs the previous spec's objects too.
 *
 * @param previous null when the service was never updated
 */
public record ServiceReferences(String id, String name, String createdAt, Refs current, Refs previous) {

    /** One spec's image, labels, and the secrets and configs it mounts (by ID and by name). */
    public record Refs(String image, Map<String, String> labels, Set<String> secretIds, Set<String> secretNames,
                       Set<String> configIds, Set<String> configNames) {
        public Refs {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            secretIds = Set.copyOf(secretIds);
            secretNames = Set.copyOf(secretNames);
            configIds = Set.copyOf(configIds);
            configNames = Set.copyOf(configNames);
        }

        public boolean mountsSecret(String id, String name) {
            return secretIds.contains(id) || secretNames.contains(name);
        }

        public boolean mountsConfig(String id, String name) {
            return configIds.contains(id) || configNames.contains(name);
        }
    }

    public Map<String, String> labels() {
        return current.labels();
    }
}
