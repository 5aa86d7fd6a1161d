package io.swarmcanary.cli;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** swarm-canary next on the real swarm, through the packaged CLI: what a pipeline does after each step of a canary. */
class NextIT {
    static final int PORT = 10231;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-next-");
    private static final String EDGE = APP + "-edge";
    private static final String TRACK = APP + "-webdev";

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    static Cli.Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--edge", EDGE, "--app", APP, "--env", "webdev", "--output", "json"));
        Cli.Result r = cli().run(all.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    static Cli.Result deploy(String version) {
        return run("deploy", "--version", version, "--image", TestSwarm.TESTAPP, "--domain", APP + ".webdev.test");
    }

    static JsonNode next(String version) {
        return CliJsonFixtures.parse(run("next", "--version", version, "--steps", "25,100").stdout());
    }

    static List<String> plan(JsonNode decision) {
        List<String> plan = new ArrayList<>();
        decision.path("actions").forEach(a -> plan.add(a.path("action").asText() + (a.path("weight").isNull() ? "" : " " + a.path("weight").asInt())));
        return plan;
    }

    @Test
    void aPipelineFollowsTheCanaryThroughTheCluster() {
        assertThat(plan(next("1.0.0"))).as("no edge, nothing deployed").containsExactly("deploy");
        Cli.Result edge = cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy");
        assertThat(edge.exitCode()).as(edge.toString()).isZero();
        deploy("1.0.0");
        assertThat(plan(next("1.0.0"))).containsExactly("done 100");

        deploy("1.0.1");
        JsonNode canary = next("1.0.1");
        assertThat(canary.path("canaryIsThisVersion").asBoolean()).isTrue();
        assertThat(canary.path("service").asText()).isEqualTo(TRACK + "-1_0_1");
        assertThat(plan(canary)).containsExactly("shift 25", "gate 25", "shift 100", "gate 100", "promote 100");
        assertThat(next("1.0.0").path("canaryIsThisVersion").asBoolean()).isFalse();

        run("shift", "--weight", "25");
        JsonNode resumed = next("1.0.1");
        assertThat(resumed.path("weights").path("1.0.1").asInt()).isEqualTo(25);
        assertThat(plan(resumed)).as("a re-run asks at 25% first").containsExactly("gate 25", "shift 100", "gate 100", "promote 100");

        run("promote");
        JsonNode promoted = next("1.0.1");
        assertThat(promoted.path("phase").asText()).isEqualTo("promoted");
        assertThat(plan(promoted)).containsExactly("promote 100");
    }

    @Test
    void badInputIsExit2() {
        Cli.Result r = cli().run("next", "--app", APP, "--env", "webdev", "--version", "1.0.0", "--steps", "50,25");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains("--steps must rise");
    }
}
