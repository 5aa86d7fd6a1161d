package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.sun.net.httpserver.HttpServer;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.NamingKey;
import io.swarmcanary.testing.FakeSwarm;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The JSON of every verb whose answer a step in vars/ reads (deploy, shift, promote, rollback, analyze, status, prune,
 * report, edge ensure, and the error every verb prints), made by the real CLI on an in-memory swarm and checked against
 * the fixtures under cli-json/ that the Groovy step tests' fake CLI answers with (see {@link CliJsonFixtures}).
 * <p>
 * Each answer goes through {@link SwarmCanary#commandLine(CommandContext)} as the CLI's main does: picocli parses the argv
 * into the real command (its options, its defaults, its --output json), the command's own call() runs with
 * {@link FakeSwarm} behind its one seam ({@link FakeCluster}) and prints the typed result, and an exception goes to the CLI's
 * own handler, which prints the error JSON and picks the exit code. The shape of each situation is asserted too, so a fixture cannot be regenerated
 * into a different situation unnoticed.
 */
class CliAnswersTest {
    static final String EDGE = "envoy";
    static final String IMAGE = "registry.example.com/files:";
    final FakeSwarm swarm = new FakeSwarm();
    final EdgeManager edges = new EdgeManager(swarm, new EdgeProbe() {
        @Override
        public Optional<String> revision(int port) {
            return Optional.of(swarm.services.get(EDGE).labels().get(EdgeManager.REVISION));
        }

        @Override
        public Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
            return Optional.of(clusters.stream().collect(Collectors.toMap(c -> c, c -> 1L)));
        }
    }, Clock.systemUTC(), Duration.ofMillis(400));
    HttpServer stats;

    @TempDir Path dir;

    /**
     * The cluster's keys, which a first deploy and edge ensure would make at random, stored fixed in the fake cluster (the
     * place the CLI reads them from): the secrets' names carry the naming key's hash, the Envoy config's name the edge
     * key's public half, so every run prints the same names.
     */
    @BeforeEach
    void fixedClusterKeys() throws Exception {
        swarm.createConfig(NamingKey.CONFIG, MessageDigest.getInstance("SHA-256").digest(
                "the naming key of the fixtures' cluster".getBytes(StandardCharsets.UTF_8)),
                Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, NamingKey.KIND));
        SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG"); // seeded before first use: the same numbers every run
        seeded.setSeed("the edge key of the fixtures' cluster".getBytes(StandardCharsets.UTF_8));
        ECKey edgeKey = new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).secureRandom(seeded).generate();
        swarm.createConfig(EdgeKey.CONFIG, edgeKey.toJSONString().getBytes(StandardCharsets.UTF_8),
                Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, EdgeKey.KIND));
    }

    @AfterEach
    void stopStats() {
        if (stats != null) {
            stats.stop(0);
        }
    }

    record Answer(int exit, JsonNode json, String text) {}

    /** The values --secret db_password=env:DB_PASSWORD reads. */
    static final Map<String, String> SECRETS = Map.of("DB_PASSWORD", "first password");

    /** argv as a user types it (the verb first, --output json added), run as the CLI runs it, on the fake swarm. */
    Answer cli(String... argv) {
        List<String> args = new ArrayList<>(List.of(argv));
        args.addAll(List.of("--output", "json", "--quiet"));
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(SECRETS);
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        int exit = cli.execute(args.toArray(String[]::new));
        return new Answer(exit, CliJsonFixtures.parse(out.toString()), out.toString());
    }

    Answer deploy(String version, String... more) {
        swarm.images.add(IMAGE + version);
        List<String> args = new ArrayList<>(List.of("deploy", "--app", "files", "--env", "webdev", "--version", version,
                "--image", IMAGE + version, "--port", "8080", "--domain", "files.webdev.example.com",
                "--secret", "db_password=env:DB_PASSWORD"));
        args.addAll(List.of(more));
        return cli(args.toArray(String[]::new));
    }

    static final String[] TRACK = {"--app", "files", "--env", "webdev"};

    static String[] on(String verb, String... more) {
        List<String> args = new ArrayList<>(List.of(verb.split(" ")));
        args.addAll(List.of(TRACK));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    void anEdge(int port) {
        swarm.images.add("docker.io/envoyproxy/envoy:v1.34-latest");
        Answer ensured = cli("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(port), "--delivery", "redeploy");
        assertThat(ensured.exit()).isZero();
        if (port == 10000) {
            CliJsonFixtures.check("edge-ensure", ensured.text());
        }
    }

    /** files-webdev with 1.0.9 stable and 1.0.10 its canary at 0%, each deployed by the deploy command. */
    void aCanary() {
        assertThat(deploy("1.0.9").exit()).isZero();
        Answer stable = cli("status");
        assertThat(stable.json().get("tracks").get(0).get("releases").findValuesAsText("version")).containsExactly("1.0.9");
        CliJsonFixtures.check("status", stable.text());
        Answer canary = deploy("1.0.10");
        assertThat(canary.exit()).isZero();
        assertThat(canary.json().get("weights")).isEqualTo(CliJsonFixtures.parse("{\"1.0.9\":100,\"1.0.10\":0}"));
        CliJsonFixtures.check("deploy-canary", canary.text());
    }

    @Test
    void deployShiftAndStatusOfACanaryAndItsReRun() {
        anEdge(10000);
        aCanary();
        Answer shifted = cli(on("shift", "--weight", "25"));
        assertThat(shifted.json().get("weights")).isEqualTo(CliJsonFixtures.parse("{\"1.0.9\":75,\"1.0.10\":25}"));
        CliJsonFixtures.check("shift-25", shifted.text());

        Answer again = deploy("1.0.10"); // a re-run of the pipeline: the canary keeps its weight
        assertThat(again.json().get("outcome").asText()).isEqualTo("UNCHANGED");
        assertThat(again.json().get("weights")).isEqualTo(CliJsonFixtures.parse("{\"1.0.9\":75,\"1.0.10\":25}"));
        CliJsonFixtures.check("deploy-resumed", again.text());

        Answer another = deploy("1.0.11"); // the track holds one canary
        assertThat(another.exit()).isEqualTo(SwarmCanary.EXIT_CONFLICT);
        CliJsonFixtures.check("error-conflict", another.text());
    }

    @Test
    void abRoutingAndMirroringOfACanary() {
        anEdge(10000);
        aCanary();
        Answer routed = cli(on("route", "--match", "header:x-beta=1", "--match", "cookie:beta=yes"));
        assertThat(routed.exit()).isZero();
        assertThat(routed.json().get("match").toString()).isEqualTo("[\"cookie:beta=yes\",\"header:x-beta=1\"]");
        CliJsonFixtures.check("route-ab", routed.text());
        Answer mirrored = cli(on("mirror", "--percent", "10"));
        assertThat(mirrored.json().get("mirrorPercent").asInt()).isEqualTo(10);
        CliJsonFixtures.check("mirror-10", mirrored.text());
        Answer badRegex = cli(on("route", "--match", "header:x-beta~(unclosed"));
        assertThat(badRegex.exit()).isEqualTo(SwarmCanary.EXIT_BAD_INPUT);
        assertThat(cli(on("route", "--clear")).json().get("match").size()).isZero();
        assertThat(cli(on("mirror", "--off")).json().get("mirrorPercent").asInt()).isZero();
    }

    @Test
    void stickySessionsOfACanary() {
        anEdge(10000);
        aCanary();
        long index = swarm.services.get(EDGE).versionIndex();
        for (String[] bad : List.of(new String[] {"--weight", "20", "--sticky", "--cookie", "a;b"},
                new String[] {"--weight", "20", "--sticky", "--ttl", "30s"},
                new String[] {"--weight", "20", "--cookie", "sc"}, new String[] {"--weight", "20", "--sticky", "--ttl", "8d"})) {
            List<String> argv = new ArrayList<>(List.of(on("shift")));
            argv.addAll(List.of(bad));
            Answer refused = cli(argv.toArray(String[]::new));
            assertThat(refused.exit()).as(String.join(" ", bad)).isEqualTo(SwarmCanary.EXIT_BAD_INPUT);
            assertThat(swarm.services.get(EDGE).versionIndex()).isEqualTo(index);
        }
        Answer sticky = cli(on("shift", "--weight", "20", "--sticky", "--cookie", "shop-v", "--ttl", "30m"));
        assertThat(sticky.exit()).isZero();
        assertThat(sticky.json().get("sticky").toString()).isEqualTo("{\"cookie\":\"shop-v\",\"ttlSeconds\":1800}");
        CliJsonFixtures.check("shift-sticky", sticky.text());
        // the rendered config: a cookie per weighted release, never naming a version
        String config = new String(swarm.config(swarm.services.get(EDGE).labels().get(EdgeManager.CONFIG)).orElseThrow().data(),
                StandardCharsets.UTF_8);
        assertThat(config).contains("shop-v=").contains("Max-Age=1800").doesNotContain("shop-v=1.0.10").doesNotContain("shop-v=1_0");
        assertThat(cli(on("shift", "--weight", "50")).json().get("sticky").get("cookie").asText()).isEqualTo("shop-v");
        Answer status = cli(on("status"));
        assertThat(status.json().at("/tracks/0/sticky").toString()).isEqualTo("{\"cookie\":\"shop-v\",\"ttlSeconds\":1800}");
        CommandLine text = new FakeCluster(swarm, edges).commandLine(SECRETS);
        StringWriter out = new StringWriter();
        text.setOut(new PrintWriter(out));
        assertThat(text.execute(on("status"))).isZero();
        assertThat(out.toString()).contains("  sticky: clients keep the release the weights chose (cookie shop-v, 1800s)");
        Answer off = cli(on("shift", "--no-sticky"));
        assertThat(off.json().has("sticky")).isFalse();
        assertThat(off.json().get("weights")).isEqualTo(CliJsonFixtures.parse("{\"1.0.9\":50,\"1.0.10\":50}"));
    }

    @Test
    void promoteAndRollback() {
        anEdge(10000);
        aCanary();
        Answer back = cli(on("rollback"));
        assertThat(back.json().get("removed").toString()).isEqualTo("[\"files-webdev-1_0_10\"]");
        CliJsonFixtures.check("rollback", back.text());

        Answer nothing = cli(on("promote")); // the track has no canary any more
        assertThat(nothing.exit()).isEqualTo(SwarmCanary.EXIT_BAD_INPUT);
        CliJsonFixtures.check("error-bad-input", nothing.text());

        deploy("1.0.10");
        cli(on("shift", "--weight", "100"));
        Answer promoted = cli(on("promote"));
        assertThat(promoted.json().get("previous").asText()).isEqualTo("files-webdev-1_0_9");
        CliJsonFixtures.check("promote", promoted.text());
    }

    @Test
    void theFirstReleaseOfATrackTakesAllItsTraffic() {
        anEdge(10000);
        Answer first = deploy("1.0.10");
        assertThat(first.json().get("weights")).isEqualTo(CliJsonFixtures.parse("{\"1.0.10\":100}"));
        CliJsonFixtures.check("deploy-first", first.text());
    }

    @Test
    void aCanaryTokenForAPipelineIsWrittenToAFileOnlyItsOwnerReadsAndNeverPrinted() throws IOException {
        anEdge(10000);
        aCanary();
        assertThat(cli("edge", "ensure", "--edge", EDGE, "--port", "10000", "--delivery", "redeploy", "--force-canary", "on").exit()).isZero();
        Path file = dir.resolve("token");

        Path header = dir.resolve("header");
        Answer answer = cli(on("canary-token", "--ttl", "15m", "--out", file.toString(), "--header-out", header.toString()));

        assertThat(answer.exit()).isZero();
        String token = Files.readString(file).trim();
        assertThat(token).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"); // a JWS: header.payload.signature
        assertThat(java.nio.file.Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(answer.text()).doesNotContain(token);
        assertThat(answer.json().get("file").asText()).isEqualTo(file.toAbsolutePath().toString());
        assertThat(answer.json().get("edgeForcesCanary").asBoolean()).isTrue();
        // for curl -H @FILE: the token in no argv nor shell trace
        assertThat(Files.readString(header)).isEqualTo("x-canary-token: " + token + "\n");
        assertThat(java.nio.file.Files.getPosixFilePermissions(header)).hasSize(2);
        assertThat(answer.json().get("headerFile").asText()).isEqualTo(header.toAbsolutePath().toString());
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactlyInAnyOrder("token", "header");
        }
        CliJsonFixtures.check("canary-token", answer.text());

        assertThat(cli("edge", "ensure", "--edge", EDGE, "--port", "10000", "--delivery", "redeploy", "--force-canary", "off").exit()).isZero();
        Answer notForcing = cli(on("canary-token", "--out", file.toString()));
        assertThat(notForcing.json().get("edgeForcesCanary").asBoolean()).isFalse();
        assertThat(Files.readString(file).trim()).isNotEqualTo(token); // replaced, not appended
    }

    @Test
    void aDeployWhoseTasksFailIsExit1() {
        anEdge(10000);
        swarm.taskError.put("files-webdev-1_0_10", "task: non-zero exit (1): the application could not open its port");
        Answer failed = deploy("1.0.10", "--timeout", "2s");
        assertThat(failed.exit()).isEqualTo(SwarmCanary.EXIT_FAILED);
        CliJsonFixtures.check("error-failed", failed.text());
    }

    @Test
    void withoutAnEdgeADeployIsUnrouted() {
        Answer unrouted = deploy("1.0.10");
        assertThat(unrouted.exit()).isZero();
        assertThat(unrouted.json().get("weights").size()).isZero();
        CliJsonFixtures.check("deploy-unrouted", unrouted.text());
    }

    /**
     * Envoy's stats as a real Envoy 1.40 served them (analysis/envoy-1.40-*.json: a canary with 13 failed of 93
     * requests), before and after the window, on the port the edge publishes; cluster names made this track's.
     */
    int envoyServingRecordedStats() throws IOException {
        return envoyServingRecordedStats("files-webdev-1_0_10");
    }

    /** The same, the canary's counters under {@code canaryCluster} (its mirror cluster: the copies mirror sends it). */
    int envoyServingRecordedStats(String canaryCluster) throws IOException {
        AtomicInteger reads = new AtomicInteger();
        stats = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stats.createContext("/", exchange -> {
            // an analysis reads twice before its window (a flush, then the stats) and twice after
            String name = reads.getAndIncrement() % 4 < 2 ? "envoy-1.40-before.json" : "envoy-1.40-after.json";
            byte[] body = recorded(name).replace("sctest-an-man-webdev-1_0_0", "files-webdev-1_0_9")
                    .replace("sctest-an-man-webdev-2_0_0", canaryCluster).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        stats.start();
        return stats.getAddress().getPort();
    }

    static String recorded(String name) {
        try (InputStream in = CliAnswersTest.class.getResourceAsStream("/analysis/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    Answer analyze(String... limits) {
        List<String> args = new ArrayList<>(List.of(on("analyze", "--window", "1s", "--probe-host", "127.0.0.1",
                "--rollback-on-fail", "--events", dir.resolve("events.jsonl").toString())));
        args.addAll(List.of(limits));
        return cli(args.toArray(String[]::new));
    }

    @Test
    void analyzePassesFailsWithARollbackOrHasNotEnoughData() throws IOException {
        anEdge(envoyServingRecordedStats()); // the edge publishes the port the recorded Envoy answers on
        aCanary();
        cli(on("shift", "--weight", "25"));

        Answer pass = analyze("--min-requests", "50", "--max-error-rate", "20%", "--max-p99", "1s");
        assertThat(pass.exit()).as(pass.text()).isZero();
        assertThat(pass.exit()).isZero();
        CliJsonFixtures.check("analyze-pass", pass.text());

        Answer tooFew = analyze("--min-requests", "1000");
        assertThat(tooFew.exit()).isEqualTo(AnalyzeCommand.EXIT_NOT_ENOUGH_DATA);
        CliJsonFixtures.check("analyze-not-enough-data", tooFew.text());

        Answer fail = analyze("--min-requests", "50", "--max-error-rate", "1%");
        assertThat(fail.exit()).isEqualTo(SwarmCanary.EXIT_FAILED);
        assertThat(fail.json().get("rollback").get("removed").toString()).isEqualTo("[\"files-webdev-1_0_10\"]");
        CliJsonFixtures.check("analyze-fail-rolled-back", fail.text());
    }

    @Test
    void analyzeJudgesTheCopiesMirroredToACanaryAtZeroPercent() throws IOException {
        anEdge(envoyServingRecordedStats("files-webdev-1_0_10--mirror"));
        aCanary();
        Answer nothingMirrored = analyze("--traffic", "mirrored");
        assertThat(nothingMirrored.exit()).isEqualTo(SwarmCanary.EXIT_BAD_INPUT);
        assertThat(nothingMirrored.text()).contains("mirrors nothing to its canary").contains("Nothing was changed");

        cli(on("mirror", "--percent", "50"));
        Answer pass = analyze("--traffic", "mirrored", "--min-requests", "50", "--max-error-rate", "20%", "--max-p99", "1s");
        assertThat(pass.exit()).as(pass.text()).isZero();
        assertThat(pass.json().get("traffic").asText()).isEqualTo("mirrored");
        assertThat(pass.json().get("canary").get("requests").asLong()).isEqualTo(93); // the mirror cluster's, not the canary's own (0)
        assertThat(pass.json().get("canary").get("weight").asInt()).isZero();
        CliJsonFixtures.check("analyze-mirrored-pass", pass.text());
    }

    /** Four releases of files-webdev: 1.0.10 promoted, 1.0.9 its rollback target, 1.0.7 and 1.0.8 retired. */
    void releasesToPrune() {
        anEdge(10000);
        for (String version : List.of("1.0.7", "1.0.8", "1.0.9", "1.0.10")) {
            assertThat(deploy(version).exit()).isZero();
            if (!version.equals("1.0.7")) { // the first release is the stable one already
                assertThat(cli(on("promote")).exit()).isZero();
            }
        }
    }

    @Test
    void pruneItsPlanAndAPartlyFailedRun() {
        releasesToPrune();
        Answer plan = cli(on("prune", "--keep", "0", "--dry-run"));
        assertThat(plan.json().get("plan").get("remove").findValuesAsText("name"))
                .containsExactly("files-webdev-1_0_8", "files-webdev-1_0_7");
        CliJsonFixtures.check("prune-dry-run", plan.text());

        swarm.removeRefusals.put(swarm.services.get("files-webdev-1_0_7").id(), new IllegalStateException("connection reset by the manager"));
        Answer partly = cli(on("prune", "--keep", "0"));
        assertThat(partly.exit()).isEqualTo(SwarmCanary.EXIT_FAILED);
        assertThat(partly.json().get("result").get("failed").findValuesAsText("name")).containsExactly("files-webdev-1_0_7");
        assertThat(partly.json().get("result").get("removed").findValuesAsText("name")).containsExactly("files-webdev-1_0_8");
        CliJsonFixtures.check("prune-partly-failed", partly.text());

        swarm.removeRefusals.clear();
        Answer done = cli(on("prune", "--keep", "0"));
        assertThat(done.exit()).isZero();
        CliJsonFixtures.check("prune", done.text());
    }

    @Test
    void theReportOfARun() throws IOException {
        Path events = dir.resolve("swarm-canary-events.jsonl");
        Files.writeString(events, "{\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"approval\",\"track\":\"files-webdev\","
                + "\"step\":\"5%\",\"approver\":\"alice\",\"decision\":\"approved\"}\n");
        Answer report = cli("report", "--events", events.toString(), "--out", dir.resolve("swarm-canary-report.html").toString(),
                "--title", "1.0.10 of files-webdev");
        assertThat(report.exit()).isZero();
        CliJsonFixtures.check("report", report.text());
    }
}
