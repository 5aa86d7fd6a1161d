package io.swarmcanary.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.swarmcanary.edge.EdgeKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real Envoy binary running the config the renderer makes with an edge key, in front of two local upstreams (stable
 * and canary; each answers with its name and the token-like headers it received): what a forced request, a request
 * with a bad token and a stats read get. No swarm: the release clusters are pointed at the local upstreams.
 */
class EdgeTokenEnvoyIT {
    private static final String TRACK = "files-webdev";
    private static final String DOMAIN = "files.webdev.example.com";
    private static final ReleaseRoute STABLE = Fixtures.release("files", "webdev", "1.0.10", 100);
    private static final ReleaseRoute CANARY = Fixtures.release("files", "webdev", "1.0.11", 0);
    private static final EdgeKey KEY = Fixtures.KEY;

    private static Process envoy;
    private static HttpServer stable;
    private static HttpServer canary;
    private static int port;
    private static int adminPort;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        stable = upstream("stable");
        canary = upstream("canary");
        port = freePort();
        adminPort = freePort();
        String yaml = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(KEY.publicJwks()).render(
                new EdgeRoutes(port, List.of(new TrackRoutes("files", "webdev", List.of(DOMAIN), List.of(STABLE, CANARY),
                        CANARY.service()))), Optional.empty());
        String local = Fixtures.local(yaml, adminPort, name -> name.equals(STABLE.service()) ? stable.getAddress().getPort()
                : canary.getAddress().getPort());
        dir = Files.createTempDirectory("edge-token-it");
        envoy = Fixtures.startEnvoy(dir, local, port);
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.stop(envoy);
        if (stable != null) {
            stable.stop(0);
        }
        if (canary != null) {
            canary.stop(0);
        }
    }

    @Test
    void aValidTokenForTheTrackReachesTheCanaryAndNeverReachesIt() throws Exception {
        String r = send(DOMAIN, "GET", "/", Map.of(EnvoyConfigRenderer.TOKEN_HEADER, token(TRACK)));
        assertThat(r).startsWith("HTTP/1.1 200").contains("upstream=canary").contains("token=none").contains("x-canary=none");
    }

    @Test
    void everyOtherRequestIsRoutedByWeightWithTheHeadersStripped() throws Exception {
        Instant now = Instant.now();
        String header = EnvoyConfigRenderer.TOKEN_HEADER;
        Map<String, Map<String, String>> attacks = new LinkedHashMap<>();
        attacks.put("no token", Map.of());
        attacks.put("the old header", Map.of(EnvoyConfigRenderer.CANARY_HEADER, "always"));
        attacks.put("garbage", Map.of(header, "always"));
        attacks.put("another key", Map.of(header, EdgeKey.generate().mint(TRACK, Duration.ofHours(1), now)));
        attacks.put("expired", Map.of(header, KEY.mint(TRACK, Duration.ofMinutes(1), now.minus(Duration.ofHours(2)))));
        attacks.put("another track", Map.of(header, token("docs-prod")));
        attacks.put("the stats audience", Map.of(header, token(EnvoyConfigRenderer.STATS_AUDIENCE)));
        attacks.put("audience changed after signing", Map.of(header, io.swarmcanary.edge.ForgedTokens.withAudience(token("docs-prod"), TRACK)));
        attacks.put("alg none", Map.of(header, io.swarmcanary.edge.ForgedTokens.unsigned(TRACK)));
        attacks.put("as a bearer token", Map.of("authorization", "Bearer " + token(TRACK)));
        attacks.forEach((attack, headers) -> {
            String r = send(DOMAIN, "GET", "/", headers);
            // never refused: a normal user with a stray header is simply routed by weight
            assertThat(r).as(attack).startsWith("HTTP/1.1 200").contains("upstream=stable")
                    .contains("token=none").contains("x-canary=none");
        });
    }

    @Test
    void forcedRequestsAreCountedUnderTheirOwnClusterNotTheCanary() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(send(DOMAIN, "GET", "/", Map.of(EnvoyConfigRenderer.TOKEN_HEADER, token(TRACK)))).contains("upstream=canary");
        }
        String stats = send("swarm-canary-stats", "GET", StatsHost.ANALYSIS_PATH, Map.of(EnvoyConfigRenderer.TOKEN_HEADER,
                token(EnvoyConfigRenderer.STATS_AUDIENCE)));
        assertThat(stats).startsWith("HTTP/1.1 200")
                .contains("\"name\":\"cluster." + CANARY.service() + EnvoyConfigRenderer.FORCED_SUFFIX + ".upstream_rq_total\"")
                .doesNotContain("\"name\":\"cluster." + CANARY.service() + ".upstream_rq_total\",\"value\":5");
        String canaryTotal = "cluster." + CANARY.service() + ".upstream_rq_total: ";
        String forcedTotal = "cluster." + CANARY.service() + EnvoyConfigRenderer.FORCED_SUFFIX + ".upstream_rq_total: ";
        String admin = adminStats();
        assertThat(admin).contains(canaryTotal + "0");
        assertThat(admin).containsPattern(java.util.regex.Pattern.quote(forcedTotal) + "([5-9]|\\d\\d)");
    }

    @Test
    void theStatsHostAnswersOnlyAStatsTokenAndOnlyTheCliQueries() throws Exception {
        String stats = token(EnvoyConfigRenderer.STATS_AUDIENCE);
        Map<String, String> withStats = Map.of(EnvoyConfigRenderer.TOKEN_HEADER, stats);
        assertThat(send("swarm-canary-stats", "GET", StatsHost.HEALTHY_PATH, withStats))
                .startsWith("HTTP/1.1 200").contains("membership_healthy");
        assertThat(send("swarm-canary-stats", "GET", StatsHost.PROMETHEUS_PATH, Map.of("authorization", "Bearer " + stats)))
                .startsWith("HTTP/1.1 200").contains("envoy_cluster_membership_healthy");
        // without a stats token: 401 before any route, whatever the path
        for (Map<String, String> headers : List.of(Map.<String, String>of(), Map.of(EnvoyConfigRenderer.TOKEN_HEADER, token(TRACK)),
                Map.of(EnvoyConfigRenderer.TOKEN_HEADER, EdgeKey.generate().mint(EnvoyConfigRenderer.STATS_AUDIENCE,
                        Duration.ofMinutes(5), Instant.now())))) {
            for (String path : StatsHost.PATHS) {
                String r = send("swarm-canary-stats", "GET", path, headers);
                // (the 401's www-authenticate header repeats the request's URL: look for admin's own output)
                assertThat(r).as(path + " with " + headers.keySet()).matches("(?s)HTTP/1.1 40[13] .*")
                        .doesNotContain("\"value\"").doesNotContain("# TYPE");
            }
        }
        // with one, nothing but the exact queries
        for (String hostile : List.of("/stats?format=json&filter=.*", "/stats?format=json", "/stats",
                StatsHost.HEALTHY_PATH + "&histogram_buckets=detailed", "/stats?filter=%28a%2B%29%2B%24&format=json",
                "/config_dump", "/quitquitquit", "/stats/prometheus?usedonly", "/stats/../config_dump", "/clusters")) {
            String r = send("swarm-canary-stats", "GET", hostile, withStats);
            assertThat(r).as(hostile).matches("(?s)HTTP/1.1 (404|301|400) .*").doesNotContain("server.uptime")
                    .doesNotContain("membership_healthy");
        }
        assertThat(send("swarm-canary-stats", "POST", StatsHost.HEALTHY_PATH, withStats)).startsWith("HTTP/1.1 404");
    }

    @Test
    void statsReadsAreRateLimited() throws Exception {
        Map<String, String> withStats = Map.of(EnvoyConfigRenderer.TOKEN_HEADER, token(EnvoyConfigRenderer.STATS_AUDIENCE));
        int limited = 0;
        for (int i = 0; i < 60; i++) {
            if (send("swarm-canary-stats", "GET", StatsHost.HEALTHY_PATH, withStats).startsWith("HTTP/1.1 429")) {
                limited++;
            }
        }
        assertThat(limited).isPositive();
    }

    private static String token(String audience) {
        return KEY.mint(audience, Duration.ofMinutes(10), Instant.now());
    }

    private static String adminStats() throws IOException, InterruptedException {
        var http = java.net.http.HttpClient.newHttpClient();
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + adminPort + "/stats")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** An upstream answering with its name and whether the token headers reached it. */
    private static HttpServer upstream(String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String token = exchange.getRequestHeaders().getFirst(EnvoyConfigRenderer.TOKEN_HEADER);
            String old = exchange.getRequestHeaders().getFirst(EnvoyConfigRenderer.CANARY_HEADER);
            String auth = exchange.getRequestHeaders().getFirst("authorization");
            byte[] body = ("upstream=" + name + " token=" + (token == null ? "none" : "present") + " x-canary="
                    + (old == null ? "none" : "present") + " authorization=" + (auth == null ? "none" : "present") + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String send(String host, String method, String path, Map<String, String> headers) {
        return io.swarmcanary.testing.Traffic.raw(port, host, method, path, headers);
    }
}
