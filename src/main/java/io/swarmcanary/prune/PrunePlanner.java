package io.swarmcanary.prune;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.ServiceReferences;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The prune policy as a pure function of one read of the cluster.
 *
 * <p>Releases, per track: keep every release with traffic, the stable, the canary (even one whose deploy has only
 * claimed its slot), the rollback target a promote kept, and the newest {@code keep} others; remove the rest, and
 * whatever a rollback retired. A track no edge routes keeps at least its newest release.
 *
 * <p>Secrets and configs created by swarm-canary: keep those that any service's spec or previous spec (the target of
 * {@code docker service rollback}) mounts, the Envoy configs and templates an edge's labels name now or named before
 * its last update, and anything younger than the grace period; remove the rest. References from releases this plan
 * removes do not count.
 */
public final class PrunePlanner {

    public PrunePlan plan(ClusterState state, PrunePolicy policy) {
        return plan(state, policy, true);
    }

    /**
     * @param releases false to decide on secrets and configs only, with every release that exists counted as staying
     *                 (re-checks during apply: a release the plan meant to remove may have been skipped)
     */
    PrunePlan plan(ClusterState state, PrunePolicy policy, boolean releases) {
        Map<String, RouteTable> routeTables = routeTables(state);
        Map<String, List<ServiceReferences>> byTrack = Labels.byTrack(state.releases(), ServiceReferences::labels,
                ServiceReferences::createdAt, ServiceReferences::name);
        Set<String> scopeTracks = scopeTracks(policy, byTrack, routeTables, state);

        List<PrunePlan.Item> remove = new ArrayList<>();
        List<PrunePlan.Item> keep = new ArrayList<>();
        byTrack.forEach((track, list) -> {
            if (!releases) {
                list.forEach(r -> keep.add(item(PrunePlan.RELEASE, r, track, "not decided in this pass")));
                return;
            }
            if (scopeTracks.contains(track)) {
                releases(track, list, routeTables, policy, remove, keep);
            }
        });

        Set<String> removedIds = new HashSet<>();
        remove.forEach(i -> removedIds.add(i.id()));
        List<ServiceReferences> remaining = state.services().stream().filter(s -> !removedIds.contains(s.id())).toList();
        Map<String, String> removedBy = new HashMap<>(); // object id or name -> a removed release that mounted it
        state.releases().stream().filter(s -> removedIds.contains(s.id())).forEach(s -> specs(s).forEach(spec -> {
            spec.secretIds().forEach(id -> removedBy.put(id, s.name()));
            spec.configIds().forEach(id -> removedBy.put(id, s.name()));
        }));
        References refs = new References(remaining);

        for (SecretInfo s : state.secrets()) {
            String track = s.labels().get(Labels.TRACK);
            if (track == null ? !policy.narrowedToTracks() && policy.edge() == null : scopeTracks.contains(track)) {
                String users = refs.secretUsers(s.id(), s.name());
                decide(PrunePlan.SECRET, s.id(), s.name(), track, s.createdAt(), null, users, removedBy.get(s.id()),
                        state.now(), policy.olderThan(), remove, keep);
            }
        }
        for (ConfigInfo c : state.configs()) {
            String track = c.labels().get(Labels.TRACK);
            String edge = c.labels().get(Labels.EDGE);
            boolean inScope = track != null ? scopeTracks.contains(track)
                    : !policy.narrowedToTracks() && (policy.edge() == null || policy.edge().equals(edge));
            // the cluster's secret-naming key and edge key are no release's: they outlive every one of them
            if (inScope && !io.swarmcanary.release.NamingKey.KIND.equals(c.labels().get(Labels.KIND))
                    && !io.swarmcanary.edge.EdgeKey.KIND.equals(c.labels().get(Labels.KIND))) {
                String kind = switch (c.labels().getOrDefault(Labels.KIND, "")) {
                    case Labels.Kind.ENVOY_CONFIG -> PrunePlan.ENVOY_CONFIG;
                    case Labels.Kind.ENVOY_TEMPLATE -> PrunePlan.ENVOY_TEMPLATE;
                    default -> PrunePlan.CONFIG;
                };
                String users = refs.configUsers(c.id(), c.name());
                decide(kind, c.id(), c.name(), track, c.createdAt(), c.data() == null ? null : (long) c.data().length, users,
                        removedBy.get(c.id()), state.now(), policy.olderThan(), remove, keep);
            }
        }

        List<String> images = policy.images() ? images(state.releases(), removedIds, remaining) : List.of();
        List<String> containerTracks = policy.images() ? List.copyOf(new TreeSet<>(scopeTracks)) : List.of();
        return new PrunePlan(state.now(), policy, remove, keep, images, containerTracks);
    }

