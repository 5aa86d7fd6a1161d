package io.swarmcanary.envoy;

import java.util.List;
import java.util.Objects;

/**
 * What of a track's traffic reaches its canary besides its weight: requests meeting every one of {@code matches} (an
 * A/B audience, one route before the weighted one), and a mirrored copy of {@code mirrorPercent}% of the weighted
 * route's requests (sent to cluster {@code <service>}{@value EnvoyConfigRenderer#MIRROR_SUFFIX}, answers discarded), and
 * sticky sessions ({@code sticky}, null for none) that keep a client on the release the weights chose for it.
 */
public record CanaryTraffic(String service, List<RouteMatch> matches, int mirrorPercent, StickySessions sticky) {
    public CanaryTraffic {
        Objects.requireNonNull(service, "service");
        matches = List.copyOf(matches);
    }

    public CanaryTraffic(String service, List<RouteMatch> matches, int mirrorPercent) {
        this(service, matches, mirrorPercent, null);
    }

    /** The mirror's cluster, or null when nothing is mirrored. */
    public String mirrorCluster() {
        return mirrorPercent > 0 ? service + EnvoyConfigRenderer.MIRROR_SUFFIX : null;
    }
}
