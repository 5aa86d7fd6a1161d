package io.swarmcanary.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.HttpAnswer;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.StatsHost;
import io.swarmcanary.swarm.SwarmGateway;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Asks the live Envoy, through its public listener, which route table it serves (the smoke host answers with
 * the revision header) and how many healthy hosts it has found per release cluster (the stats host). The smoke host
 * is asked over a raw socket: java.net.http refuses a Host header unless jdk.httpclient.allowRestrictedHeaders is set
 * before its first request in the JVM, and {@code proxy_test} (an underscore) is no URI host, so {@link StatsHost}'s
 * Envoy-as-proxy way cannot name it either.
 */
public interface EdgeProbe {
    Optional<String> revision(int port);

    /** The same probe aimed at another host (a node's address, to ask each node's Envoy); fakes answer as themselves. */
    default EdgeProbe at(String host) {
        return this;
    }

    /**
     * Healthy hosts ({@code membership_healthy}) per cluster in the live Envoy; a cluster it does not have counts 0, and
     * so does every cluster while the stats host answers "busy" (429, 5xx). Empty when its stats cannot be read (no stats
     * host in a custom template, the token refused, or no answer).
     */
    default Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
        return Optional.empty();
    }

    /** Probes the Envoy at this host, reading its stats host with the cluster's edge key. */
    static EdgeProbe http(String host, SwarmGateway swarm) {
        return http(host, EdgeKey.statsTokens(swarm));
    }

    /** @param statsToken a fresh token for the stats host each call (see {@link EdgeKey#statsTokens}); empty for none */
    static EdgeProbe http(String host, Supplier<Optional<String>> statsToken) {
        return new EdgeProbe() {
            @Override
            public EdgeProbe at(String other) {
                return http(other, statsToken);
            }

            @Override
            public Optional<String> revision(int port) {
                return get(host, port, "proxy_test", "/").filter(r -> r.startsWith("HTTP/1.1 200")).flatMap(response -> {
                    String prefix = EnvoyConfigRenderer.REVISION_HEADER + ":";
                    for (String line : response.split("\r\n")) {
                        if (line.isEmpty()) {
                            break;
                        }
                        if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                            return Optional.of(line.substring(prefix.length()).trim());
                        }
                    }
                    return Optional.empty();
                });
            }

            @Override
            public Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
                Optional<String> token = statsToken.get();
                if (token.isEmpty()) {
                    return Optional.empty();
                }
                try {
                    HttpAnswer r = StatsHost.get(host, port, StatsHost.HEALTHY_PATH, token.get(),
                            Duration.ofSeconds(1), Duration.ofSeconds(3));
                    if (r.statusCode() == 429 || r.statusCode() >= 500) {
                        // the stats host is there but busy (its rate limit is shared by every pipeline on the edge):
                        // nothing found yet, ask again; only a stats host that is not there ends the check
                        return Optional.of(notFoundYet(clusters));
                    }
                    return r.statusCode() == 200 ? parseHealthyHosts(r.body(), clusters) : Optional.empty();
                } catch (IOException e) {
                    return Optional.empty();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
        };
    }

    private static Map<String, Long> notFoundYet(Collection<String> clusters) {
        Map<String, Long> none = new LinkedHashMap<>();
        clusters.forEach(c -> none.put(c, 0L));
        return none;
    }

    /** {@code membership_healthy} per cluster from Envoy's {@code /stats?format=json}; empty when it is not that JSON. */
    static Optional<Map<String, Long>> parseHealthyHosts(String statsJson, Collection<String> clusters) {
        JsonNode stats;
        try {
            stats = new ObjectMapper().readTree(statsJson).path("stats");
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!stats.isArray()) {
            return Optional.empty();
        }
        Map<String, Long> healthy = notFoundYet(clusters);
        for (JsonNode stat : stats) {
            String name = stat.path("name").asText();
            for (String c : clusters) {
                if (name.equals("cluster." + c + ".membership_healthy")) {
                    healthy.put(c, stat.path("value").asLong());
                }
            }
        }
        return Optional.of(healthy);
    }

    /** One GET with the given Host header; the whole response (status line, headers, body), or empty on no answer. */
    private static Optional<String> get(String host, int port, String hostHeader, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return Optional.of(new String(in.readNBytes(1024 * 1024), StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The host the docker CLI talks to, or localhost for a local socket. */
    static String hostOf(String dockerHost) {
        if (dockerHost == null || dockerHost.startsWith("unix:") || dockerHost.startsWith("npipe:")) {
            return "127.0.0.1";
        }
        String rest = dockerHost.replaceFirst("^[a-z]+://", "");
        int colon = rest.lastIndexOf(':');
        return colon > 0 ? rest.substring(0, colon) : rest;
    }
}
