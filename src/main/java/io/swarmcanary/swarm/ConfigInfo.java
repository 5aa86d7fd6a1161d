package io.swarmcanary.swarm;

import java.util.Map;

/** A Swarm config; unlike secrets, its data can be read back (the edge keeps its template in one). */
public record ConfigInfo(String id, String name, Map<String, String> labels, byte[] data, String createdAt) {
    public ConfigInfo {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
