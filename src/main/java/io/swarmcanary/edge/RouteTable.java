package io.swarmcanary.edge;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * For every track on an edge: which release (service name) gets which weight, and which release is the
 * canary. Stored as one JSON label on the edge service, so every change is one service update.
 *
 * @param asRead per track not changed since it was read, its entry's JSON as read: written back as it was, so a write to
 *               one track never drops what a newer writer (another team's pipeline on a later release) keeps in another,
 *               however deep; a track this writer changes is written as this version knows it
 */
public record RouteTable(Map<String, TrackEntry> tracks, Map<String, ObjectNode> asRead) {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false); // a newer CLI may add fields
    public RouteTable {
        tracks = Map.copyOf(tracks);
        Map<String, ObjectNode> kept = new TreeMap<>(asRead == null ? Map.of() : asRead);
        kept.keySet().retainAll(tracks.keySet());
        asRead = Collections.unmodifiableMap(kept);
    }

    public RouteTable(Map<String, TrackEntry> tracks) {
        this(tracks, Map.of());
    }

    /** Two tables are the same when they route the same: how an entry was read does not make it another one. */
    @Override
    public boolean equals(Object other) {
        return other instanceof RouteTable t && tracks.equals(t.tracks);
    }

    @Override
    public int hashCode() {
        return tracks.hashCode();
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
     * @param sticky   {@code shift --sticky}: clients keep the release the weights chose for them, null for none
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record TrackEntry(Map<String, Integer> weights, String canary, String stable, String previous, List<String> retiring,
                             List<String> match, Integer mirror, Sticky sticky) {
        public TrackEntry {
            // NON_EMPTY leaves empty weights out of the JSON (a failed first deploy frees its claim): read them back as none
            weights = weights == null ? Map.of() : Map.copyOf(new TreeMap<>(weights));
            retiring = retiring == null ? List.of() : List.copyOf(new TreeSet<>(retiring));
            match = match == null ? List.of() : List.copyOf(new TreeSet<>(match));
            mirror = mirror == null || mirror == 0 ? null : mirror;
        }

        /** An entry without A/B matches or mirroring: what a promote, a rollback or a new canary leaves. */
        public TrackEntry(Map<String, Integer> weights, String canary, String stable, String previous, List<String> retiring) {
            this(weights, canary, stable, previous, retiring, List.of(), null, null);
        }

        public TrackEntry(Map<String, Integer> weights, String canary, String stable, String previous, List<String> retiring,
                          List<String> match, Integer mirror) {
            this(weights, canary, stable, previous, retiring, match, mirror, null);
        }

        public TrackEntry(Map<String, Integer> weights, String canary) {
            this(weights, canary, null, null, List.of());
        }

        /** The same entry with these matches ({@code route --match} specs) and mirror percentage (null or 0: none). */
        public TrackEntry withCanaryTraffic(List<String> match, Integer mirror) {
            return new TrackEntry(weights, canary, stable, previous, retiring, match, mirror, sticky);
        }

        /** The same entry with these sticky sessions (null: none). */
        public TrackEntry withSticky(Sticky sticky) {
            return new TrackEntry(weights, canary, stable, previous, retiring, match, mirror, sticky);
        }

        /** The same entry sending the canary what this one sends it besides its weight (matches, mirroring, stickiness). */
        public TrackEntry keepingCanaryTrafficOf(TrackEntry other) {
            return other == null || canary == null || !canary.equals(other.canary()) ? this
                    : withCanaryTraffic(other.match(), other.mirror()).withSticky(other.sticky());
        }

        public int weightOf(String service) {
            return weights.getOrDefault(service, 0);
        }
    }

    /** {@code shift --sticky}: the cookie's name and Max-Age in seconds. */
    public record Sticky(String cookie, long ttlSeconds) {}

    public static RouteTable empty() {
        return new RouteTable(Map.of());
    }

    /** The same table with this track's entry replaced (written as this version knows it if it changed); null removes it. */
    public RouteTable with(String track, TrackEntry entry) {
        Map<String, TrackEntry> copy = new TreeMap<>(tracks);
        if (entry == null) {
            copy.remove(track);
        } else {
            copy.put(track, entry);
        }
        Map<String, ObjectNode> read = new TreeMap<>(asRead);
        if (!Objects.equals(tracks.get(track), entry)) { // the same entry again is no change to this track
            read.remove(track);
        }
        return new RouteTable(copy, read);
    }

    public String toJson() {
        try {
            ObjectNode root = JSON.createObjectNode();
            for (Map.Entry<String, TrackEntry> track : new TreeMap<>(tracks).entrySet()) {
                ObjectNode read = asRead.get(track.getKey());
                root.set(track.getKey(), read != null ? read.deepCopy() : JSON.valueToTree(track.getValue()));
            }
            return JSON.writeValueAsString(root);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static RouteTable fromJson(String json) {
        if (json == null || json.isBlank()) {
            return empty();
        }
        try {
            Map<String, ObjectNode> raw = JSON.readValue(json, new TypeReference<Map<String, ObjectNode>>() {});
            Map<String, TrackEntry> tracks = new TreeMap<>();
            for (Map.Entry<String, ObjectNode> track : raw.entrySet()) {
                tracks.put(track.getKey(), JSON.treeToValue(track.getValue(), TrackEntry.class));
            }
            return new RouteTable(tracks, raw);
        } catch (Exception e) {
            throw new IllegalStateException("the edge's route table label does not parse: " + e.getMessage(), e);
        }
    }
}
