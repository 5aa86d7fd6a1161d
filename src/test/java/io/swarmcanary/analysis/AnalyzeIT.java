package io.swarmcanary.analysis;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * analyze against the real Envoy of a test edge, with real requests: the stats host, not enough data without
 * traffic, a healthy canary passing, and a canary answering 30% HTTP 500s failing and being rolled back on its own
 * while the stable release's traffic has no errors; then the same from a real Prometheus scraping the edge.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnalyzeIT {
    static {
        // before any java.net.http use in this JVM: the stats host and the track are chosen by the Host header
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int PORT = 10201;
    static final int PROMETHEUS_PORT = 10211;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-an-");
    private static final String EDGE = APP + "-edge";
    private static final String TRACK = APP + "-webdev";
    private static final String HOST = APP + ".webdev.test";

    @TempDir
    static Path dir;

    @BeforeAll
    static void anEdgeAndAStableRelease() {
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy"));
        ok(deploy("1.0.0"));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    static Cli.Result deploy(String version, String... extra) {
        List<String> args = new ArrayList<>(List.of("deploy", "--edge", EDGE, "--app", APP, "--env", "webdev",
                "--version", version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--domain", HOST, "-q"));
        for (String e : extra) {
            args.addAll(e.startsWith("--") ? List.of(e) : List.of("--env", e));
        }
        return cli().run(args.toArray(String[]::new));
    }

    static Cli.Result run(String verb, String... extra) {
        List<String> args = new ArrayList<>(List.of(verb, "--edge", EDGE, "--app", APP, "--env", "webdev"));
        args.addAll(List.of(extra));
        return cli().run(args.toArray(String[]::new));
    }

    static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    /** Requests through the edge in a background thread, each outcome kept with its time. */
    static final class Load implements AutoCloseable {
        record Outcome(long nanos, int status, String version, String error) {}

        final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean running = true;
        private final Thread thread = new Thread(() -> {
            while (running) {
                try {
                    HttpResponse<String> r = Traffic.get(PORT, HOST, Map.of());
                    outcomes.add(new Outcome(System.nanoTime(), r.statusCode(), r.headers().firstValue("x-app-version").orElse("-"), null));
                } catch (Exception e) {
                    outcomes.add(new Outcome(System.nanoTime(), 0, "-", e.getClass().getSimpleName()));
                }
                TestSwarm.sleep(10);
            }
        });

        Load() {
            thread.start();
        }

        List<Outcome> snapshot() {
            synchronized (outcomes) {
                return new ArrayList<>(outcomes);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }
    }

    @Order(1)
    @Test
    void theStatsHostServesStatsAndNothingElseOfTheAdmin() throws Exception {
        // a stats token from the cluster's edge key, as the CLI signs one
        String token = ok(cli().run("canary-token", "--stats", "--ttl", "5m")).stdout().strip();
        HttpResponse<String> stats = get(io.swarmcanary.envoy.StatsHost.HEALTHY_PATH, "GET", token);
        assertThat(stats.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(stats.body()).path("stats").isArray()).isTrue();
        assertThat(get("/stats/prometheus", "GET", token).body()).contains("envoy_cluster_upstream_rq");
        for (String path : List.of("/quitquitquit", "/healthcheck/fail", "/config_dump", "/clusters", "/listeners",
                "/runtime_modify?a=b", "/logging?level=trace", "/stats/reset_counters", "/stats?format=text", "/stats",
                "/stats/../config_dump", "//config_dump", "/server_info", "/drain_listeners", "/cpuprofiler?enable=y",
                "/stats?format=json", "/stats?format=json&filter=.*")) {
            for (String method : List.of("GET", "POST")) {
                TestSwarm.sleep(150); // under the stats host's rate limit (10/s), which would answer 429 first
                assertThat(get(path, method, token).statusCode()).as(method + " " + path).isEqualTo(404);
            }
        }
        assertThat(get(io.swarmcanary.envoy.StatsHost.HEALTHY_PATH, "POST", token).statusCode()).isEqualTo(404);
        // without a token nothing at all: not even the stats
        for (String path : io.swarmcanary.envoy.StatsHost.PATHS) {
            assertThat(get(path, "GET", null).statusCode()).as(path).isEqualTo(401);
        }
        // Envoy is still up and serving: quitquitquit did not reach it
        assertThat(Traffic.sample(PORT, HOST, 5, Map.of())).containsOnlyKeys("version=1.0.0");
    }

    private static HttpResponse<String> get(String path, String method, String token) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + Traffic.nextNode() + ":" + PORT + path))
                .header("Host", "swarm-canary-stats").method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("x-canary-token", token);
        }
        return java.net.http.HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Order(2)
    @Test
    void withoutTrafficItIsNotEnoughDataNeverAPass() throws Exception {
        ok(deploy("2.0.0"));
        ok(run("shift", "--weight", "50", "-q"));
        Cli.Result r = run("analyze", "--window", "3s", "--min-requests", "50", "--output", "json");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
        JsonNode json = JSON.readTree(r.stdout());
        assertThat(json.path("verdict").asText()).isEqualTo("inconclusive");
        assertThat(json.path("reason").asText()).startsWith("not enough data");
        assertThat(json.at("/canary/requests").asLong()).isZero();
        assertThat(json.at("/canary/weight").asInt()).isEqualTo(50);
    }

    @Order(3)
    @Test
    void aHealthyCanaryPasses() throws Exception {
        try (Load load = new Load()) {
            Cli.Result r = run("analyze", "--window", "10s", "--min-requests", "50", "--output", "json");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            JsonNode json = JSON.readTree(r.stdout());
            assertThat(json.path("verdict").asText()).isEqualTo("pass");
            assertThat(json.at("/canary/version").asText()).isEqualTo("2.0.0");
            assertThat(json.at("/canary/requests").asLong()).isGreaterThanOrEqualTo(50);
            assertThat(json.at("/stable/requests").asLong()).isGreaterThanOrEqualTo(50);
            assertThat(json.at("/canary/failed").asLong()).isZero();
            assertThat(json.at("/canary/p99Ms").asDouble()).isPositive();
        }
        ok(run("rollback", "-q"));
    }

    @Order(4)
    @Test
    void aFailingCanaryIsRolledBackAtItsFirstStepAndTheStableHadNoErrors() throws Exception {
        Path events = dir.resolve("run.jsonl");
        ok(deploy("3.0.0", "ERROR_RATE=30", "--replace-canary"));
        try (Load load = new Load()) {
            TestSwarm.sleep(1000);
            long shiftStarted = System.nanoTime();
            ok(run("shift", "--weight", "25", "--events", events.toString(), "-q"));
            Cli.Result r = run("analyze", "--window", "10s", "--min-requests", "50", "--rollback-on-fail",
                    "--events", events.toString(), "--output", "json");
            long rolledBack = System.nanoTime();
            TestSwarm.sleep(2000);
            load.close();
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            JsonNode json = JSON.readTree(r.stdout());
            assertThat(json.path("verdict").asText()).isEqualTo("fail");
            assertThat(json.path("reason").asText()).contains("error rate").contains("allowed 1%").contains("3.0.0");
            assertThat(json.at("/breaches/0/limit").asText()).isEqualTo("max-error-rate");
            assertThat(json.at("/breaches/0/measured").asDouble()).isGreaterThan(0.1);
            assertThat(json.at("/stable/failed").asLong()).isZero();
            assertThat(json.at("/rollback/weights")).hasSize(1);
            assertThat(json.at("/rollback/weights/1.0.0").asInt()).isEqualTo(100);
            assertThat(json.at("/rollback/removed/0").asText()).isEqualTo(TRACK + "-3_0_0");
            assertThat(swarm.service(TRACK + "-3_0_0")).isEmpty();

            List<Load.Outcome> all = load.snapshot();
            Map<String, Integer> byKind = new TreeMap<>();
            long firstCanary = Long.MAX_VALUE;
            long lastCanary = 0;
            for (Load.Outcome o : all) {
                String kind = o.error() != null ? "error-" + o.error() : o.status() + " " + o.version();
                byKind.merge(kind, 1, Integer::sum);
                if (o.version().equals("3.0.0")) {
                    firstCanary = Math.min(firstCanary, o.nanos());
                    lastCanary = Math.max(lastCanary, o.nanos());
                }
                // the stable release never answered anything but 200; the only 5xx are the canary's own
                if (o.version().equals("1.0.0")) {
                    assertThat(o.status()).as("stable answered %s", o).isEqualTo(200);
                }
                if (o.status() >= 500) {
                    assertThat(o.version()).as("a 5xx not from the canary: %s", o).isEqualTo("3.0.0");
                }
            }
            assertThat(byKind).containsKey("500 3.0.0").containsKey("200 3.0.0");
            List<Load.Outcome> after = all.stream().filter(o -> o.nanos() > rolledBack).toList();
            assertThat(after).isNotEmpty().allSatisfy(o -> assertThat(o.version()).isEqualTo("1.0.0"));
            System.out.printf("AnalyzeIT: outcomes %s; failing canary first answered %.1fs after shift start,"
                            + " at weight 0 %.1fs after its first answer (last answer %.1fs after it)%n", byKind,
                    (firstCanary - shiftStarted) / 1e9, (rolledBack - firstCanary) / 1e9, (lastCanary - firstCanary) / 1e9);
        }
        List<String> types = Files.readAllLines(events, StandardCharsets.UTF_8).stream()
                .map(l -> l.replaceAll(".*\"type\":\"([a-z]+)\".*", "$1")).toList();
        assertThat(types).containsExactly("weights", "analysis", "rollback");
        Path html = dir.resolve("report.html");
        ok(cli().run("report", "--events", events.toString(), "--out", html.toString()));
        assertThat(Files.readString(html)).contains("<svg").contains("3.0.0").contains("class=\"fail\"");
    }

    @Order(5)
    @Test
    void prometheusScrapingTheEdgeGivesTheSameVerdict() throws Exception {
        ok(deploy("4.0.0", "ERROR_RATE=30", "--replace-canary"));
        ok(run("shift", "--weight", "50", "-q"));
        Path config = dir.resolve("prometheus.yml");
        // the stats host answers only a stats token: Prometheus sends one as its bearer token
        Path token = dir.resolve("edge-token");
        Files.writeString(token, ok(cli().run("canary-token", "--stats", "--ttl", "1h")).stdout().strip());
        // Prometheus 2.x cannot set a Host header; through a proxy it sends the target as the request's authority,
        // which picks the stats-only virtual host
        // one job per node's Envoy (each a proxy of its own): the load goes round every node
        StringBuilder jobs = new StringBuilder();
        for (String node : Bed.NODE_HOSTS) {
            jobs.append("""
                      - job_name: edge-%s
                        metrics_path: /stats/prometheus
                        proxy_url: http://%s:%d
                        authorization: {type: Bearer, credentials_file: %s}
                        static_configs: [{targets: ["swarm-canary-stats:%d"]}]
                    """.formatted(node, node, PORT, token, PORT));
        }
        Files.writeString(config, """
                global: {scrape_interval: 1s}
                scrape_configs:
                """ + jobs);
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--web.listen-address=127.0.0.1:" + PROMETHEUS_PORT, "--storage.tsdb.path=" + dir.resolve("tsdb"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try (Load load = new Load()) {
            TestSwarm.sleep(4000); // Prometheus up and a few scrapes in
            Cli.Result r = run("analyze", "--window", "10s", "--min-requests", "50", "--source", "prometheus",
                    "--prometheus-url", "http://127.0.0.1:" + PROMETHEUS_PORT, "--output", "json");
            assertThat(r.exitCode()).as(r.toString() + Files.readString(dir.resolve("prometheus.log"))).isEqualTo(1);
            JsonNode json = JSON.readTree(r.stdout());
            assertThat(json.path("verdict").asText()).isEqualTo("fail");
            assertThat(json.path("source").asText()).isEqualTo("prometheus");
            assertThat(json.at("/canary/requests").asLong()).isGreaterThanOrEqualTo(50);
            assertThat(json.at("/canary/errorRate").asDouble()).isBetween(0.1, 0.6);
            assertThat(json.at("/stable/failed").asLong()).isZero();
            assertThat(json.at("/stable/requests").asLong()).isGreaterThanOrEqualTo(50);
        } finally {
            prometheus.destroy();
            prometheus.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Order(6)
    @Test
    void badInputChangesNothingAndSaysWhy() throws Exception {
        Cli.Result r = run("analyze", "--max-error-rate", "lots", "--output", "json");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(JSON.readTree(r.stdout()).at("/error/message").asText()).contains("--max-error-rate 'lots'");
        Cli.Result noUrl = run("analyze", "--source", "prometheus");
        assertThat(noUrl.exitCode()).isEqualTo(2);
        assertThat(noUrl.stderr()).contains("--prometheus-url");
        ok(run("rollback", "-q"));
        Cli.Result noCanary = run("analyze", "--window", "1s");
        assertThat(noCanary.exitCode()).as(noCanary.toString()).isEqualTo(2);
        assertThat(noCanary.stderr()).contains("has no canary to analyze");
    }
}
