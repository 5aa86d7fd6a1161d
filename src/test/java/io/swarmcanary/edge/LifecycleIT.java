package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The whole lifecycle through the CLI, with real requests through the real Envoy after every step. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int PORT = 10181;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-life-");
    private static final String EDGE = APP + "-edge";
    private static final String TRACK = APP + "-webdev";
    private static final String HOST = APP + ".webdev.test";

    /** The header of a request that forces the track's canary: a token from 'canary-token'. */
    private static Map<String, String> forced() {
        return Map.of("x-canary-token", ok(cli().run("canary-token", "--edge", EDGE, "--app", APP, "--env", "webdev")).stdout().strip());
    }

    @BeforeAll
    static void anEdge() {
        // forcing the canary is opt-in: these tests reach a weight-0 canary with a token
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                "--force-canary", "on"));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    static Cli.Result deploy(String version, String... extra) {
        List<String> args = new ArrayList<>(List.of("deploy", "--edge", EDGE, "--app", APP, "--env", "webdev",
                "--version", version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version,
                "--domain", HOST, "--secret", "token=env:TOKEN", "--output", "json"));
        args.addAll(List.of(extra));
        return cli().env("TOKEN", "token-of-" + version).run(args.toArray(String[]::new));
    }

    static Cli.Result step(String verb, String... extra) {
        List<String> args = new ArrayList<>(List.of(verb, "--edge", EDGE, "--app", APP, "--env", "webdev", "--output", "json"));
        args.addAll(List.of(extra));
        return cli().run(args.toArray(String[]::new));
    }

    static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    static JsonNode json(Cli.Result r) throws Exception {
        return JSON.readTree(r.stdout());
    }

    private static Map<String, Integer> sample(int n) throws Exception {
        return Traffic.sample(PORT, HOST, n, Map.of());
    }

    private static String phase() throws Exception {
        JsonNode tracks = json(ok(cli().run("status", "--edge", EDGE, "--app", APP, "--env", "webdev", "--output", "json"))).path("tracks");
        return tracks.get(0).path("phase").asText();
    }

    @Order(1)
    @Test
    void theFirstReleaseTakesAllTraffic() throws Exception {
        JsonNode r = json(ok(deploy("1.0.0")));
        assertThat(r.path("weights").path("1.0.0").asInt()).isEqualTo(100);
        assertThat(sample(100)).containsOnlyKeys("version=1.0.0");
        assertThat(phase()).isEqualTo("stable");
        Cli.Result nothing = step("rollback");
        assertThat(nothing.exitCode()).as(nothing.toString()).isEqualTo(2);
        assertThat(nothing.stderr()).contains("nothing to roll back");
    }

    @Order(2)
    @Test
    void aSecondReleaseIsTheCanaryAtZeroReachableByHeader() throws Exception {
        JsonNode r = json(ok(deploy("1.0.1")));
        assertThat(r.path("weights").path("1.0.1").asInt()).isZero();
        assertThat(sample(100)).containsOnlyKeys("version=1.0.0");
        assertThat(Traffic.sample(PORT, HOST, 20, forced())).containsOnlyKeys("version=1.0.1");
        assertThat(phase()).isEqualTo("canary at 0%");
    }

    @Order(3)
    @Test
    void aSecondCanaryIsRefusedBeforeAnythingIsCreated() throws Exception {
        long edgeVersion = swarm.service(EDGE).orElseThrow().getVersion().getIndex();
        Cli.Result r = deploy("1.0.2");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
        assertThat(r.stderr()).contains("already has a canary: " + TRACK + "-1_0_1").contains("--replace-canary");
        assertThat(swarm.service(TRACK + "-1_0_2")).isEmpty();
        assertThat(swarm.secretsOfTrack(TRACK)).hasSize(2); // only 1.0.0's and 1.0.1's
        assertThat(swarm.service(EDGE).orElseThrow().getVersion().getIndex()).isEqualTo(edgeVersion);
    }

    /** This test's part of the cluster: every service with its version index and labels, secrets, configs, networks. */
    static String cluster() {
        TreeMap<String, String> all = new TreeMap<>();
        swarm.docker.listServicesCmd().exec().stream().filter(s -> s.getSpec().getName().startsWith(APP))
                .forEach(s -> all.put("service " + s.getSpec().getName(), s.getVersion().getIndex() + " " + s.getSpec().getLabels()));
        swarm.docker.listSecretsCmd().exec().stream().filter(s -> s.getSpec().getName().startsWith(APP))
                .forEach(s -> all.put("secret " + s.getSpec().getName(), s.getId()));
        swarm.docker.listConfigsCmd().exec().stream().filter(c -> c.getSpec().getName().startsWith(APP))
                .forEach(c -> all.put("config " + c.getSpec().getName(), c.getId()));
        swarm.docker.listNetworksCmd().exec().stream().filter(n -> n.getName().startsWith(APP))
                .forEach(n -> all.put("network " + n.getName(), n.getId()));
        return all.toString();
    }

    /** Runs with the canary 1.0.1 at 0%, before or after the refused second canary: both leave the cluster as it is. */
    @Order(3)
    @Test
    void everyDryRunPrintsItsPlanAndChangesNothing() throws Exception {
        String before = cluster();
        assertThat(before).contains(APP + "-webdev-1_0_1").contains("network " + EDGE + "-net");

        JsonNode shift = json(ok(step("shift", "--weight", "30", "--dry-run")));
        assertThat(shift.path("dryRun").asBoolean()).isTrue();
        assertThat(shift.path("outcome").asText()).isEqualTo("planned");
        assertThat(shift.path("weights").path("1.0.1").asInt()).isEqualTo(30);
        assertThat(shift.path("weights").path("1.0.0").asInt()).isEqualTo(70);
        assertThat(shift.path("before").path("1.0.1").asInt()).isZero();

        JsonNode deploy = json(ok(deploy("1.0.2", "--replace-canary", "--dry-run")));
        assertThat(deploy.path("outcome").asText()).isEqualTo("create");
        assertThat(deploy.path("replacedCanary").get(0).asText()).isEqualTo(APP + "-webdev-1_0_1");
        assertThat(deploy.path("weights").path("1.0.2").asInt()).isZero();
        assertThat(deploy.path("secrets").get(0).path("create").asBoolean()).isTrue();
        assertThat(deploy.toString()).doesNotContain("token-of-1.0.2");

        assertThat(json(ok(step("promote", "--dry-run"))).path("weights").path("1.0.1").asInt()).isEqualTo(100);
        assertThat(json(ok(step("rollback", "--dry-run"))).path("remove").get(0).asText()).isEqualTo(APP + "-webdev-1_0_1");
        JsonNode ensure = json(ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image",
                TestSwarm.ENVOY, "--delivery", "redeploy", "--dry-run", "--output", "json")));
        assertThat(ensure.path("outcome").asText()).isEqualTo("unchanged");
        Cli.Result text = ok(cli().run("shift", "--edge", EDGE, "--app", APP, "--env", "webdev", "--weight", "30", "--dry-run"));
        assertThat(text.stdout()).contains("would shift " + TRACK).contains("nothing was changed");

        Cli.Result bad = step("shift", "--weight", "150", "--dry-run");
        assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(2);

        assertThat(cluster()).isEqualTo(before);

        // and the real shift applies what the dry run planned
        JsonNode applied = json(ok(step("shift", "--weight", "30")));
        assertThat(applied.path("weights")).isEqualTo(shift.path("weights"));
        assertThat(applied.path("revision").asText()).isEqualTo(shift.path("revision").asText());
    }

    @Order(4)
    @Test
    void promoteGivesTheCanaryEverythingAndKeepsTheOldStable() throws Exception {
        ok(step("shift", "--weight", "50"));
        Map<String, Integer> half = sample(400);
        assertThat(half).containsOnlyKeys("version=1.0.0", "version=1.0.1");

        JsonNode r = json(ok(step("promote")));
        assertThat(r.path("outcome").asText()).isEqualTo("promoted");
        assertThat(r.path("weights").path("1.0.1").asInt()).isEqualTo(100);
        assertThat(r.path("previous").asText()).isEqualTo(TRACK + "-1_0_0");
        assertThat(sample(200)).containsOnlyKeys("version=1.0.1");
        assertThat(swarm.runningTasks(TRACK + "-1_0_0")).isNotEmpty(); // the way back stays up
        assertThat(phase()).isEqualTo("promoted");

        JsonNode again = json(ok(step("promote")));
        assertThat(again.path("outcome").asText()).isEqualTo("unchanged");
    }

    @Order(5)
    @Test
    void rollbackAfterPromoteBringsTheOldStableBackAndRemovesThePromoted() throws Exception {
        JsonNode r = json(ok(step("rollback")));
        assertThat(r.path("outcome").asText()).isEqualTo("rolled back");
        assertThat(r.path("removed")).extracting(JsonNode::asText).containsExactly(TRACK + "-1_0_1");
        assertThat(sample(200)).containsOnlyKeys("version=1.0.0");
        assertThat(swarm.service(TRACK + "-1_0_1")).isEmpty();
        assertThat(swarm.secretsOfTrack(TRACK)).hasSize(2); // the removed release's secret stays for prune
        assertThat(phase()).isEqualTo("stable");

        JsonNode again = json(ok(step("rollback")));
        assertThat(again.path("outcome").asText()).isEqualTo("unchanged");
        Cli.Result noCanary = step("promote");
        assertThat(noCanary.exitCode()).as(noCanary.toString()).isEqualTo(2);
        assertThat(noCanary.stderr()).contains("no canary to promote");
    }

    @Order(6)
    @Test
    void rollbackOfACanaryAtAnyWeightRemovesIt() throws Exception {
        ok(deploy("1.0.2"));
        ok(step("shift", "--weight", "25"));
        JsonNode r = json(ok(step("rollback")));
        assertThat(r.path("removed")).extracting(JsonNode::asText).containsExactly(TRACK + "-1_0_2");
        assertThat(sample(200)).containsOnlyKeys("version=1.0.0");
        assertThat(Traffic.sample(PORT, HOST, 20, forced())).containsOnlyKeys("version=1.0.0");
        assertThat(swarm.service(TRACK + "-1_0_2")).isEmpty();
    }

    @Order(7)
    @Test
    void replaceCanaryRollsTheOldCanaryBackAndTakesItsPlace() throws Exception {
        ok(deploy("1.0.3"));
        JsonNode r = json(ok(deploy("1.0.4", "--replace-canary")));
        assertThat(r.path("replacedCanary")).extracting(JsonNode::asText).containsExactly(TRACK + "-1_0_3");
        assertThat(swarm.service(TRACK + "-1_0_3")).isEmpty();
        assertThat(Traffic.sample(PORT, HOST, 20, forced())).containsOnlyKeys("version=1.0.4");
        assertThat(sample(100)).containsOnlyKeys("version=1.0.0");
        assertThat(phase()).isEqualTo("canary at 0%");
    }

    @Order(8)
    @Test
    void statusShowsThePhaseInText() {
        Cli.Result r = ok(cli().run("status", "--edge", EDGE, "--app", APP, "--env", "webdev"));
        assertThat(r.stdout()).contains("track " + TRACK).contains(": canary at 0%");
    }
}
