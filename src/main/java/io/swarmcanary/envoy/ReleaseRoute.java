package io.swarmcanary.envoy;

import java.util.Objects;

/**
 * One release of a track as the edge sees it: Envoy sends {@code weight} (relative, 0–100) of the
 * track's traffic to the tasks of Swarm service {@code service} on container port {@code port}.
 */
public record ReleaseRoute(String service, String version, int port, int weight) {
    public ReleaseRoute {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(version, "version");
    }

    /** Swarm's DNS name listing every task of the service; the service VIP is not used. */
    public String tasksAddress() {
        return "tasks." + service;
    }
}
