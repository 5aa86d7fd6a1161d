package io.swarmcanary.envoy;

import java.util.List;

/**
 * The route table of one edge: everything the renderer needs besides the base bootstrap.
 *
 * @param listenerPort the public port (ignored with a user template, whose listeners are its own)
 * @param smokeDomains domains answered with a fixed 200 "Proxy OK" so the edge can be tested alone;
 *                     {@code null} means {@link #DEFAULT_SMOKE_DOMAINS}, an empty list means none
 */
public record EdgeRoutes(int listenerPort, List<String> smokeDomains, List<TrackRoutes> tracks) {
    public static final List<String> DEFAULT_SMOKE_DOMAINS = List.of("proxy_test", "proxy_test:*");

    public EdgeRoutes {
        smokeDomains = smokeDomains == null ? DEFAULT_SMOKE_DOMAINS : List.copyOf(smokeDomains);
        tracks = List.copyOf(tracks);
    }

    public EdgeRoutes(int listenerPort, List<TrackRoutes> tracks) {
        this(listenerPort, null, tracks);
    }
}
