package io.swarmcanary.release;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Label keys the tool writes on everything it creates; all state lives in these. */
public final class Labels {
    public static final String PREFIX = "io.swarm-canary.";
    public static final String MANAGED_BY = PREFIX + "managed-by";
    public static final String MANAGER = "swarm-canary";
    public static final String TRACK = PREFIX + "track";
    public static final String APP = PREFIX + "app";
    public static final String ENV = PREFIX + "env";
    public static final String VERSION = PREFIX + "version";
    public static final String PORT = PREFIX + "port";
    public static final String DOMAINS = PREFIX + "domains";
    public static final String SPEC_HASH = PREFIX + "spec-hash";
    public static final String SECRET = PREFIX + "secret";
    public static final String KIND = PREFIX + "kind";
    public static final String EDGE = PREFIX + "edge";

    /** The values of {@link #KIND}: what a Swarm object made by swarm-canary is. */
    public static final class Kind {
        public static final String RELEASE = "release";
        public static final String SECRET = "secret";
        public static final String CONFIG = "config";
        public static final String EDGE = "edge";
        public static final String CONTROL_PLANE = "control-plane";
        public static final String ENVOY_CONFIG = "envoy-config";
        public static final String ENVOY_TEMPLATE = "envoy-template";
        public static final String PRUNE_JOB = "prune-job";
        public static final String NAMING_KEY = "naming-key";
        public static final String EDGE_KEY = "edge-key";

        private Kind() {}
    }

    private Labels() {}

    public static Map<String, String> managed() {
        return Map.of(MANAGED_BY, MANAGER);
    }

    /** The labels every object of a track carries; a fresh, mutable map for the kind's own additions. */
    public static Map<String, String> ofTrack(Track track, String kind) {
        Map<String, String> labels = new java.util.TreeMap<>();
        labels.put(MANAGED_BY, MANAGER);
        labels.put(KIND, kind);
        labels.put(TRACK, track.name());
        labels.put(APP, track.app());
        labels.put(ENV, track.env());
        return labels;
    }

    /** The domains a release was deployed with (one comma-separated label). */
    public static java.util.List<String> domains(Map<String, String> labels) {
        String domains = labels.getOrDefault(DOMAINS, "");
        return domains.isEmpty() ? java.util.List.of() : java.util.List.of(domains.split(","));
    }

    public static Map<String, String> releasesOf(Track track) {
        return Map.of(MANAGED_BY, MANAGER, KIND, Kind.RELEASE, TRACK, track.name());
    }

    public static Map<String, String> allReleases() {
        return Map.of(MANAGED_BY, MANAGER, KIND, Kind.RELEASE);
    }

    /**
     * Groups releases by their track label, each track's oldest first (creation time, then name); a release without a
     * track label is left out.
     */
    public static <T> Map<String, List<T>> byTrack(Collection<T> releases, Function<T, Map<String, String>> labels,
                                                   Function<T, String> createdAt, Function<T, String> name) {
        Map<String, List<T>> byTrack = new TreeMap<>();
        for (T r : releases) {
            String track = labels.apply(r).get(TRACK);
            if (track != null) {
                byTrack.computeIfAbsent(track, k -> new ArrayList<>()).add(r);
            }
        }
        byTrack.values().forEach(l -> l.sort(oldestFirst(createdAt, name)));
        return byTrack;
    }

    /** Oldest first: by creation instant, then by name; the order in which the tool decides who had something first. */
    public static <T> Comparator<T> oldestFirst(Function<T, String> createdAt, Function<T, String> name) {
        return Comparator.comparing((T r) -> created(createdAt.apply(r))).thenComparing(name);
    }

    /**
     * A service's creation time as an instant, to order by: as text "…:03Z" would sort after "…:03.120Z" (a zero fraction
     * is left out). None or an unreadable one sorts last.
     */
    public static java.time.Instant created(String createdAt) {
        try {
            return createdAt == null ? java.time.Instant.MAX : java.time.Instant.parse(createdAt);
        } catch (java.time.format.DateTimeParseException unreadable) {
            return java.time.Instant.MAX;
        }
    }
}
