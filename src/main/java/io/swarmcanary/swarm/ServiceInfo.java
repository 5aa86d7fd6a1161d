package io.swarmcanary.swarm;

import java.util.List;
import java.util.Map;

/** A service as read back from the cluster. */
public record ServiceInfo(
        String id,
        String name,
        long versionIndex,
        Map<String, String> labels,
        String image,
        int replicas,
        List<String> secretNames,
        List<String> networkIds,
        String createdAt) {

    public ServiceInfo {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        secretNames = secretNames == null ? List.of() : List.copyOf(secretNames);
        networkIds = networkIds == null ? List.of() : List.copyOf(networkIds);
    }
}
