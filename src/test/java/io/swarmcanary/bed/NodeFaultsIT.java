package io.swarmcanary.bed;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeAvailability;
import com.github.dockerjava.api.model.SwarmNodeState;
import com.github.dockerjava.api.model.Task;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.NodeLoad;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The proofs only several nodes can give (issue #18), on the three-node bed only ({@code SC_BED=3}; skipped on one
 * node; {@code -Dit.test='!NodeFaultsIT'} or {@code -Dgroups='!bed3'} leaves them out): a worker's dockerd stopped
 * during a shift, a node running canary tasks drained under load. Each prints its figures (failed requests per node)
 * as a line starting with "NODE-FAULTS". (Concurrent deploys of one track and the kill trials are LifecycleFaultIT's,
 * which runs on either bed: on this one through the TLS endpoint.)
 */
@Tag("bed3")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeFaultsIT {
    private static final int PORT = 10231;
    private static final String APP = TestSwarm.uniqueApp("sctest-nf-");
    private static final String EDGE = APP + "-edge";
    private static final String IMAGE = APP + "-cli:latest";
    private static final String HOST = APP + ".prod.test";
    private static TestSwarm swarm;

    @BeforeAll
    static void anXdsEdgeOnEveryNodeAndACanaryAt25() {
        assumeTrue(Bed.THREE, "three-node bed only (SC_BED=3)");
        swarm = new TestSwarm();
        String controlPlane = Bed.cliImage(IMAGE);
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--delivery", "xds", "--control-plane-image", controlPlane, "-q"));
        ok(deploy(APP, HOST, "1.0.0"));
        ok(deploy(APP, HOST, "1.0.1"));
        ok(shift(25));
    }

    @AfterAll
    static void cleanUp() {
        if (swarm == null) {
            return;
        }
        for (int i = 1; i <= 3; i++) { // whatever a failed test left: every node up and active
            Bed.startNode(Bed.nodeName(i));
            Bed.docker("node", "update", "--availability", "active", Bed.nodeName(i));
        }
        swarm.removeTrack(APP + "-prod");
        swarm.removeEdge(EDGE);
        Bed.removeCliImage(IMAGE);
        swarm.close();
    }

    private static Cli.Result deploy(String app, String host, String version) {
        return cli().run("deploy", "--edge", EDGE, "--app", app, "--env", "prod", "--version", version,
                "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--replicas", "3",
                "--domain", host, "--domain", host + ":" + PORT, "--output", "json");
    }

    private static Cli.Result shift(int weight) {
        return cli().run("shift", "--edge", EDGE, "--app", APP, "--env", "prod", "--weight", String.valueOf(weight),
                "--converge-timeout", "90s", "--output", "json");
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    /** n requests to each of these nodes' published port: answers per version, summed. */
    private static Map<String, Integer> sample(List<String> nodes, int n) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            for (String node : nodes) {
                String key;
                try {
                    var r = Traffic.get(node, PORT, HOST, Map.of());
                    key = r.statusCode() == 200 ? r.body().trim().split(" ")[0] : "error-" + r.statusCode();
                } catch (java.io.IOException e) {
                    key = "error-" + e.getClass().getSimpleName();
                }
                counts.merge(key, 1, Integer::sum);
            }
        }
        return counts;
    }

    /** The canary's share of a sample is the weight within 3 sigma of a binomial. */
    private static void assertSplit(Map<String, Integer> counts, int weight, String what) {
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(counts).as(what).containsOnlyKeys("version=1.0.0", "version=1.0.1");
        double p = weight / 100.0;
        double sigma = Math.sqrt(total * p * (1 - p));
        assertThat((double) counts.getOrDefault("version=1.0.1", 0)).as(what + " " + counts)
                .isBetween(total * p - 3 * sigma, total * p + 3 * sigma);
    }

    private static SwarmNode node(String hostname) {
        return swarm.docker.listSwarmNodesCmd().exec().stream()
                .filter(n -> hostname.equals(n.getDescription().getHostname())).findFirst().orElseThrow();
    }

    private static void awaitNode(String hostname, SwarmNodeState state) {
        for (int i = 0; i < 240 && node(hostname).getStatus().getState() != state; i++) {
            TestSwarm.sleep(500);
        }
        assertThat(node(hostname).getStatus().getState()).as(hostname).isEqualTo(state);
    }

    /** Nodes (hostnames) running a task of the service. */
    private static Set<String> nodesOf(String service) {
        Map<String, String> names = swarm.docker.listSwarmNodesCmd().exec().stream()
                .collect(Collectors.toMap(SwarmNode::getId, n -> n.getDescription().getHostname()));
        return swarm.runningTasks(service).stream().map(Task::getNodeId).map(names::get).collect(Collectors.toSet());
    }

    /** A worker (never the manager, whose loss would take the API away) running a task of the canary. */
    private static String canaryWorker() {
        Set<String> nodes = nodesOf(APP + "-prod-1_0_1");
        return nodes.stream().filter(n -> !n.equals(Bed.nodeName(1))).sorted().reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no canary task on a worker: " + nodes));
    }

    /** The bed's address of node scn<i>. */
    private static String hostOf(String node) {
        return Bed.NODE_HOSTS.get(node.charAt(node.length() - 1) - '1');
    }

    /** Waits until the service runs its replicas and the edge has a running Envoy task on every ready node. */
    private static void awaitSettled(String release, int replicas) {
        for (int i = 0; i < 240; i++) {
            long ready = swarm.docker.listSwarmNodesCmd().exec().stream()
                    .filter(n -> n.getStatus().getState() == SwarmNodeState.READY
                            && n.getSpec().getAvailability() == SwarmNodeAvailability.ACTIVE).count();
            if (swarm.runningTasks(release).size() == replicas && swarm.runningTasks(EDGE).size() == ready) {
                return;
            }
            TestSwarm.sleep(500);
        }
        throw new AssertionError(release + " or the edge did not settle: " + swarm.runningTasks(release).size()
                + " tasks, edge on " + nodesOf(EDGE));
    }

    @Order(1)
    @Test
    void aWorkerLostDuringAShiftThenBackAndTheShiftReRun() throws Exception {
        awaitSettled(APP + "-prod-1_0_1", 3);
        String lostNode = canaryWorker();
        List<String> survivors = Bed.NODE_HOSTS.stream().filter(h -> !h.equals(hostOf(lostNode))).toList();
        try (NodeLoad load = new NodeLoad(PORT, HOST)) {
            TestSwarm.sleep(2000);
            var before = load.counts();
            Cli.Running running = cli().start("shift", "--edge", EDGE, "--app", APP, "--env", "prod", "--weight", "50",
                    "--converge-timeout", "60s", "--output", "json");
            TestSwarm.sleep(300);
            long stopped = System.nanoTime();
            Bed.stopNode(lostNode);
            Cli.Result during = running.await();
            var lost = NodeLoad.since(before, load.counts());
            System.out.printf("NODE-FAULTS node loss: %s stopped %.1fs into the shift; shift exit %d; load per node %s%n%s%n",
                    lostNode, (System.nanoTime() - stopped) / 1e9, during.exitCode(), lost, during.stderr());
            // converged, or failed with a message; either way the surviving Envoys serve one consistent table
            if (during.exitCode() != 0) {
                assertThat(during.stderr()).as(during.toString()).isNotBlank();
            }
            awaitNode(lostNode, SwarmNodeState.DOWN);
            var afterLoss = load.counts();
            Map<String, Integer> survivorsSplit = sample(survivors, 100);
            System.out.println("NODE-FAULTS node loss: survivors' split after the shift " + survivorsSplit);
            assertSplit(survivorsSplit, during.exitCode() == 0 ? 50 : 25, "surviving Envoys after the shift (exit "
                    + during.exitCode() + ")");

            Bed.startNode(lostNode);
            awaitNode(lostNode, SwarmNodeState.READY);
            awaitSettled(APP + "-prod-1_0_1", 3);
            Cli.Result rerun = ok(shift(50));
            var back = NodeLoad.since(afterLoss, load.counts());
            System.out.println("NODE-FAULTS node loss: re-run after the node is back: exit 0; load per node while down and back " + back);
            assertSplit(sample(Bed.NODE_HOSTS, 100), 50, "every Envoy after the re-run " + rerun.stdout());
            var total = NodeLoad.since(before, load.counts());
            System.out.println("NODE-FAULTS node loss: whole phase per node " + total);
        }
    }

    @Order(2)
    @Test
    void aNodeRunningCanaryTasksDrainedUnderLoad() throws Exception {
        awaitSettled(APP + "-prod-1_0_1", 3);
        String canary = APP + "-prod-1_0_1";
        String drained = canaryWorker();
        try (NodeLoad load = new NodeLoad(PORT, HOST)) {
            TestSwarm.sleep(2000);
            var before = load.counts();
            long start = System.nanoTime();
            Bed.docker("node", "update", "--availability", "drain", drained);
            for (int i = 0; i < 240 && (nodesOf(canary).contains(drained) || swarm.runningTasks(canary).size() < 3); i++) {
                TestSwarm.sleep(500);
            }
            assertThat(nodesOf(canary)).doesNotContain(drained);
            assertThat(swarm.runningTasks(canary)).hasSize(3);
            TestSwarm.sleep(3000); // the moved tasks found by every Envoy
            var drain = NodeLoad.since(before, load.counts());
            System.out.printf("NODE-FAULTS drain: %s drained in %.1fs; load per node during the drain %s%n", drained,
                    (System.nanoTime() - start) / 1e9, drain);
            List<String> others = Bed.NODE_HOSTS.stream().filter(h -> !h.equals(hostOf(drained))).toList();
            assertSplit(sample(others, 100), 50, "the other nodes' Envoys after the drain");
        } finally {
            Bed.docker("node", "update", "--availability", "active", drained);
        }
    }
}
