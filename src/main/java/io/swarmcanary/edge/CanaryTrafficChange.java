package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.RouteMatch;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;

/**
 * {@code route --match} and {@code mirror --percent} as changes of a track's route table entry: what reaches the canary
 * besides its weight. Only while the track has a deployed canary; promote and rollback drop both.
 */
public final class CanaryTrafficChange {
    private CanaryTrafficChange() {}

    /** The track's entry with these A/B matches (every one must hold); an empty list removes them. */
    public static RouteTable.TrackEntry route(Track track, List<RouteMatch> matches, RouteTable.TrackEntry current,
                                              List<ServiceInfo> releases) {
        if (matches.isEmpty()) {
            return current == null ? null : current.withCanaryTraffic(List.of(), current.mirror());
        }
        requireCanary(track, current, releases, "route requests to");
        return current.withCanaryTraffic(matches.stream().map(RouteMatch::spec).toList(), current.mirror());
    }

    /** The track's entry mirroring this share of its weighted traffic to the canary; 0 turns mirroring off. */
    public static RouteTable.TrackEntry mirror(Track track, int percent, RouteTable.TrackEntry current, List<ServiceInfo> releases) {
        if (percent < 0 || percent > 100) {
            throw new UserInputException("--percent must be between 1 and 100 (or --off), got " + percent + ". Nothing was changed.");
        }
        if (percent == 0) {
            return current == null ? null : current.withCanaryTraffic(current.match(), null);
        }
        requireCanary(track, current, releases, "mirror traffic to");
        return current.withCanaryTraffic(current.match(), percent);
    }

    static void requireCanary(Track track, RouteTable.TrackEntry current, List<ServiceInfo> releases, String what) {
        Lifecycle.Phase phase = Lifecycle.phase(current, Lifecycle.live(current, releases));
        if (phase.canary() == null) {
            throw new UserInputException("track " + track.name() + " has no canary (phase: " + phase.describe()
                    + "): there is nothing to " + what + ". Deploy a new version first. Nothing was changed.");
        }
        if (!phase.canaryDeployed()) {
            throw new UserInputException("the canary " + phase.canary() + " of track " + track.name() + " does not exist:"
                    + " its deploy did not finish. Re-run that deploy, or roll it back. Nothing was changed.");
        }
    }
}
