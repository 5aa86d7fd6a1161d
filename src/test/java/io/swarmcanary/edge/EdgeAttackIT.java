package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.StatsHost;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An outsider on the edge's published port, against the real Envoy in the swarm with forcing on: tries to force the
 * canary and to read the stats without the right credential, and to get the headers to the application, while normal
 * traffic keeps flowing. Counts attacks tried and succeeded (goal: 0 succeeded, 0 failed normal requests).
 */
class EdgeAttackIT {
    private static final int PORT = 10221;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("atk");
    private static final String EDGE = "sctest-" + APP;
    private static final String HOST = APP + ".webdev.test";
    private static final String TRACK = APP + "-webdev";

    @BeforeAll
    static void anEdgeThatForcesCanaries() {
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                "--force-canary", "on"));
        ok(deploy("1.0.0"));
        ok(deploy("2.0.0")); // the canary, at weight 0
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeTrack(APP + "-other");
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    private static Cli.Result deploy(String version) {
        return deploy(EDGE, APP, HOST, version);
    }

    /** A release of the test app in the track app-webdev, reached at host. */
    static Cli.Result deploy(String edge, String app, String host, String version) {
        return cli().run("deploy", "--edge", edge, "--probe-host", Bed.PROBE_HOST, "--app", app, "--env", "webdev",
                "--version", version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--domain", host);
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static String token(String... args) {
        List<String> all = new ArrayList<>(List.of("canary-token", "--edge", EDGE));
        all.addAll(List.of(args));
        return ok(cli().run(all.toArray(String[]::new))).stdout().strip();
    }

    @Test
    void noAttackFromOutsideSucceedsAndNormalTrafficNeverFails() throws Exception {
        String header = EnvoyConfigRenderer.TOKEN_HEADER;
        String valid = token("--app", APP, "--env", "webdev");
        String stats = token("--stats", "--ttl", "5m");
        EdgeKey stranger = EdgeKey.generate();
        Instant now = Instant.now();

        // the legitimate paths work
        assertThat(Traffic.sample(PORT, HOST, 20, Map.of(header, valid))).containsOnlyKeys("version=2.0.0");
        assertThat(Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "GET", StatsHost.HEALTHY_PATH, Map.of(header, stats)))
                .startsWith("HTTP/1.1 200").contains("membership_healthy");

        Traffic.Steady normal = new Traffic.Steady(PORT, HOST);
        Map<String, Boolean> attacks = new LinkedHashMap<>(); // attack -> succeeded
        try {
            Map<String, Map<String, String>> force = new LinkedHashMap<>();
            force.put("force: no token", Map.of());
            force.put("force: the old x-canary: always", Map.of(EnvoyConfigRenderer.CANARY_HEADER, "always"));
            force.put("force: a made-up token", Map.of(header, "always"));
            force.put("force: a token of another key", Map.of(header, stranger.mint(TRACK, Duration.ofHours(1), now)));
            force.put("force: an expired token", Map.of(header, EdgeKey.read(gateway()).orElseThrow()
                    .mint(TRACK, Duration.ofMinutes(1), now.minus(Duration.ofHours(1)))));
            force.put("force: another track's token", Map.of(header, token("--app", APP, "--env", "other")));
            force.put("force: the stats token", Map.of(header, stats));
            force.put("force: audience rewritten", Map.of(header, ForgedTokens.withAudience(token("--app", APP, "--env", "other"), TRACK)));
            force.put("force: alg none", Map.of(header, ForgedTokens.unsigned(TRACK)));
            force.put("force: as bearer token", Map.of("authorization", "Bearer " + valid));
            for (var attack : force.entrySet()) {
                Map<String, Integer> answers = Traffic.sample(PORT, HOST, 20, attack.getValue());
                attacks.put(attack.getKey(), !answers.keySet().equals(java.util.Set.of("version=1.0.0")));
            }

            Map<String, Map<String, String>> badStats = new LinkedHashMap<>();
            badStats.put("no token", Map.of());
            badStats.put("a forcing token", Map.of(header, valid));
            badStats.put("a stats token of another key", Map.of(header,
                    stranger.mint(EnvoyConfigRenderer.STATS_AUDIENCE, Duration.ofMinutes(5), now)));
            for (var attack : badStats.entrySet()) {
                for (String path : StatsHost.PATHS) {
                    String r = Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "GET", path, attack.getValue());
                    attacks.put("stats with " + attack.getKey() + ": " + path, !r.matches("(?s)HTTP/1.1 40[13] .*")
                            || r.contains("\"value\"") || r.contains("# TYPE"));
                }
            }
            for (String hostile : List.of("/stats?format=json&filter=.*", "/stats?format=json&filter=(a%2B)%2B%24",
                    "/stats?format=json&histogram_buckets=detailed", StatsHost.HEALTHY_PATH + "&usedonly",
                    "/stats", "/config_dump", "/quitquitquit", "/stats/../config_dump", "/clusters", "/runtime_modify?x=1")) {
                for (String method : List.of("GET", "POST")) {
                    String r = Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, method, hostile, Map.of(header, stats));
                    attacks.put("stats with a token, hostile " + method + " " + hostile, !r.matches("(?s)HTTP/1.1 (404|400|301|429) .*")); // 429: the reads' rate limit
                }
            }

            // the headers never reach the application (its /env/<NAME> shows a CGI variable HTTP_<HEADER> it got)
            String control = Traffic.raw(PORT, HOST, "GET", "/env/HTTP_X_PROBE", Map.of("x-probe", "seen"));
            if (control.contains("seen")) {
                attacks.put("token header reaches the canary", Traffic.raw(PORT, HOST, "GET", "/env/HTTP_X_CANARY_TOKEN",
                        Map.of(header, valid)).startsWith("HTTP/1.1 200"));
                attacks.put("bad token header reaches the stable", Traffic.raw(PORT, HOST, "GET", "/env/HTTP_X_CANARY_TOKEN",
                        Map.of(header, "x")).startsWith("HTTP/1.1 200"));
                attacks.put("x-canary reaches the application", Traffic.raw(PORT, HOST, "GET", "/env/HTTP_X_CANARY",
                        Map.of(EnvoyConfigRenderer.CANARY_HEADER, "always")).startsWith("HTTP/1.1 200"));
            } else {
                System.out.println("the test app does not show request headers (" + control.lines().findFirst().orElse("")
                        + "): header stripping checked by EdgeTokenEnvoyIT only");
            }
        } finally {
            normal.close();
        }
        long succeeded = attacks.values().stream().filter(b -> b).count();
        System.out.println("edge attacks tried: " + attacks.size() + ", succeeded: " + succeeded + "; normal requests: "
                + normal.sent() + ", failed: " + normal.failed());
        assertThat(attacks).as("attacks that succeeded").allSatisfy((attack, worked) -> assertThat(worked).as(attack).isFalse());
        assertThat(normal.failed()).as("failed normal requests of %d", normal.sent()).isZero();
        // forced requests are not the canary's: its own cluster has served none of them
        Thread.sleep(3000); // the stats reads' bucket refills after the hostile burst
        String after = Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "GET", StatsHost.ANALYSIS_PATH,
                Map.of(header, token("--stats", "--ttl", "5m")));
        assertThat(after).contains("\"name\":\"cluster." + TRACK + "-2_0_0" + EnvoyConfigRenderer.FORCED_SUFFIX + ".upstream_rq_total\"")
                .doesNotContain("\"name\":\"cluster." + TRACK + "-2_0_0.upstream_rq_200\"");
    }

    private static io.swarmcanary.swarm.SwarmGateway gateway() {
        return new io.swarmcanary.swarm.DockerSwarmGateway(io.swarmcanary.swarm.DockerConnection.fromEnvironment());
    }
}
