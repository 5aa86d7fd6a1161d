package io.swarmcanary.xds;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.HttpAnswer;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.StatsHost;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads an xds edge's control plane through the edge's own Envoy: its stats host (a stats token required) forwards
 * {@value EnvoyConfigRenderer#CONTROL_PLANE_STATUS_PATH} to the control plane over the network only they share, so no
 * port of the control plane is published. Empty when it does not answer.
 */
public interface ControlPlaneClient {
    /** @param listenerPort the edge's published listener port */
    Optional<XdsStatus> status(int listenerPort);

    /** Asks the control plane to re-read the edge now instead of at its next poll. */
    Optional<XdsStatus> refresh(int listenerPort);

    /**
     * A status and its ETag: a control plane of this version or later tags every status, an older one does not (null).
     */
    record Tagged(XdsStatus status, String etag) {}

    /**
     * The status, and its tag. With {@code seen} (a tag of an earlier answer) the control plane answers once its status
     * differs from that one, or after {@code wait} as it is: how a wait learns of an Envoy's ACK without polling. An
     * older control plane answers at once, untagged.
     */
    default Optional<Tagged> status(int listenerPort, String seen, Duration wait) {
        return status(listenerPort).map(s -> new Tagged(s, null));
    }

    /**
     * As {@link #refresh}, with the answer's tag (the status after the read, which a wait then asks to differ from), for a
     * caller waiting for these routes: a control plane that serves them once its running read is over reads no more.
     */
    default Optional<Tagged> refreshTagged(int listenerPort, String wantedRoutes) {
        return refresh(listenerPort).map(s -> new Tagged(s, null));
    }

    /** The same client asking through the Envoy at another host (a node's address); fakes answer as themselves. */
    default ControlPlaneClient at(String host) {
        return this;
    }

    ControlPlaneClient NONE = new ControlPlaneClient() {
        @Override public Optional<XdsStatus> status(int listenerPort) { return Optional.empty(); }
        @Override public Optional<XdsStatus> refresh(int listenerPort) { return Optional.empty(); }
    };

    /** @param statsToken a valid stats token each call; empty for none (then nothing is asked) */
    static ControlPlaneClient throughEdge(String host, Supplier<Optional<String>> statsToken) {
        ObjectMapper json = new ObjectMapper();
        return new ControlPlaneClient() {
            @Override
            public Optional<XdsStatus> status(int listenerPort) {
                return status(listenerPort, null, Duration.ZERO).map(Tagged::status);
            }

            @Override
            public Optional<Tagged> status(int listenerPort, String seen, Duration wait) {
                Map<String, String> headers = seen == null || wait.isZero() ? Map.of()
                        : Map.of("If-None-Match", seen, "Prefer", "wait=" + wait.toSeconds());
                return send(listenerPort, "GET", EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH, headers, wait);
            }

            @Override
            public Optional<XdsStatus> refresh(int listenerPort) {
                return refreshTagged(listenerPort, null).map(Tagged::status);
            }

            @Override
            public Optional<Tagged> refreshTagged(int listenerPort, String wantedRoutes) {
                return send(listenerPort, "POST", EnvoyConfigRenderer.CONTROL_PLANE_REFRESH_PATH,
                        wantedRoutes == null ? Map.of() : Map.of(ControlPlane.WANTED_ROUTES_HEADER, wantedRoutes), Duration.ZERO);
            }

            @Override
            public ControlPlaneClient at(String other) {
                return throughEdge(other, statsToken);
            }

            private Optional<Tagged> send(int port, String method, String path, Map<String, String> headers, Duration wait) {
                Optional<String> token = statsToken.get();
                if (token.isEmpty()) {
                    return Optional.empty();
                }
                try {
                    HttpAnswer response = StatsHost.send(host, port, method, path, token.get(), headers,
                            Duration.ofSeconds(1), Duration.ofSeconds(5).plus(wait));
                    return response.statusCode() == 200
                            ? Optional.of(new Tagged(json.readValue(response.body(), XdsStatus.class),
                                    response.header("ETag").orElse(null)))
                            : Optional.empty();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                } catch (Exception e) {
                    return Optional.empty(); // not up (yet), restarting, busy, or not reachable from here
                }
            }
        };
    }
}
