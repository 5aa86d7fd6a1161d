package io.swarmcanary.envoy;

import java.util.List;
import java.util.Objects;

/**
 * How the edge routes one track (one app in one env).
 *
 * @param domains       host names (optionally {@code :port} or a leading {@code *.}) the track answers
 * @param releases      every running release, weight 0 included
 * @param canaryService the release a valid forcing token for this track reaches (cluster {@code <it>--forced}), or {@code null}
 *                      when nothing is forced (no canary, or the edge does not force canaries)
 * @param canaryTraffic the A/B matches and mirroring that reach the canary ({@code route}, {@code mirror}), or {@code null}
 */
public record TrackRoutes(String app, String env, List<String> domains, List<ReleaseRoute> releases,
                          String canaryService, CanaryTraffic canaryTraffic) {
    public TrackRoutes {
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(env, "env");
        domains = List.copyOf(domains);
        releases = List.copyOf(releases);
    }

    public TrackRoutes(String app, String env, List<String> domains, List<ReleaseRoute> releases, String canaryService) {
        this(app, env, domains, releases, canaryService, null);
    }

    /** The canary's clusters under other names: forced (when the edge forces canaries) and mirror (when it mirrors). */
    public List<String> aliasClusters() {
        return java.util.stream.Stream.of(forcedCluster(), mirrorCluster()).filter(Objects::nonNull).toList();
    }

    /** The cluster a forcing token reaches, or null when the track forces nothing. */
    public String forcedCluster() {
        return canaryService == null ? null : canaryService + EnvoyConfigRenderer.FORCED_SUFFIX;
    }

    /** The mirror's cluster, or null when the track mirrors nothing. */
    public String mirrorCluster() {
        return canaryTraffic == null ? null : canaryTraffic.mirrorCluster();
    }

    /** The virtual host name, and the track's name everywhere else: {@code files-webdev}. */
    public String name() {
        return app + "-" + env;
    }
}
