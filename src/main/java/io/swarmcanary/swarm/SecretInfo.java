package io.swarmcanary.swarm;

import java.util.Map;

public record SecretInfo(String id, String name, Map<String, String> labels, String createdAt) {
    public SecretInfo {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
