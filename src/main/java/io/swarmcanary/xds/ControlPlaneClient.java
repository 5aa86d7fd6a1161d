package io.swarmcanary.xds;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Reads an xds edge's control plane through its published status port; empty when it does not answer. */
public interface ControlPlaneClient {
    Optional<XdsStatus> status(int statusPort);

    /** Asks the control plane to re-read the edge now instead of at its next poll. */
    Optional<XdsStatus> refresh(int statusPort);

    ControlPlaneClient NONE = new ControlPlaneClient() {
        @Override public Optional<XdsStatus> status(int statusPort) { return Optional.empty(); }
        @Override public Optional<XdsStatus> refresh(int statusPort) { return Optional.empty(); }
    };

    static ControlPlaneClient http(String host) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        ObjectMapper json = new ObjectMapper();
        return new ControlPlaneClient() {
            @Override
            public Optional<XdsStatus> status(int statusPort) {
                return send(HttpRequest.newBuilder(uri(statusPort, "/status")).GET());
            }

            @Override
            public Optional<XdsStatus> refresh(int statusPort) {
                return send(HttpRequest.newBuilder(uri(statusPort, "/refresh")).POST(HttpRequest.BodyPublishers.noBody()));
            }

            private URI uri(int port, String path) {
                return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + path);
            }

            private Optional<XdsStatus> send(HttpRequest.Builder request) {
                try {
                    HttpResponse<byte[]> response = client.send(request.timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    return response.statusCode() == 200
                            ? Optional.of(json.readValue(response.body(), XdsStatus.class)) : Optional.empty();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                } catch (Exception e) {
                    return Optional.empty(); // not up (yet), restarting, or not reachable from here
                }
            }
        };
    }
}