    /** Every edge's route table, by edge name. An edge whose table does not parse stops the prune: it cannot know what is live. */
    private static Map<String, RouteTable> routeTables(ClusterState state) {
        Map<String, RouteTable> tables = new TreeMap<>();
        for (ServiceReferences edge : state.edges()) {
            try {
                tables.put(edge.name(), RouteTable.fromJson(edge.labels().get(EdgeManager.ROUTE_TABLE)));
            } catch (IllegalStateException e) {
                throw new IllegalStateException("edge " + edge.name() + ": " + e.getMessage() + "; prune cannot tell which"
                        + " releases it routes, so nothing was removed. Repair the edge with 'swarm-canary edge ensure --edge "
                        + edge.name() + "'.", e);
            }
        }
        return tables;
    }

    private static Set<String> scopeTracks(PrunePolicy policy, Map<String, List<ServiceReferences>> byTrack,
                                           Map<String, RouteTable> routeTables, ClusterState state) {
        Set<String> tracks = new TreeSet<>();
        Map<String, String> labelsOf = new HashMap<>(); // track -> "app env", from whichever object names it
        java.util.function.Consumer<Map<String, String>> note = labels -> {
            String track = labels.get(Labels.TRACK);
            if (track != null && policy.covers(labels.get(Labels.APP), labels.get(Labels.ENV))) {
                tracks.add(track);
            }
        };
        byTrack.values().forEach(l -> l.forEach(r -> note.accept(r.labels())));
        state.secrets().forEach(s -> note.accept(s.labels()));
        state.configs().forEach(c -> note.accept(c.labels()));
        if (policy.edge() != null) {
            RouteTable table = routeTables.getOrDefault(policy.edge(), RouteTable.empty());
            tracks.removeIf(t -> !table.tracks().containsKey(t) && byTrack.getOrDefault(t, List.of()).stream()
                    .noneMatch(r -> policy.edge().equals(r.labels().get(Labels.EDGE))));
        }
        return tracks;
    }

