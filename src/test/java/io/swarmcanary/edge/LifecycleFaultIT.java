package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Secret;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import io.swarmcanary.release.Names;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two deploys racing for one track, and the CLI killed (SIGKILL) at random points of deploy, shift, promote and
 * rollback, then re-run: after every re-run the track must be consistent, checked on the cluster and with real
 * requests through Envoy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleFaultIT {
    private static final int PORT = 10182;
    private static final int KILLS = Integer.getInteger("faults.kills", 20);
    private static final long SEED = Long.getLong("faults.seed", System.nanoTime());
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-fault-");
    private static final String EDGE = APP + "-edge";
    private static final String TRACK = APP + "-webdev";
    private static final String HOST = APP + ".webdev.test";
    /** Versions whose release was rolled back: their secrets stay for prune by design. */
    private static final Set<String> rolledBack = new HashSet<>();

    @BeforeAll
    static void anEdgeWithAStableRelease() {
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy"));
        ok(deployCli("1.0.0").run(deployArgs("1.0.0")));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    private static Cli deployCli(String version) {
        return cli().env("TOKEN", "token-of-" + version);
    }

    private static String[] deployArgs(String version) {
        return new String[] {"deploy", "--edge", EDGE, "--app", APP, "--env", "webdev", "--version", version,
                "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--domain", HOST,
                "--secret", "token=env:TOKEN", "--timeout", "2m"};
    }

    private static String[] stepArgs(String verb, String... extra) {
        List<String> args = new ArrayList<>(List.of(verb, "--edge", EDGE, "--app", APP, "--env", "webdev"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static String service(String version) {
        return TRACK + "-" + version.replace('.', '_');
    }

    @Order(1)
    @Test
    void twoDeploysOfOneTrackAtOnceLetExactlyOneProceed() throws Exception {
        for (int round = 0; round < 3; round++) {
            String a = "2.0." + (2 * round), b = "2.0." + (2 * round + 1);
            Cli.Running first = deployCli(a).start(deployArgs(a));
            Cli.Running second = deployCli(b).start(deployArgs(b));
            Cli.Result ra = first.await(), rb = second.await();
            assertThat(List.of(ra.exitCode(), rb.exitCode())).as("round %d:\n%s\n%s", round, ra, rb).containsExactlyInAnyOrder(0, 3);
            Cli.Result loser = ra.exitCode() == 3 ? ra : rb;
            String winner = ra.exitCode() == 0 ? a : b, lost = ra.exitCode() == 0 ? b : a;
            assertThat(loser.stderr()).as(loser.toString()).contains("already has a canary: " + service(winner));
            assertThat(swarm.service(service(lost))).as("the loser created nothing").isEmpty();
            assertThat(secretsOf(lost)).as("the loser created no secret").isEmpty();
            RouteTable.TrackEntry entry = entry();
            assertThat(entry.canary()).isEqualTo(service(winner));
            assertConsistent("race round " + round);
            ok(cli().run(stepArgs("rollback")));
            rolledBack.add(winner);
            assertConsistent("rollback after race round " + round);
        }
    }

    @Order(2)
    @Test
    void killedAtAnyPointAndReRunTheTrackStaysConsistent() throws Exception {
        Random random = new Random(SEED);
        System.out.println("fault injection seed " + SEED + " (re-run with -Dfaults.seed=" + SEED + ")");
        int trials = 0, killed = 0, version = 0;
        List<String> log = new ArrayList<>();
        while (killed < KILLS && trials < KILLS * 3) {
            String next = "3.0." + version++;
            // one cycle: deploy a canary, shift it, then promote or roll back; every step is killed and re-run
            List<Op> cycle = List.of(
                    new Op("deploy " + next, deployCli(next), deployArgs(next)),
                    new Op("shift 40", cli(), stepArgs("shift", "--weight", "40")),
                    random.nextBoolean()
                            ? new Op("promote", cli(), stepArgs("promote"))
                            : new Op("rollback", cli(), stepArgs("rollback")));
            for (Op op : cycle) {
                long delay = 300 + random.nextInt(7000);
                Cli.Running run = op.cli().start(op.args());
                Thread.sleep(delay);
                boolean wasRunning = run.kill();
                trials++;
                killed += wasRunning ? 1 : 0;
                Cli.Result rerun = op.cli().run(op.args());
                log.add(String.format("%-14s killed after %4d ms %s, re-run exit %d", op.name(), delay,
                        wasRunning ? "mid-run" : "(had finished)", rerun.exitCode()));
                assertThat(rerun.exitCode()).as("re-run of %s after a kill at %d ms\n%s", op.name(), delay, rerun).isZero();
                if (op.name().equals("rollback")) {
                    rolledBack.add(next);
                }
                assertConsistent(op.name() + " killed at " + delay + " ms");
            }
        }
        log.forEach(System.out::println);
        System.out.printf("fault injection: %d trials, %d killed mid-run, all re-runs converged (seed %d)%n", trials, killed, SEED);
        assertThat(killed).as("kills that hit a running CLI").isGreaterThanOrEqualTo(KILLS);
    }

    private record Op(String name, Cli cli, String[] args) {}

    private static RouteTable.TrackEntry entry() {
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            EdgeManager edges = new EdgeManager(new DockerSwarmGateway(docker), EdgeProbe.http(Bed.PROBE_HOST, Optional::empty), Clock.systemUTC(),
                    Duration.ofMinutes(1));
            return edges.require(EDGE).routes().tracks().get(TRACK);
        }
    }

    /** The content-addressed name of a version's token secret. */
    private static String secretOf(String version) {
        return swarm.secretName(APP, "webdev", "token", "token-of-" + version);
    }

    private static List<Secret> secretsOf(String version) {
        return swarm.secretsOfTrack(TRACK).stream().filter(s -> s.getSpec().getName().equals(secretOf(version))).toList();
    }

    /** The invariants of a track at rest, on the cluster and through Envoy. */
    private static void assertConsistent(String after) throws Exception {
        RouteTable.TrackEntry entry = entry();
        List<Service> services = swarm.servicesOfTrack(TRACK);
        Set<String> names = services.stream().map(s -> s.getSpec().getName()).collect(Collectors.toSet());
        assertThat(entry).as(after).isNotNull();
        assertThat(entry.stable()).as("%s: the stable release exists (%s)", after, entry).isIn(names);
        if (entry.canary() != null) {
            assertThat(entry.canary()).as("%s: the canary exists (%s)", after, entry).isIn(names);
        }
        assertThat(entry.retiring()).as("%s: retired releases are gone", after).doesNotContainAnyElementsOf(names);
        int total = names.stream().mapToInt(entry::weightOf).sum();
        assertThat(total).as("%s: weights of the live releases add up (%s)", after, entry).isEqualTo(100);
        for (String name : names) {
            assertThat(swarm.runningTasks(name)).as("%s: %s runs", after, name).hasSize(1);
        }
        // no orphans: every secret of the track is mounted by a release, unless its release was rolled back
        Set<String> mounted = services.stream()
                .flatMap(s -> s.getSpec().getTaskTemplate().getContainerSpec().getSecrets().stream())
                .map(ContainerSpecSecret::getSecretName).collect(Collectors.toSet());
        Set<String> leftForPrune = rolledBack.stream().map(LifecycleFaultIT::secretOf).collect(Collectors.toSet());
        for (Secret s : swarm.secretsOfTrack(TRACK)) {
            if (!mounted.contains(s.getSpec().getName())) {
                assertThat(leftForPrune).as("%s: secret %s is orphaned", after, s.getSpec().getName()).contains(s.getSpec().getName());
            }
        }
        // the live Envoy serves what the edge records, and only releases with weight answer
        String revision = swarm.service(EDGE).orElseThrow().getSpec().getLabels().get(EdgeManager.REVISION);
        assertThat(EdgeProbe.http(Bed.PROBE_HOST, Optional::empty).revision(PORT)).as(after).contains(revision);
        Set<String> weighted = names.stream().filter(n -> entry.weightOf(n) > 0)
                .map(n -> "version=" + n.substring(TRACK.length() + 1).replace('_', '.')).collect(Collectors.toSet());
        Map<String, Integer> counts = Traffic.sample(PORT, HOST, 40, Map.of());
        assertThat(weighted).as("%s: every answer comes from a weighted release: %s", after, counts).containsAll(counts.keySet());
    }
}
