package io.swarmcanary.edge;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;
import java.util.TreeMap;

/**
 * For every track on an edge: which release (service name) gets which weight, and which release is the
 * canary. Stored as one JSON label on the edge service, so every change is one service update.
 */
public record RouteTable(Map<String, TrackEntry> tracks) {
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public RouteTable {
        tracks = Map.copyOf(tracks);
    }

    /** @param canary the service that the force-canary header reaches; null when the track has none */
    public record TrackEntry(Map<String, Integer> weights, String canary) {
        public TrackEntry {
            weights = Map.copyOf(new TreeMap<>(weights));
        }
    }

    public static RouteTable empty() {
        return new RouteTable(Map.of());
    }

    public RouteTable with(String track, TrackEntry entry) {
        Map<String, TrackEntry> copy = new TreeMap<>(tracks);
        copy.put(track, entry);
        return new RouteTable(copy);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(new TreeMap<>(tracks));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static RouteTable fromJson(String json) {
        if (json == null || json.isBlank()) {
            return empty();
        }
        try {
            return new RouteTable(JSON.readValue(json, new TypeReference<Map<String, TrackEntry>>() {}));
        } catch (Exception e) {
            throw new IllegalStateException("the edge's route table label does not parse: " + e.getMessage(), e);
        }
    }
}
