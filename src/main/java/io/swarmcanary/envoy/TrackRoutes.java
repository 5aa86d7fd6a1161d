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
 */
public record TrackRoutes(String app, String env, List<String> domains, List<ReleaseRoute> releases,
                          String canaryService) {
    public TrackRoutes {
        Objects.requireNonNull(app, "app");
        Objects.requireNonNull(env, "env");
        domains = List.copyOf(domains);
        releases = List.copyOf(releases);
    }

    /** The virtual host name, and the track's name everywhere else: {@code files-webdev}. */
    public String name() {
        return app + "-" + env;
    }
}