    private void releases(String track, List<ServiceReferences> releases, Map<String, RouteTable> routeTables,
                          PrunePolicy policy, List<PrunePlan.Item> remove, List<PrunePlan.Item> keep) {
        Map<String, String> protectedWhy = new LinkedHashMap<>();
        Set<String> retiring = new HashSet<>();
        boolean routed = false;
        for (Map.Entry<String, RouteTable> edge : routeTables.entrySet()) {
            RouteTable.TrackEntry entry = edge.getValue().tracks().get(track);
            List<ServiceInfo> onEdge = releases.stream().filter(r -> edge.getKey().equals(r.labels().get(Labels.EDGE)))
                    .map(PrunePlanner::asServiceInfo).toList();
            if (entry == null && onEdge.isEmpty()) {
                continue;
            }
            routed = true;
            String on = " on edge " + edge.getKey();
            if (entry != null) {
                retiring.addAll(entry.retiring());
                if (entry.canary() != null) {
                    protectedWhy.putIfAbsent(entry.canary(), "canary" + on);
                }
                if (entry.stable() != null) {
                    protectedWhy.putIfAbsent(entry.stable(), "stable" + on);
                }
                if (entry.previous() != null) {
                    protectedWhy.putIfAbsent(entry.previous(), "rollback target (previous stable)" + on);
                }
                entry.weights().forEach((name, w) -> {
                    if (w > 0) {
                        protectedWhy.putIfAbsent(name, "weight " + w + on);
                    }
                });
            }
            Lifecycle.Phase phase = Lifecycle.phase(entry, onEdge);
            if (phase.stable() != null) {
                protectedWhy.putIfAbsent(phase.stable(), "stable" + on);
            }
            List<ServiceInfo> live = Lifecycle.live(entry, onEdge);
            EdgeManager.effectiveWeights(live, entry).forEach((name, w) -> {
                if (w > 0) {
                    protectedWhy.putIfAbsent(name, "weight " + w + on);
                }
            });
        }
        if (!routed && !releases.isEmpty()) {
            protectedWhy.putIfAbsent(releases.get(releases.size() - 1).name(), "newest release (no edge routes this track)");
        }
        int kept = 0;
        for (int i = releases.size() - 1; i >= 0; i--) { // newest first
            ServiceReferences r = releases.get(i);
            String why = protectedWhy.get(r.name());
            if (why != null) {
                keep.add(item(PrunePlan.RELEASE, r, track, why));
            } else if (retiring.contains(r.name())) {
                remove.add(item(PrunePlan.RELEASE, r, track, "retired by a rollback, out of the route table"));
            } else if (kept < policy.keep()) {
                kept++;
                keep.add(item(PrunePlan.RELEASE, r, track, "one of the " + policy.keep() + " newest others (--keep " + policy.keep() + ")"));
            } else {
                remove.add(item(PrunePlan.RELEASE, r, track, (routed ? "weight 0, not stable, canary or rollback target, older"
                        + " than the " : "older than the newest release and the ") + policy.keep() + " newest others (--keep "
                        + policy.keep() + ")"));
            }
        }
    }

    private static PrunePlan.Item item(String kind, ServiceReferences r, String track, String reason) {
        return new PrunePlan.Item(kind, r.name(), r.id(), track, reason, null);
    }

    private static void decide(String kind, String id, String name, String track, String createdAt, Long bytes, String users,
                               String removedRelease, Instant now, Duration grace,
                               List<PrunePlan.Item> remove, List<PrunePlan.Item> keep) {
        if (users != null) {
            keep.add(new PrunePlan.Item(kind, name, id, track, users, bytes));
            return;
        }
        Instant created = parse(createdAt);
        if (created == null || !created.plus(grace).isBefore(now)) { // "older than": the boundary stays
            keep.add(new PrunePlan.Item(kind, name, id, track, "younger than the grace period (--older-than "
                    + describe(grace) + ")" + (created == null ? "" : ": created " + describe(Duration.between(created, now)) + " ago"), bytes));
            return;
        }
        remove.add(new PrunePlan.Item(kind, name, id, track, removedRelease != null
                ? "only release " + removedRelease + " (removed by this prune) mounted it"
                : "no service mounts it, in its spec or its previous spec", bytes));
    }

    /** Images of removed releases that no remaining service (spec or previous spec) runs. */
    static List<String> images(List<ServiceReferences> releases, Set<String> removedIds, List<ServiceReferences> remaining) {
        Set<String> inUse = new HashSet<>();
        remaining.forEach(s -> specs(s).forEach(spec -> {
            if (spec.image() != null) {
                inUse.add(withoutDigest(spec.image()));
            }
        }));
        Set<String> images = new TreeSet<>();
        releases.stream().filter(r -> removedIds.contains(r.id())).forEach(r -> specs(r).forEach(spec -> {
            if (spec.image() != null && !inUse.contains(withoutDigest(spec.image()))) {
                images.add(spec.image());
                // deploy pins name:tag@digest; a node that also holds the tag (the one it was built or pushed on)
                // keeps the image after the digest reference alone is removed: remove the tag too (sorted first)
                String tagged = withoutDigest(spec.image());
                if (!tagged.equals(spec.image()) && tagged.lastIndexOf(':') > tagged.lastIndexOf('/')) {
                    images.add(tagged);
                }
            }
        }));
        return List.copyOf(images);
    }

    static String withoutDigest(String image) {
        int at = image.indexOf('@');
        return at < 0 ? image : image.substring(0, at);
    }

