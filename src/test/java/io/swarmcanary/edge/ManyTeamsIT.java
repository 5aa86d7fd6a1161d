package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.release.Deployer;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import io.swarmcanary.xds.ControlPlaneClient;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many teams on one edge, on the real swarm and the real Envoy (delivery xds): six pipelines on six tracks, started
 * together, each running deploy, shift, promote or rollback for ten rounds with random pauses, under load on every
 * track. Every pipeline ends as its own steps say, the final route table is the union of their end states, and no
 * request fails. Then a deploy with another track's domain (other spelling) or a reserved host is refused with nothing
 * created, and the other tracks still shift.
 */
class ManyTeamsIT {
    static {
        // before any java.net.http class reads it: the load plays clients of six virtual hosts on one port
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final int PORT = 10172;
    private static final int STATUS_PORT = 10173;
    private static final int TRACKS = 6;
    private static final int ROUNDS = Integer.getInteger("manyTeams.rounds", 10);
    private static final TestSwarm swarm = new TestSwarm();
    private static final String PREFIX = TestSwarm.uniqueApp("sctest-teams-");
    private static final String EDGE = PREFIX + "-edge";
    private static final String IMAGE = PREFIX + "-cli:latest";

    @BeforeAll
    static void oneXdsEdge() throws Exception {
        String controlPlaneImage = Bed.cliImage(IMAGE);
        Cli.Result ensure = cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--delivery", "xds", "--control-plane-image", controlPlaneImage, "--xds-status-port", String.valueOf(STATUS_PORT),
                "--probe-host", Bed.PROBE_HOST);
        assertThat(ensure.exitCode()).as(ensure.toString()).isZero();
    }

    /** The control plane's own log (docker service logs), its last 200 lines. */
    private static String controlPlaneLog() {
        try {
            Process p = new ProcessBuilder("docker", "service", "logs", "--raw", "--tail", "200", EDGE + "-xds")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(1, TimeUnit.MINUTES);
            return out;
        } catch (Exception e) {
            return "(could not read it: " + e + ")";
        }
    }

    @AfterAll
    static void cleanUp() {
        for (int t = 0; t < TRACKS; t++) {
            swarm.removeTrack(app(t) + "-prod");
        }
        swarm.removeTrack("shop" + PREFIX.substring(PREFIX.length() - 6) + "-prod");
        swarm.removeEdge(EDGE); // and its control plane, and their networks
        Bed.removeCliImage(IMAGE);
        swarm.close();
    }

    static String app(int t) {
        return PREFIX + "-t" + t;
    }

    static String host(int t) {
        return app(t) + ".example.test";
    }

    /** One team's pipeline: its own connection, gateway and edge manager, as a separate CLI process would have. */
    record Pipeline(Track track, Canary canary, EdgeManager edges, Deployer deployer, DockerConnection docker) {
        static Pipeline of(int t) {
            DockerConnection docker = DockerConnection.fromEnvironment();
            DockerSwarmGateway gateway = new DockerSwarmGateway(docker);
            EdgeManager edges = new EdgeManager(gateway, EdgeProbe.http(Bed.PROBE_HOST, gateway), ControlPlaneClient.throughEdge(Bed.PROBE_HOST, EdgeKey.statsTokens(gateway)),
                    Clock.systemUTC(), Duration.ofMinutes(3));
            return new Pipeline(new Track(app(t), "prod"), new Canary(gateway, edges, EDGE), edges,
                    new Deployer(gateway, Clock.systemUTC(), Map.of()), docker);
        }

        Canary.Deployed deploy(int version, Progress progress) {
            ReleaseRequest request = new ReleaseRequest(track, "1.0." + version, TestSwarm.TESTAPP, 1, 80,
                    List.of(track.app() + ".example.test"), List.of(), List.of(),
                    List.of("APP_VERSION=1.0." + version), null, null, List.of(), Duration.ofMinutes(3), true, EDGE);
            return canary.deploy(request, deployer, false, progress);
        }
    }

