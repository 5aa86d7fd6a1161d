package io.swarmcanary.xds;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.StatsHost;
import java.net.http.HttpResponse;
import java.time.Duration;
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

    /** The same client asking through the Envoy at another host (a node's address); fakes answer as themselves. */
    default ControlPlaneClient at(String host) {
        return this;
    }

    ControlPlaneClient NONE = new ControlPlaneClient() {
        @Override public Optional<XdsStatus> status(int listenerPort) { return Optional.empty(); }
        @Override public Optional<XdsStatus> refresh(int listenerPort) { return Optional.empty(); }
    };

    /** @param statsToken a fresh stats token each call; empty for none (then nothing is asked) */
    static ControlPlaneClient throughEdge(String host, Supplier<Optional<String>> statsToken) {
        ObjectMapper json = new ObjectMapper();
        return new ControlPlaneClient() {
            @Override
            public Optional<XdsStatus> status(int listenerPort) {
                return send(listenerPort, "GET", EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH);
            }

            @Override
            public Optional<XdsStatus> refresh(int listenerPort) {
                return send(listenerPort, "POST", EnvoyConfigRenderer.CONTROL_PLANE_REFRESH_PATH);
            }

            @Override
            public ControlPlaneClient at(String other) {
                return throughEdge(other, statsToken);
            }

            private Optional<XdsStatus> send(int port, String method, String path) {
                Optional<String> token = statsToken.get();
                if (token.isEmpty()) {
                    return Optional.empty();
                }
                try {
                    HttpResponse<String> response = StatsHost.send(host, port, method, path, token.get(),
                            Duration.ofSeconds(1), Duration.ofSeconds(5));
                    return response.statusCode() == 200
                            ? Optional.of(json.readValue(response.body(), XdsStatus.class)) : Optional.empty();
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
