package io.swarmcanary.edge;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * For every track on an edge: which release (service name) gets which weight, and which release is the
 * canary. Stored as one JSON label on the edge service, so every change is one service update.
 */
public record RouteTable(Map<String, TrackEntry> tracks) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false); // a newer CLI may add fields

    public RouteTable {
        tracks = Map.copyOf(tracks);
    }

    /**
     * @param weights  weight per release service
     * @param canary   the release under test (a forcing token reaches it when the edge forces canaries); null when the track has none.
     *                 A deploy records it before creating the service, so it may name a service that does not exist yet.
     * @param stable   the release that takes all traffic when the canary is rolled back
     * @param previous after a promote: the stable before it, kept at weight 0 as the rollback target
     * @param retiring releases a rollback took out of the route table and removes (a re-run finishes the removal)
     * @param match    {@code route --match} specs: requests meeting all of them go to the canary (only while there is one)
     * @param mirror   {@code mirror --percent}: the share of the weighted traffic copied to the canary, null for none
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record TrackEntry(Map<String, Integer> weights, String canary, String stable, String previous, List<String> retiring,
                             List<String> match, Integer mirror) {
        public TrackEntry {
            // NON_EMPTY leaves empty weights out of the JSON (a failed first deploy frees its claim): read them back as none
            weights = weights == null ? Map.of() : Map.copyOf(new TreeMap<>(weights));
            retiring = retiring == null ? List.of() : List.copyOf(new TreeSet<>(retiring));
            match = match == null ? List.of() : List.copyOf(new TreeSet<>(match));
            mirror = mirror == null || mirror == 0 ? null : mirror;
        }

        /** An entry without A/B matches or mirroring: what a promote, a rollback or a new canary leaves. */
        public TrackEntry(Map<String, Integer> weights, String canary, String stable, String previous, List<String> retiring) {
            this(weights, canary, stable, previous, retiring, List.of(), null);
        }

        public TrackEntry(Map<String, Integer> weights, String canary) {
            this(weights, canary, null, null, List.of());
        }

        /** The same entry with these matches ({@code route --match} specs) and mirror percentage (null or 0: none). */
        public TrackEntry withCanaryTraffic(List<String> match, Integer mirror) {
            return new TrackEntry(weights, canary, stable, previous, retiring, match, mirror);
        }

        /** The same entry sending the canary what this one sends it besides its weight (matches, mirroring). */
        public TrackEntry keepingCanaryTrafficOf(TrackEntry other) {
            return other == null || canary == null || !canary.equals(other.canary()) ? this
                    : withCanaryTraffic(other.match(), other.mirror());
        }

        public int weightOf(String service) {
            return weights.getOrDefault(service, 0);
        }
    }

    public static RouteTable empty() {
        return new RouteTable(Map.of());
    }

    /** The same table with this track's entry replaced; a null entry removes the track. */
    public RouteTable with(String track, TrackEntry entry) {
        Map<String, TrackEntry> copy = new TreeMap<>(tracks);
        if (entry == null) {
            copy.remove(track);
        } else {
            copy.put(track, entry);
        }
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