    private static List<ServiceReferences.Refs> specs(ServiceReferences s) {
        return s.previous() == null ? List.of(s.current()) : List.of(s.current(), s.previous());
    }

    private static ServiceInfo asServiceInfo(ServiceReferences r) {
        return new ServiceInfo(r.id(), r.name(), 0, r.labels(), r.current().image(), 0, List.copyOf(r.current().secretNames()),
                List.of(), r.createdAt() == null ? "" : r.createdAt());
    }

    private static Instant parse(String timestamp) {
        try {
            return timestamp == null ? null : Instant.parse(timestamp);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    static String describe(Duration d) {
        long s = d.toSeconds();
        if (s % 86400 == 0 && s > 0) return s / 86400 + "d";
        if (s % 3600 == 0 && s > 0) return s / 3600 + "h";
        if (s % 60 == 0 && s > 0) return s / 60 + "m";
        return s + "s";
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The template config an edge's settings label names; read loosely, since a newer CLI may have added settings. */
    static String templateOf(String edge, String settings) {
        try {
            var node = JSON.readTree(settings).path("templateConfig");
            return node.isTextual() ? node.asText() : null;
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalStateException("edge " + edge + ": its settings label does not parse, so prune cannot tell"
                    + " which template it uses; nothing was removed. Repair it with 'swarm-canary edge ensure --edge " + edge + "'.", e);
        }
    }

    /** The certificate and key secrets an edge's settings label names (a label that does not parse was refused above). */
    static List<String> certificatesOf(String settings) {
        List<String> names = new ArrayList<>();
        try {
            JSON.readTree(settings).path("https").path("certificates").forEach(c -> {
                names.add(c.path("certSecret").asText());
                names.add(c.path("keySecret").asText());
            });
        } catch (java.io.IOException e) {
            return List.of();
        }
        return names;
    }

    /** Who mounts each secret and config, in a spec or a previous spec; one pass over the services. */
    private static final class References {
        private final Map<String, String> secrets = new HashMap<>();
        private final Map<String, String> configs = new HashMap<>();

        References(List<ServiceReferences> services) {
            for (ServiceReferences s : services) {
                note(secrets, s.current().secretIds(), s.current().secretNames(), "mounted by service " + s.name());
                note(configs, s.current().configIds(), s.current().configNames(), "mounted by service " + s.name());
                if (s.previous() != null) {
                    String why = "kept for 'docker service rollback': previous spec of service " + s.name();
                    note(secrets, s.previous().secretIds(), s.previous().secretNames(), why);
                    note(configs, s.previous().configIds(), s.previous().configNames(), why);
                }
                if (Labels.Kind.EDGE.equals(s.labels().get(Labels.KIND))) {
                    edgeLabels(s.name(), s.current().labels(), "");
                    if (s.previous() != null) {
                        edgeLabels(s.name(), s.previous().labels(), " before its last update");
                    }
                }
            }
        }

        /** An edge names its live config and its template in labels; the template is never mounted. */
        private void edgeLabels(String edge, Map<String, String> labels, String when) {
            String config = labels.get(EdgeManager.CONFIG);
            if (config != null) {
                configs.putIfAbsent(config, "config of edge " + edge + when);
            }
            String settings = labels.get(EdgeManager.SETTINGS);
            if (settings != null) {
                String template = templateOf(edge, settings);
                if (template != null) {
                    configs.putIfAbsent(template, "template of edge " + edge + when);
                }
                // over SDS the control plane mounts them, not Envoy: the settings keep them even while it is replaced
                certificatesOf(settings).forEach(name -> secrets.putIfAbsent(name, "certificate of edge " + edge + when));
            }
        }

        private static void note(Map<String, String> index, Set<String> ids, Set<String> names, String why) {
            ids.forEach(id -> index.putIfAbsent(id, why));
            names.forEach(name -> index.putIfAbsent(name, why));
        }

        String secretUsers(String id, String name) {
            return secrets.getOrDefault(id, secrets.get(name));
        }

        String configUsers(String id, String name) {
            return configs.getOrDefault(id, configs.get(name));
        }
    }
}
