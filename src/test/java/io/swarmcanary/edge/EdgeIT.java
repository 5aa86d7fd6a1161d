package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.ConflictException;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real traffic through the real Envoy in the swarm: two releases, shifts, smoke route, force header, isolation. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 10081;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("edg");
    private static final String EDGE = "sctest-" + APP;

    @BeforeAll
    static void edgeWithTwoTracks() {
        // forcing the canary is opt-in: these tests reach a weight-0 canary with a token
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                "--force-canary", "on"));
        ok(deploy("webdev", "1.0.0"));
        ok(deploy("webdev", "1.0.1"));
        ok(deploy("prod", "1.0.0"));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(APP + "-webdev");
        swarm.removeTrack(APP + "-prod");
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    private static Cli.Result deploy(String env, String version) {
        return cli().run("deploy", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", env,
                "--version", version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version,
                "--domain", APP + "." + env + ".test", "--domain", APP + "." + env + ".test:" + PORT, "--replicas", "2");
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static Cli.Result shift(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("shift", "--edge", EDGE, "--app", APP, "--output", "json"));
        all.addAll(List.of(args));
        return cli().run(all.toArray(String[]::new));
    }

    static HttpResponse<String> get(String host, Map<String, String> headers) throws Exception {
        return Traffic.get(PORT, host, headers);
    }

    /** The header of a request that forces the webdev canary: a token from 'canary-token'. */
    static Map<String, String> forced() {
        return Map.of("x-canary-token", ok(cli().run("canary-token", "--edge", EDGE, "--app", APP, "--env", "webdev")).stdout().strip());
    }

    static Map<String, Integer> sample(String host, int n, Map<String, String> headers) throws Exception {
        return Traffic.sample(PORT, host, n, headers);
    }

    private long edgeVersion() {
        return swarm.service(EDGE).orElseThrow().getVersion().getIndex();
    }

    @Order(1)
    @Test
    void theSmokeRouteAnswersOnItsOwn() throws Exception {
        HttpResponse<String> r = get("proxy_test", Map.of());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("Proxy OK\n");
        assertThat(get("proxy_test:" + PORT, Map.of()).body()).isEqualTo("Proxy OK\n");
    }

    @Order(2)
    @Test
    void aNewReleaseJoinsAtWeightZeroButTheForceHeaderReachesIt() throws Exception {
        assertThat(sample(APP + ".webdev.test", 200, Map.of())).containsOnlyKeys("version=1.0.0");
        assertThat(sample(APP + ".webdev.test", 50, forced())).containsOnlyKeys("version=1.0.1");
        // the old header, open to anyone, forces nothing any more
        assertThat(sample(APP + ".webdev.test", 50, Map.of("x-canary", "always"))).containsOnlyKeys("version=1.0.0");
    }

    @Order(3)
    @ParameterizedTest(name = "canary at {0}%")
    @ValueSource(ints = {0, 5, 25, 50, 100})
    void shiftsMoveTrafficByWeight(int weight) throws Exception {
        Cli.Result r = ok(shift("--env", "webdev", "--weight", String.valueOf(weight)));
        assertThat(JSON.readTree(r.stdout()).path("weights").path("1.0.1").asInt()).isEqualTo(weight);

        int n = 2000;
        Map<String, Integer> counts = sample(APP + ".webdev.test", n, Map.of());
        int canary = counts.getOrDefault("version=1.0.1", 0);
        int stable = counts.getOrDefault("version=1.0.0", 0);
        assertThat(canary + stable).as("no failed requests: %s", counts).isEqualTo(n);
        double p = weight / 100.0;
        double sigma = Math.sqrt(n * p * (1 - p));
        assertThat((double) canary).as("canary share at %d%%: %s", weight, counts)
                .isBetween(n * p - 3 * sigma, n * p + 3 * sigma);

        // a forcing token always reaches the canary, whatever the weights
        assertThat(sample(APP + ".webdev.test", 30, forced())).containsOnlyKeys("version=1.0.1");
        // webdev shifts leave prod's routing untouched
        assertThat(sample(APP + ".prod.test", 100, Map.of())).containsOnlyKeys("version=1.0.0");
        assertThat(get("proxy_test", Map.of()).body()).isEqualTo("Proxy OK\n");
    }

    @Order(4)
    @Test
    void weightsByVersionAndIdempotence() throws Exception {
        ok(shift("--env", "webdev", "--weights", "1.0.0=90,1.0.1=10"));
        long version = edgeVersion();
        Cli.Result again = ok(shift("--env", "webdev", "--weights", "1.0.0=90,1.0.1=10"));
        assertThat(JSON.readTree(again.stdout()).path("outcome").asText()).isEqualTo("unchanged");
        assertThat(edgeVersion()).isEqualTo(version);
    }

    @Order(5)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "--env webdev --weight 101",
        "--env webdev --weight -1",
        "--env webdev --weight 50 --weights 1.0.0=50",
        "--env webdev --weights 1.0.0=0,1.0.1=0",
        "--env webdev --weights 9.9.9=100",
        "--env nosuchenv --weight 10",
        "--env webdev --weight abc",
        "--env web;dev --weight 10"})
    void badShiftsChangeNothing(String args) throws Exception {
        long version = edgeVersion();
        Cli.Result r = shift(args.split(" "));
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).startsWith("error: ");
        assertThat(edgeVersion()).isEqualTo(version);
    }

    @Order(6)
    @Test
    void anInvalidTemplateIsNeverApplied(@TempDir Path dir) throws Exception {
        long version = edgeVersion();
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "static_resources:\n  listeners:\n  - name: x\n    bogus_field: 1\n");
        Cli.Result r = cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                "--template", bad.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(edgeVersion()).isEqualTo(version);

        Cli.Result validate = cli().run("envoy", "validate", bad.toString());
        assertThat(validate.exitCode()).isEqualTo(2);
        assertThat(validate.stderr()).contains("bogus_field");
    }

    @Order(7)
    @Test
    void aDomainClaimedByTwoTracksIsRefusedBeforeAnythingIsCreated() {
        Cli.Result r = cli().run("deploy", "--edge", EDGE, "--app", APP, "--env", "webstaging", "--version", "1.0.0",
                "--image", TestSwarm.TESTAPP, "--domain", APP + ".prod.test");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains("already routed to track " + APP + "-prod");
        assertThat(swarm.servicesOfTrack(APP + "-webstaging")).isEmpty();
    }

    @Order(8)
    @Test
    void aStaleWriterLosesCleanly() {
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            DockerSwarmGateway gateway = new DockerSwarmGateway(docker);
            EdgeManager manager = new EdgeManager(gateway, EdgeProbe.http(Bed.PROBE_HOST, gateway), java.time.Clock.systemUTC(), Duration.ofMinutes(2));
            EdgeManager.EdgeState stale = manager.require(EDGE);
            ok(shift("--env", "webdev", "--weight", "30")); // someone else writes in between
            ServiceInfo s = stale.service();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> gateway.updateService(s.id(), s.versionIndex(),
                            new io.swarmcanary.swarm.ServiceDefinition(EDGE, TestSwarm.ENVOY, 0, Map.of(), Map.of(),
                                    List.of(), List.of(), List.of(), List.of(), null, List.of(), true, List.of(), List.of(), List.of())))
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("Re-run");
        }
    }

    @Order(9)
    @Test
    void renderPrintsTheLiveConfigWhichTheRealEnvoyAccepts(@TempDir Path dir) throws Exception {
        Cli.Result r = ok(cli().run("envoy", "render", "--edge", EDGE));
        assertThat(r.stdout()).contains("tasks." + APP + "-webdev-1_0_1").contains("STRICT_DNS").doesNotContain("total_weight");
        Path file = dir.resolve("envoy.yaml");
        Files.writeString(file, r.stdout());
        ok(cli().run("envoy", "validate", file.toString()));
    }

    @Order(10)
    @Test
    void anEdgeThatDoesNotConvergeGetsItsPreviousConfigBack() throws Exception {
        String before = swarm.service(EDGE).orElseThrow().getSpec().getLabels().get(EdgeManager.ROUTE_TABLE);
        String revision = swarm.service(EDGE).orElseThrow().getSpec().getLabels().get(EdgeManager.REVISION);
        Cli.Result r = shift("--env", "webdev", "--weight", "60", "--converge-timeout", "1ms");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("did not converge").contains("putting the previous config back")
                .contains("is live again");
        assertThat(swarm.service(EDGE).orElseThrow().getSpec().getLabels().get(EdgeManager.ROUTE_TABLE)).isEqualTo(before);
        // once the restored config is live, traffic follows the previous weights again (30% canary)
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> get("proxy_test", Map.of()).headers().firstValue("x-swarm-canary-revision").orElse("").equals(revision));
        Map<String, Integer> counts = sample(APP + ".webdev.test", 1000, Map.of());
        int canary = counts.getOrDefault("version=1.0.1", 0);
        double sigma = Math.sqrt(1000 * 0.3 * 0.7);
        assertThat((double) canary).as("%s", counts).isBetween(300 - 3 * sigma, 300 + 3 * sigma);
    }
}
