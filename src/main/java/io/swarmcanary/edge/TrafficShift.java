package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns "canary gets W" or "these versions get these weights" into a track's route table entry.
 * Everything is checked against the cluster before the edge is touched.
 */
public final class TrafficShift {
    private TrafficShift() {}

    /** Parses {@code 1.0.9=90,1.0.10=10}. */
    public static Map<String, Integer> parseWeights(String spec) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new UserInputException("invalid --weights '" + spec + "': expected VERSION=WEIGHT,..., e.g. 1.0.9=90,1.0.10=10");
            }
            String version = part.substring(0, eq).trim();
            int weight;
            try {
                weight = Integer.parseInt(part.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new UserInputException("invalid weight for " + version + " in --weights: '" + part.substring(eq + 1) + "' is not a whole number");
            }
            if (weights.put(version, weight) != null) {
                throw new UserInputException("--weights names version " + version + " twice");
            }
        }
        return weights;
    }

    static void requireWeight(String what, int weight) {
        if (weight < 0 || weight > 100) {
            throw new UserInputException(what + " must be between 0 and 100, got " + weight);
        }
    }

    /**
     * @param canaryWeight weight for the track's canary; the stable release gets the rest
     * @param versionWeights explicit weights by version; versions not named get 0
     */
    public static RouteTable.TrackEntry entry(Track track, List<ServiceInfo> releases, RouteTable.TrackEntry current,
                                              Integer canaryWeight, Map<String, Integer> versionWeights) {
        return entry(track, releases, current, canaryWeight, versionWeights, null);
    }

    /**
     * {@code shift --sticky} / {@code --no-sticky}: {@code to} the sticky sessions to have, null to have none. Turning
     * them on needs a deployed canary (a promote, a rollback and a new canary end them).
     */
    public record StickyChange(RouteTable.Sticky to) {
        public static final StickyChange OFF = new StickyChange(null);
    }

    /** @param sticky what to make of the track's sticky sessions, null to keep them as they are */
    public static RouteTable.TrackEntry entry(Track track, List<ServiceInfo> releases, RouteTable.TrackEntry current,
                                              Integer canaryWeight, Map<String, Integer> versionWeights, StickyChange sticky) {
        if (sticky != null && sticky.to() != null) {
            CanaryTrafficChange.requireCanary(track, current, releases, "keep clients on with --sticky");
        }
        if (sticky != null && canaryWeight == null && versionWeights == null) {
            return current == null ? null : current.withSticky(sticky.to()); // the weights stay as they are
        }
        RouteTable.TrackEntry entry = weighted(track, releases, current, canaryWeight, versionWeights);
        return sticky == null || entry.canary() == null ? entry : entry.withSticky(sticky.to());
    }

    private static RouteTable.TrackEntry weighted(Track track, List<ServiceInfo> releases, RouteTable.TrackEntry current,
                                                  Integer canaryWeight, Map<String, Integer> versionWeights) {
        if ((canaryWeight == null) == (versionWeights == null)) {
            throw new UserInputException("give either --weight W (the canary's share) or --weights VERSION=W,...");
        }
        if (releases.isEmpty()) {
            throw new UserInputException("track " + track.name() + " has no releases on this edge; deploy one first."
                    + " Nothing was changed.");
        }
        List<ServiceInfo> live = Lifecycle.live(current, releases);
        Map<String, Integer> weights = new LinkedHashMap<>();
        live.forEach(r -> weights.put(r.name(), 0));
        if (canaryWeight != null) {
            requireWeight("--weight", canaryWeight);
            Lifecycle.Phase phase = Lifecycle.phase(current, live);
            if (phase.canary() == null) {
                throw new UserInputException("track " + track.name() + " has no canary (phase: " + phase.describe()
                        + (phase.stable() == null ? "" : ", stable " + phase.stable()) + "): there is nothing to shift to."
                        + " Deploy a new version first, or set every weight with --weights. Nothing was changed.");
            }
            if (!phase.canaryDeployed()) {
                throw new UserInputException("the canary " + phase.canary() + " of track " + track.name() + " does not exist:"
                        + " its deploy did not finish. Re-run that deploy, or roll it back. Nothing was changed.");
            }
            if (phase.stable() == null) {
                throw new UserInputException("track " + track.name() + " has no stable release besides the canary "
                        + phase.canary() + ". Nothing was changed.");
            }
            weights.put(phase.canary(), canaryWeight);
            weights.put(phase.stable(), 100 - canaryWeight);
        } else {
            Map<String, String> serviceByVersion = new LinkedHashMap<>();
            live.forEach(r -> serviceByVersion.put(r.labels().get(Labels.VERSION), r.name()));
            versionWeights.forEach((version, w) -> {
                requireWeight("weight of " + version, w);
                String service = serviceByVersion.get(version);
                if (service == null) {
                    throw new UserInputException("track " + track.name() + " has no release " + version + " (it has "
                            + String.join(", ", serviceByVersion.keySet()) + "). Nothing was changed.");
                }
                weights.put(service, w);
            });
        }
        if (weights.values().stream().mapToInt(Integer::intValue).sum() == 0) {
            throw new UserInputException("all weights are 0: Envoy would have nowhere to send track " + track.name()
                    + ". Nothing was changed.");
        }
        if (current == null) {
            return new RouteTable.TrackEntry(weights, null, Lifecycle.stableOf(null, live), null, List.of());
        }
        return new RouteTable.TrackEntry(weights, current.canary(), Lifecycle.stableOf(current, live), current.previous(),
                current.retiring()).keepingCanaryTrafficOf(current); // a shift moves weights only
    }

    /**
     * The route table entry after a deploy: the first release of a track takes 100%; a later one joins
     * at weight 0 as the canary (reachable with a forcing token when the edge forces canaries); an existing release keeps its weight.
     */
    public static RouteTable.TrackEntry afterDeploy(String service, RouteTable.TrackEntry current, List<ServiceInfo> releases) {
        if (current != null && current.weights().containsKey(service)) {
            return current; // re-run of the same deploy
        }
        List<ServiceInfo> others = releases.stream().filter(r -> !r.name().equals(service)).toList();
        if (others.isEmpty()) {
            return new RouteTable.TrackEntry(Map.of(service, 100), null);
        }
        Map<String, Integer> weights = new LinkedHashMap<>(EdgeManager.effectiveWeights(others, current));
        weights.put(service, 0);
        return new RouteTable.TrackEntry(weights, service);
    }
}
