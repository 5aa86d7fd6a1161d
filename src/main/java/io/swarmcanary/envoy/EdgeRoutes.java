package io.swarmcanary.envoy;

import java.util.List;

/**
 * The route table of one edge: everything the renderer needs besides the base bootstrap.
 *
 * @param listenerPort the public port (ignored with a user template, whose listeners are its own)
 * @param smokeDomains domains answered with a fixed 200 "Proxy OK" so the edge can be tested alone;
 *                     {@code null} means {@link #DEFAULT_SMOKE_DOMAINS}, an empty list means none
 */
public record EdgeRoutes(int listenerPort, List<String> smokeDomains, List<TrackRoutes> tracks, String revision) {
    public static final List<String> DEFAULT_SMOKE_DOMAINS = List.of("proxy_test", "proxy_test:*");
    /** A listener port for checking tracks alone, where the port plays no part. */
    static final int ANY_LISTENER_PORT = 10000;

    public EdgeRoutes {
        smokeDomains = smokeDomains == null ? DEFAULT_SMOKE_DOMAINS : List.copyOf(smokeDomains);
        tracks = List.copyOf(tracks);
        if (revision != null && !revision.matches("[0-9a-f]{1,64}")) {
            throw new InvalidRoutesException("revision must be hex, got '" + revision + "'");
        }
    }

    /**
     * @param revision when set, the smoke host answers with it in {@value EnvoyConfigRenderer#REVISION_HEADER}
     *                 so a deploy can tell that the live Envoy serves this very route table
     */
    public EdgeRoutes withRevision(String revision) {
        return new EdgeRoutes(listenerPort, smokeDomains, tracks, revision);
    }

    public EdgeRoutes(int listenerPort, List<String> smokeDomains, List<TrackRoutes> tracks) {
        this(listenerPort, smokeDomains, tracks, null);
    }

    public EdgeRoutes(int listenerPort, List<TrackRoutes> tracks) {
        this(listenerPort, null, tracks);
    }
}
