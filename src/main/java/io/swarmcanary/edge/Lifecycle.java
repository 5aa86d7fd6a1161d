package io.swarmcanary.edge;

import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The canary lifecycle as changes of a track's route table entry: deploy claims the canary slot, promote
 * makes the canary the stable release, rollback puts the stable back. Each function is computed from one
 * read of the edge, so two runs that race are serialised by the edge's version index.
 */
public final class Lifecycle {
    private Lifecycle() {}

    /** Where a track is in its lifecycle, for status and messages. */
    public record Phase(String name, String stable, String canary, Integer canaryWeight, boolean canaryDeployed,
                        String previous, List<String> retiring) {
        public String describe() {
            return switch (name) {
                case "canary" -> "canary at " + canaryWeight + "%" + (canaryDeployed ? "" : " (not deployed yet)");
                default -> name;
            };
        }
    }

    public static Phase phase(RouteTable.TrackEntry entry, List<ServiceInfo> releases) {
        Set<String> live = names(releases);
        String stable = stableOf(entry, releases);
        List<String> retiring = entry == null ? List.of() : entry.retiring().stream().filter(live::contains).toList();
        if (entry != null && entry.canary() != null) {
            return new Phase("canary", stable, entry.canary(), entry.weightOf(entry.canary()), live.contains(entry.canary()),
                    entry.previous(), retiring);
        }
        if (stable == null) {
            return new Phase(retiring.isEmpty() ? "none" : "rolled back", null, null, null, false, null, retiring);
        }
        String previous = entry == null || !live.contains(entry.previous()) ? null : entry.previous();
        return new Phase(previous != null ? "promoted" : retiring.isEmpty() ? "stable" : "rolled back",
                stable, null, null, false, previous, retiring);
    }

    /** The track's releases that no rollback has retired (a retired one may still exist until it is removed). */
    public static List<ServiceInfo> live(RouteTable.TrackEntry entry, List<ServiceInfo> releases) {
        return entry == null ? releases : releases.stream().filter(r -> !entry.retiring().contains(r.name())).toList();
    }

    /** The release that takes all traffic on rollback: the recorded one, else the non-canary with the most weight. */
    static String stableOf(RouteTable.TrackEntry entry, List<ServiceInfo> releases) {
        Set<String> live = names(releases);
        if (entry != null && entry.stable() != null && live.contains(entry.stable())) {
            return entry.stable();
        }
        String canary = entry == null ? null : entry.canary();
        List<ServiceInfo> candidates = releases.stream()
                .filter(r -> !r.name().equals(canary) && (entry == null || !entry.retiring().contains(r.name())))
                .toList();
        Map<String, Integer> effective = EdgeManager.effectiveWeights(candidates, entry);
        String best = null;
        int bestWeight = -1;
        for (ServiceInfo r : candidates) { // oldest first, so the newest wins a tie
            int w = effective.getOrDefault(r.name(), 0);
            if (w >= bestWeight) {
                best = r.name();
                bestWeight = w;
            }
        }
        return best;
    }