    @Test
    void sixPipelinesOnSixTracksNeverUndoEachOther() throws Exception {
        AtomicBoolean loading = new AtomicBoolean(true);
        Map<Integer, AtomicLong> sent = new ConcurrentHashMap<>();
        Map<Integer, AtomicLong> failed = new ConcurrentHashMap<>();
        Map<Integer, List<String>> failures = new ConcurrentHashMap<>();
        Map<Integer, String> expectedStable = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(2 * TRACKS + 1);
        long started = System.nanoTime();
        try {
            // every track's first release, one after the other: the load starts once each track is routed
            for (int t = 0; t < TRACKS; t++) {
                Pipeline.of(t).deploy(0, Progress.SILENT);
                expectedStable.put(t, "1.0.0");
            }
            List<Future<?>> load = new ArrayList<>();
            for (int t = 0; t < TRACKS; t++) {
                int track = t;
                sent.put(t, new AtomicLong());
                failed.put(t, new AtomicLong());
                failures.put(t, java.util.Collections.synchronizedList(new ArrayList<>()));
                load.add(pool.submit(() -> {
                    while (loading.get()) {
                        sent.get(track).incrementAndGet();
                        String outcome;
                        try {
                            HttpResponse<String> r = Traffic.get(PORT, host(track), Map.of());
                            outcome = r.statusCode() == 200 ? null : r.statusCode() + " " + r.headers().firstValue("x-envoy-upstream-service-time").orElse("");
                        } catch (Exception e) {
                            outcome = e.getClass().getSimpleName();
                        }
                        if (outcome != null) {
                            failed.get(track).incrementAndGet();
                            failures.get(track).add(java.time.Instant.now() + " " + outcome);
                        }
                        TestSwarm.sleep(40);
                    }
                    return null;
                }));
            }
            List<Future<String>> pipelines = new ArrayList<>();
            for (int t = 0; t < TRACKS; t++) {
                int track = t;
                pipelines.add(pool.submit(() -> {
                    Pipeline p = Pipeline.of(track);
                    Random random = new Random(track);
                    Progress progress = prefixed("[" + p.track().name() + "] ");
                    StringBuilder log = new StringBuilder();
                    for (int round = 1; round <= ROUNDS; round++) {
                        p.deploy(round, progress);
                        TestSwarm.sleep(random.nextInt(1500));
                        new EdgeManagerShift(p).shift(25 + random.nextInt(50), progress);
                        TestSwarm.sleep(random.nextInt(1500));
                        if (random.nextBoolean()) {
                            p.canary().promote(p.track(), progress);
                            expectedStable.put(track, "1.0." + round);
                            log.append('P');
                        } else {
                            p.canary().rollback(p.track(), progress);
                            log.append('R');
                        }
                        removeOldReleases(p);
                    }
                    p.docker().close();
                    return log.toString();
                }));
            }
            try {
                for (int t = 0; t < TRACKS; t++) {
                    System.out.println("pipeline " + app(t) + ": " + pipelines.get(t).get(30, TimeUnit.MINUTES)
                            + " (P promote, R rollback)");
                }
            } catch (java.util.concurrent.ExecutionException pipelineFailed) {
                // what the control plane served and logged, before the clean-up removes it: the failure's other half
                System.out.println("control plane log of " + EDGE + "-xds:\n" + controlPlaneLog());
                throw pipelineFailed;
            }
            TestSwarm.sleep(2000); // the load goes on a little after the last step
        } finally {
            loading.set(false);
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
        System.out.printf("%d pipelines x %d rounds in %ds%n", TRACKS, ROUNDS, (System.nanoTime() - started) / 1_000_000_000L);

        // the union of every pipeline's end state, in the route table and in what the live Envoy answers
        Pipeline reader = Pipeline.of(0);
        DockerSwarmGateway readerGateway = new DockerSwarmGateway(reader.docker());
        EdgeManager edges = new EdgeManager(readerGateway, EdgeProbe.http(Bed.PROBE_HOST, readerGateway),
                ControlPlaneClient.throughEdge(Bed.PROBE_HOST, EdgeKey.statsTokens(readerGateway)), Clock.systemUTC(), Duration.ofMinutes(1));
        RouteTable table = edges.require(EDGE).routes();
        Map<String, List<ServiceInfo>> releases = edges.releasesByTrack(EDGE);
        for (int t = 0; t < TRACKS; t++) {
            String track = app(t) + "-prod";
            RouteTable.TrackEntry entry = table.tracks().get(track);
            String stableService = track + "-" + expectedStable.get(t).replace('.', '_');
            assertThat(entry.canary()).as(track).isNull();
            assertThat(EdgeManager.effectiveWeights(Lifecycle.live(entry, releases.get(track)), entry))
                    .as(track).containsEntry(stableService, 100);
            assertThat(Traffic.sample(PORT, host(t), 20, Map.of())).as(track)
                    .containsOnlyKeys("version=" + expectedStable.get(t));
        }
        for (int t = 0; t < TRACKS; t++) {
            System.out.printf("track %s: %d requests, %d failed %s%n", app(t), sent.get(t).get(), failed.get(t).get(),
                    failures.get(t).stream().limit(5).toList());
        }
        if (failed.values().stream().mapToLong(AtomicLong::get).sum() > 0) { // Envoy's access log says why (flags, upstream)
            Process logs = new ProcessBuilder("docker", "service", "logs", "--raw", "--timestamps", EDGE).redirectErrorStream(true).start();
            new String(logs.getInputStream().readAllBytes()).lines().filter(l -> !l.contains("\" 200 "))
                    .filter(l -> l.contains("\" 5")).limit(20).forEach(l -> System.out.println("envoy: " + l));
        }
        for (int t = 0; t < TRACKS; t++) {
            assertThat(sent.get(t).get()).as("requests sent to " + app(t)).isGreaterThan(100);
            assertThat(failed.get(t).get()).as("failed requests of " + app(t) + ": " + failures.get(t)).isZero();
        }

        // poisoned domains: refused before anything is created, and every other track still shifts
        String shop = "shop" + PREFIX.substring(PREFIX.length() - 6);
        for (String domain : List.of(host(0).toUpperCase(), host(0) + ".", host(0) + ":" + PORT, "swarm-canary-stats", "PROXY_TEST")) {
            Cli.Result refused = cli().run("deploy", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", shop, "--env", "prod",
                    "--version", "1", "--image", TestSwarm.TESTAPP, "--domain", domain);
            assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
            assertThat(refused.stderr()).contains("Nothing was");
            assertThat(swarm.servicesOfTrack(shop + "-prod")).as(domain).isEmpty();
            assertThat(swarm.secretsOfTrack(shop + "-prod")).as(domain).isEmpty();
        }
        Pipeline other = Pipeline.of(1);
        other.deploy(ROUNDS + 1, Progress.SILENT);
        new EdgeManagerShift(other).shift(50, Progress.SILENT);
        Map<String, Integer> split = Traffic.sample(PORT, host(1), 40, Map.of());
        assertThat(split).containsOnlyKeys("version=" + expectedStable.get(1), "version=1.0." + (ROUNDS + 1));
        other.canary().rollback(other.track(), Progress.SILENT);
        other.docker().close();
        reader.docker().close();
    }

    /** What `shift --weight W` does: the track's canary to W, its stable to the rest. */
    record EdgeManagerShift(Pipeline p) {
        void shift(int weight, Progress progress) {
            p.edges().updateTrack(EDGE, p.track().name(),
                    (current, releases) -> TrafficShift.entry(p.track(), releases, current, weight, null), progress);
        }
    }

    /** What a scheduled prune does between rounds: releases neither stable, canary nor rollback target go. */
    private static void removeOldReleases(Pipeline p) {
        Lifecycle.Phase phase = p.canary().phase(p.track());
        for (var service : swarm.servicesOfTrack(p.track().name())) {
            String name = service.getSpec().getName();
            if (!name.equals(phase.stable()) && !name.equals(phase.canary()) && !name.equals(phase.previous())) {
                try {
                    swarm.docker.removeServiceCmd(service.getId()).exec();
                } catch (RuntimeException gone) {
                    // removed by the rollback meanwhile
                }
            }
        }
    }

    private static Progress prefixed(String prefix) {
        PrintStream out = System.out;
        return new Progress() {
            @Override
            public void info(String line) {
                out.println(java.time.Instant.now() + " " + prefix + line);
            }

            @Override
            public void waiting(String status) {}

            @Override
            public void done() {}
        };
    }
}
