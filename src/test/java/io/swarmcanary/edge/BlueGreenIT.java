package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.NodeLoad;
import io.swarmcanary.testing.TestSwarm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Blue/green on an xds edge, as {@code swarmCanaryDeploy(strategy: 'bluegreen')} runs it, on the real swarm and Envoy
 * under constant load on every node: the green release is judged on mirrored copies of real traffic while users see
 * only blue (a bad green is rolled back before any user reaches it), then takes all traffic in one shift, is promoted
 * with blue kept, and rolls back to blue the same way: no failed request at any point.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlueGreenIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 10291;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-bg");
    private static final String EDGE = APP + "-edge";
    private static final String TRACK = APP + "-webdev";
    private static final String IMAGE = APP + "-cli:latest";
    private static final String HOST = APP + ".webdev.test";
    private static final String BLUE = "version=1.0.0";
    private static final String GREEN = "version=2.0.1";

    @BeforeAll
    static void anXdsEdgeWithBlueLive() {
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--delivery", "xds", "--control-plane-image", Bed.cliImage(IMAGE), "-q"));
        ok(deploy("1.0.0"));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        swarm.removeImageWhenFree(IMAGE);
        Bed.removeCliImage(IMAGE);
        swarm.close();
    }

    private static Cli.Result deploy(String version, String... env) {
        return cli().deployTestApp(EDGE, APP, HOST, version, env);
    }

    private static Cli.Result run(String verb, String... extra) {
        List<String> args = new ArrayList<>(List.of(verb, "--edge", EDGE, "--app", APP, "--env", "webdev", "-o", "json"));
        args.addAll(List.of(extra));
        return cli().run(args.toArray(String[]::new));
    }

    private static Cli.Result ok(Cli.Result r) {
        return r.ok();
    }

    /** Every node's answers summed: version → count, and "failed". */
    private static Map<String, Long> total(Map<String, Map<String, Long>> perNode) {
        Map<String, Long> sum = new java.util.TreeMap<>();
        perNode.values().forEach(m -> m.forEach((k, v) -> sum.merge(k, v, Long::sum)));
        return sum;
    }

    @Order(1)
    @Test
    void aGreenFailingOnMirroredTrafficIsRolledBackBeforeAnyUserReachesIt() throws Exception {
        ok(deploy("2.0.0", "ERROR_RATE=30"));
        try (NodeLoad load = new NodeLoad(PORT, HOST)) {
            ok(run("mirror", "--percent", "100"));
            Cli.Result r = run("analyze", "--traffic", "mirrored", "--window", "8s", "--min-requests", "20",
                    "--rollback-on-fail");
            TestSwarm.sleep(500);
            Map<String, Long> seen = total(load.counts());
            System.out.println("BlueGreenIT: bad green " + r + "\n  users saw " + seen);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            JsonNode json = JSON.readTree(r.stdout());
            assertThat(json.path("traffic").asText()).isEqualTo("mirrored");
            assertThat(json.path("reason").asText()).contains("error rate");
            assertThat(json.at("/canary/requests").asLong()).isGreaterThanOrEqualTo(20);
            assertThat(json.at("/rollback/weights/1.0.0").asInt()).isEqualTo(100);
            // users saw blue only, and no failure: green's 500s went to mirrored copies whose answers Envoy discards
            assertThat(seen.keySet()).containsExactly(BLUE);
        }
        assertThat(swarm.service(TRACK + "-2_0_0")).isEmpty();
    }

    @Order(2)
    @Test
    void aGoodGreenPassesOnMirroredTrafficThenTakesAllTrafficInOneShiftAndRollsBackWithoutAFailedRequest() throws Exception {
        ok(deploy("2.0.1"));
        try (NodeLoad load = new NodeLoad(PORT, HOST)) {
            ok(run("mirror", "--percent", "100"));
            JsonNode verdict = JSON.readTree(ok(run("analyze", "--traffic", "mirrored", "--window", "6s",
                    "--min-requests", "20")).stdout());
            assertThat(verdict.path("verdict").asText()).isEqualTo("pass");
            // the copies were counted on green's mirror cluster, not as its own (real) traffic
            assertThat(verdict.at("/canary/requests").asLong()).isGreaterThanOrEqualTo(20);
            ok(run("mirror", "--off"));
            Map<String, Map<String, Long>> beforeSwitch = load.counts();
            assertThat(total(beforeSwitch).keySet()).containsExactly(BLUE);

            JsonNode shift = JSON.readTree(ok(run("shift", "--weight", "100")).stdout());
            assertThat(shift.at("/weights/2.0.1").asInt()).isEqualTo(100);
            Map<String, Map<String, Long>> afterSwitch = load.counts();
            TestSwarm.sleep(2000);
            Map<String, Long> onGreen = total(NodeLoad.since(afterSwitch, load.counts()));
            ok(run("promote"));
            TestSwarm.sleep(1000);
            Map<String, Map<String, Long>> promoted = load.counts();
            Map<String, Long> switchAndPromote = total(NodeLoad.since(beforeSwitch, promoted));
            System.out.println("BlueGreenIT: switch + promote " + switchAndPromote + "; after the switch " + onGreen);
            assertThat(onGreen.keySet()).as("every answer after the switch returned is green's").containsExactly(GREEN);
            assertThat(switchAndPromote).doesNotContainKey("failed");
            // promoted: blue is kept at weight 0 as the rollback target
            JsonNode status = JSON.readTree(ok(cli().run("status", "--edge", EDGE, "--app", APP, "--env", "webdev",
                    "-o", "json")).stdout()).path("tracks").get(0);
            System.out.println("BlueGreenIT: status after promote " + status);
            assertThat(swarm.service(TRACK + "-1_0_0")).isPresent();

            JsonNode back = JSON.readTree(ok(run("rollback")).stdout());
            System.out.println("BlueGreenIT: rollback " + back);
            Map<String, Map<String, Long>> rolledBack = load.counts();
            TestSwarm.sleep(2000);
            Map<String, Long> onBlue = total(NodeLoad.since(rolledBack, load.counts()));
            Map<String, Long> rollback = total(NodeLoad.since(promoted, load.counts()));
            System.out.println("BlueGreenIT: rollback " + rollback + "; after it returned " + onBlue);
            assertThat(onBlue.keySet()).as("every answer after the rollback returned is blue's").containsExactly(BLUE);
            assertThat(rollback).doesNotContainKey("failed");
        }
    }
}