    /**
     * Before a deploy creates anything: records {@code service} as the track's canary at weight 0 (or, for the first
     * release of a track, as the release to become stable). Refuses while another canary is in flight unless
     * {@code replaceCanary}, in which case that canary is retired.
     */
    public static RouteTable.TrackEntry claim(Track track, String service, String version, RouteTable.TrackEntry current,
                                              List<ServiceInfo> releases, boolean replaceCanary) {
        Set<String> live = names(releases);
        String stable = stableOf(current, releases);
        List<String> retiring = new ArrayList<>(current == null ? List.of() : current.retiring());
        retiring.retainAll(live);
        retiring.remove(service);
        if (current != null && current.canary() != null && !current.canary().equals(service)) {
            String other = current.canary();
            if (!replaceCanary) {
                throw new ConflictException("track " + track.name() + " already has a canary: " + other + " at "
                        + current.weightOf(other) + "%" + (live.contains(other) ? "" : " (its deploy has not finished)")
                        + ". A track holds one canary at a time: promote it ('swarm-canary promote --app " + track.app()
                        + " --env " + track.env() + "'), roll it back ('swarm-canary rollback ...'), or deploy " + version
                        + " with --replace-canary to roll it back and take its place. Nothing was changed.");
            }
            retiring.add(other);
        } else if (current != null && (service.equals(current.canary()) || service.equals(stable))) {
            return current; // a re-run of this deploy, or the stable release deployed again
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        if (stable != null) {
            releases.stream().filter(r -> !retiring.contains(r.name()) && !r.name().equals(service))
                    .forEach(r -> weights.put(r.name(), 0));
            weights.put(stable, 100);
        }
        weights.put(service, 0);
        // a promote's rollback target stays recorded: a deploy that fails and frees its claim must not lose the way back
        String previous = current == null || !live.contains(current.previous()) || current.previous().equals(service)
                ? null : current.previous();
        return new RouteTable.TrackEntry(weights, service, stable, previous, retiring);
    }

    /** After the release is running and healthy: the first release of a track takes all traffic. */
    public static RouteTable.TrackEntry afterDeploy(String service, RouteTable.TrackEntry current, List<ServiceInfo> releases) {
        if (current == null || !service.equals(current.canary())) {
            // no claim recorded (the edge was created after the release): only route it if the track had nothing
            return current != null && current.weights().containsKey(service) ? current
                    : TrafficShift.afterDeploy(service, current, releases);
        }
        if (current.stable() == null || names(releases).stream().noneMatch(current.stable()::equals)) {
            return new RouteTable.TrackEntry(Map.of(service, 100), null, service, null, current.retiring());
        }
        // the new canary runs: the rollback window of the last promote ends here, not at the claim
        return current.previous() == null ? current
                : new RouteTable.TrackEntry(current.weights(), current.canary(), current.stable(), null, current.retiring())
                        .keepingCanaryTrafficOf(current);
    }

    /** After a failed deploy removed its service: frees the canary slot it claimed. */
    public static RouteTable.TrackEntry releaseClaim(String service, RouteTable.TrackEntry current) {
        if (current == null || !service.equals(current.canary())) {
            return current;
        }
        Map<String, Integer> weights = new LinkedHashMap<>(current.weights());
        weights.remove(service);
        return new RouteTable.TrackEntry(weights, null, current.stable(), current.previous(), current.retiring());
    }

    /** Canary to 100%; the old stable stays at weight 0 as the rollback target. A re-run after success changes nothing. */
    public static RouteTable.TrackEntry promote(Track track, RouteTable.TrackEntry current, List<ServiceInfo> releases) {
        Phase phase = phase(current, releases);
        if (phase.canary() == null) {
            if (phase.name().equals("promoted")) {
                return current;
            }
            throw new UserInputException("track " + track.name() + " has no canary to promote (phase: " + phase.describe()
                    + "). Deploy a new version first. Nothing was changed.");
        }
        if (!phase.canaryDeployed()) {
            throw new UserInputException("the canary " + phase.canary() + " of track " + track.name() + " does not exist: its"
                    + " deploy did not finish. Re-run that deploy, or roll it back. Nothing was changed.");
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        releases.stream().filter(r -> !phase.retiring().contains(r.name())).forEach(r -> weights.put(r.name(), 0));
        weights.put(phase.canary(), 100);
        return new RouteTable.TrackEntry(weights, null, phase.canary(), phase.stable(), phase.retiring());
    }

    /**
     * The stable release back to 100%: the canary, or after a promote the promoted release, is retired. A re-run
     * changes nothing (the retired names stay recorded until the next deploy); with nothing to roll back it is an error.
     */
    public static RouteTable.TrackEntry rollback(Track track, RouteTable.TrackEntry current, List<ServiceInfo> releases) {
        Phase phase = phase(current, releases);
        List<String> retiring = new ArrayList<>(phase.retiring());
        Map<String, Integer> weights = new LinkedHashMap<>();
        releases.stream().filter(r -> !retiring.contains(r.name())).forEach(r -> weights.put(r.name(), 0));
        if (phase.canary() != null) {
            retiring.add(phase.canary());
            weights.remove(phase.canary());
            if (phase.stable() != null) {
                weights.put(phase.stable(), 100);
            }
            return new RouteTable.TrackEntry(weights, null, phase.stable(), null, retiring);
        }
        if (phase.previous() != null) {
            retiring.add(phase.stable());
            weights.remove(phase.stable());
            weights.put(phase.previous(), 100);
            return new RouteTable.TrackEntry(weights, null, phase.previous(), null, retiring);
        }
        if (current != null && !current.retiring().isEmpty()) {
            return current; // a re-run: the route table is done; the removal may not be
        }
        throw new UserInputException("track " + track.name() + " has nothing to roll back (phase: " + phase.describe()
                + (phase.stable() == null ? "" : ", stable " + phase.stable()) + "): no canary in flight and no previous"
                + " release kept by a promote. Nothing was changed.");
    }

    /** Version label of a release, or the service name when unknown. */
    public static String versionOf(List<ServiceInfo> releases, String service) {
        return releases.stream().filter(r -> r.name().equals(service)).findFirst()
                .map(r -> r.labels().getOrDefault(Labels.VERSION, service)).orElse(service);
    }

    private static Set<String> names(List<ServiceInfo> releases) {
        return releases.stream().map(ServiceInfo::name).collect(Collectors.toSet());
    }
}
