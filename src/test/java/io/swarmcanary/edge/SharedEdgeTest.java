package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One edge, many teams: pipelines of different tracks write the same edge at the same time. A write changes only its
 * own track, a retry after someone else's write is normal, and no wait or restore ever undoes another track.
 */
class SharedEdgeTest {
    static final String EDGE = "edge";
    final FakeSwarm swarm = new FakeSwarm();
    final Track files = new Track("files", "prod");
    final Track pics = new Track("pics", "prod");

    /** What the live Envoy serves when files' pipeline looks at it; by default the edge's newest revision. */
    Function<String, String> filesView = current -> current;
    /** Runs once, at files' first look at the live Envoy: another pipeline acting while files waits. */
    Runnable duringFilesWait = () -> {};

    final EdgeManager pipelineOfFiles = manager(new EdgeProbe() {
        @Override
        public Optional<String> revision(int port) {
            Runnable once = duringFilesWait;
            duringFilesWait = () -> {};
            once.run();
            return Optional.of(filesView.apply(currentRevision()));
        }

        @Override
        public Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
            return Optional.of(clusters.stream().collect(Collectors.toMap(c -> c, c -> 1L)));
        }
    });
    /** Another team's pipeline, on an Envoy that serves every new revision at once. */
    final EdgeManager pipelineOfPics = manager(new EdgeProbe() {
        @Override
        public Optional<String> revision(int port) {
            return Optional.of(currentRevision());
        }

        @Override
        public Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
            return Optional.of(clusters.stream().collect(Collectors.toMap(c -> c, c -> 1L)));
        }
    });

    EdgeManager manager(EdgeProbe probe) {
        EdgeManager m = new EdgeManager(swarm, probe, Clock.systemUTC(), Duration.ofMillis(400));
        m.retryBase = Duration.ofMillis(1);
        m.restoreTimeout = Duration.ofMillis(400);
        return m;
    }

    String currentRevision() {
        return swarm.services.get(EDGE).labels().get(EdgeManager.REVISION);
    }

    RouteTable routes() {
        return RouteTable.fromJson(swarm.services.get(EDGE).labels().get(EdgeManager.ROUTE_TABLE));
    }

    String release(Track track, String version, String createdAt, String... domains) {
        String name = track.name() + "-" + version.replace('.', '_');
        Map<String, String> labels = Labels.ofTrack(track, "release");
        labels.put(Labels.VERSION, version);
        labels.put(Labels.PORT, "8080");
        labels.put(Labels.DOMAINS, String.join(",", domains));
        labels.put(Labels.EDGE, EDGE);
        swarm.createService(ServiceDefinition.replicated(name, "img", 1, labels, Map.of(), List.of(), List.of("edge-net"),
                List.of(), List.of(), null, List.of()));
        ServiceInfo s = swarm.services.get(name);
        swarm.services.put(name, new ServiceInfo(s.id(), s.name(), s.versionIndex(), s.labels(), s.image(), s.replicas(),
                s.secretNames(), s.networkIds(), createdAt));
        return name;
    }

    static EdgeManager.TrackChange to(RouteTable.TrackEntry entry) {
        return (current, releases) -> entry;
    }

    static RouteTable.TrackEntry canaryAt(String stable, String canary, int weight) {
        return new RouteTable.TrackEntry(Map.of(stable, 100 - weight, canary, weight), canary, stable, null, List.of());
    }

    String filesV1;
    String filesV2;
    String picsV1;
    String picsV2;

    @BeforeEach
    void twoTracksWithACanaryEach() {
        swarm.images.add("envoy");
        pipelineOfPics.ensure(new EdgeSettings(EDGE, "envoy", 10000, List.of("edge-net"), List.of(), null, null),
                Optional.empty(), false, Progress.SILENT);
        filesV1 = release(files, "1.0.1", "2026-01-01T00:00:00Z", "files.example.com");
        filesV2 = release(files, "1.0.2", "2026-01-02T00:00:00Z", "files.example.com");
        picsV1 = release(pics, "2.0.1", "2026-01-01T00:00:00Z", "pics.example.com");
        picsV2 = release(pics, "2.0.2", "2026-01-02T00:00:00Z", "pics.example.com");
        pipelineOfPics.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 50)), Progress.SILENT);
        pipelineOfPics.updateTrack(EDGE, pics.name(), to(canaryAt(picsV1, picsV2, 50)), Progress.SILENT);
    }

    @Test
    void aPromoteWaitingWhileAnotherTrackRollsBackKeepsThatRollback() {
        // the reproduction: pics rolls back and removes its canary while files' promote waits for the edge
        duringFilesWait = () -> new Canary(swarm, pipelineOfPics, EDGE).rollback(pics, Progress.SILENT);
        EdgeManager.Result promoted = new Canary(swarm, pipelineOfFiles, EDGE).promote(files, Progress.SILENT).edge();

        assertThat(promoted.outcome()).isEqualTo("updated");
        assertThat(swarm.services).doesNotContainKey(picsV2);
        assertThat(routes().tracks().get(pics.name()).weights()).containsExactlyEntriesOf(Map.of(picsV1, 100));
        assertThat(routes().tracks().get(files.name()).weights()).containsEntry(filesV2, 100);
        // and the config the edge serves routes nothing to the removed service
        assertThat(pipelineOfFiles.currentPlan(EDGE).yaml()).doesNotContain(picsV2).contains(picsV1);
        assertThat(currentRevision()).isEqualTo(pipelineOfFiles.currentPlan(EDGE).revision());
    }

    @Test
    void aTimedOutWaitPutsBackOnlyItsOwnTrack() {
        String before = currentRevision();
        filesView = current -> before;  // files' Envoy never gets past the revision it had
        duringFilesWait = () -> new Canary(swarm, pipelineOfPics, EDGE).rollback(pics, Progress.SILENT);

        assertThatThrownBy(() -> pipelineOfFiles.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 75)),
                Progress.SILENT)).hasMessageContaining("did not converge");

        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(filesV1, filesV2, 50));
        assertThat(routes().tracks().get(pics.name()).weights()).containsExactlyEntriesOf(Map.of(picsV1, 100));
        assertThat(pipelineOfFiles.currentPlan(EDGE).yaml()).doesNotContain(picsV2);
    }

    @Test
    void noRestoreOnceTheSameTrackWasChangedAgain() {
        filesView = current -> "never";
        RouteTable.TrackEntry later = canaryAt(filesV1, filesV2, 10);
        duringFilesWait = () -> pipelineOfPics.updateTrack(EDGE, files.name(), to(later), Progress.SILENT);

        assertThatThrownBy(() -> pipelineOfFiles.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 75)),
                Progress.SILENT)).isInstanceOf(ConflictException.class).hasMessageContaining("that later change stands");
        assertThat(routes().tracks().get(files.name())).isEqualTo(later);
    }

    @Test
    void anotherTracksWriteBetweenReadAndWriteIsReadAgainAndKept() {
        swarm.beforeUpdate = once(() -> pipelineOfPics.updateTrack(EDGE, pics.name(), to(canaryAt(picsV1, picsV2, 25)),
                Progress.SILENT));
        pipelineOfFiles.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 75)), Progress.SILENT);

        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(filesV1, filesV2, 75));
        assertThat(routes().tracks().get(pics.name())).isEqualTo(canaryAt(picsV1, picsV2, 25));
    }

    @Test
    void anotherWriterCreatingTheSameConfigAtTheSameMomentIsNoFailure() {
        // two pipelines make the same route table at once: both render the same bootstrap, so the same config name
        String[] racer = {null};
        swarm.beforeCreateConfig = (name, data, labels) -> {
            if (racer[0] == null) {
                racer[0] = name;
                swarm.createConfig(name, data, labels);
            }
        };
        EdgeManager.Result r = pipelineOfFiles.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 75)), Progress.SILENT);

        assertThat(r.outcome()).isEqualTo("updated");
        assertThat(r.config()).isEqualTo(racer[0]);
        assertThat(swarm.calls).filteredOn(c -> c.equals("createConfig " + racer[0])).hasSize(2); // the racer's, and ours refused
        assertThat(swarm.definitions.get(EDGE).configs()).extracting(ServiceDefinition.ConfigMount::configId)
                .contains(swarm.configs.get(racer[0]).id());
        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(filesV1, filesV2, 75));
    }

    @Test
    void aConfigWhoseContentIsNotWhatItsNameStandsForIsNotUsed() {
        swarm.beforeCreateConfig = (name, data, labels) -> {
            if (!swarm.configs.containsKey(name)) {
                swarm.configs.put(name, new io.swarmcanary.swarm.ConfigInfo("planted", name, labels, "other".getBytes(), null));
            }
        };
        String before = currentRevision();

        assertThatThrownBy(() -> pipelineOfFiles.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 75)),
                Progress.SILENT)).isInstanceOf(IllegalStateException.class).hasMessageContaining("other content than its name");
        assertThat(currentRevision()).isEqualTo(before);
        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(filesV1, filesV2, 50));
    }

    /** A probe that sees every write live at once, with every host healthy. */
    EdgeProbe live() {
        return new EdgeProbe() {
            @Override
            public Optional<String> revision(int port) {
                return Optional.of(currentRevision());
            }

            @Override
            public Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
                return Optional.of(clusters.stream().collect(Collectors.toMap(c -> c, c -> 1L)));
            }
        };
    }

    /** Before each of the first {@code times} writes of files, pics writes first (a new weight each time). */
    void picsWritesFirst(EdgeManager pics, int times) {
        int[] left = {times};
        boolean[] inside = {false};
        swarm.beforeUpdate = () -> {
            if (inside[0] || left[0] == 0) {
                return;
            }
            inside[0] = true;
            try {
                int weight = left[0] % 100 == 0 ? 50 : left[0] % 100; // a new weight each time, the last one 1
                left[0]--;
                pics.updateTrack(EDGE, this.pics.name(), to(canaryAt(picsV1, picsV2, weight)), Progress.SILENT);
            } finally {
                inside[0] = false;
            }
        };
    }

    @Test
    void aBusyEdgeIsWrittenAgainPastTheFirstFewAttemptsWhileTheConvergeTimeoutLasts() {
        EdgeManager files = new EdgeManager(swarm, live(), Clock.systemUTC(), Duration.ofSeconds(20));
        files.retryBase = Duration.ofMillis(1);
        picsWritesFirst(pipelineOfPics, EdgeManager.MAX_WRITE_ATTEMPTS + 4);

        files.updateTrack(EDGE, this.files.name(), to(canaryAt(filesV1, filesV2, 75)), Progress.SILENT);

        assertThat(routes().tracks().get(this.files.name())).isEqualTo(canaryAt(filesV1, filesV2, 75));
        assertThat(routes().tracks().get(pics.name())).isEqualTo(canaryAt(picsV1, picsV2, 1));
    }

    @Test
    void anEdgeThatNeverStopsChangingIsAConflictAfterABoundedNumberOfAttempts() {
        // the attempts must end it, not the clock: 20 s ran out after 44 attempts on a loaded 2-core machine
        EdgeManager files = new EdgeManager(swarm, live(), Clock.systemUTC(), Duration.ofMinutes(10));
        files.retryBase = Duration.ofMillis(1);
        RouteTable.TrackEntry before = routes().tracks().get(this.files.name());
        picsWritesFirst(pipelineOfPics, 999); // never the 50 pics starts at

        assertThatThrownBy(() -> files.updateTrack(EDGE, this.files.name(), to(canaryAt(filesV1, filesV2, 75)),
                Progress.SILENT)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("kept changing under " + EdgeManager.MAX_WRITE_ATTEMPTS_BUSY + " attempts");
        assertThat(routes().tracks().get(this.files.name())).isEqualTo(before);
    }

    @Test
    void theSameTracksWriteBetweenReadAndWriteIsAConflict() {
        swarm.beforeUpdate = once(() -> pipelineOfPics.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 5)),
                Progress.SILENT));
        assertThatThrownBy(() -> pipelineOfFiles.updateTrack(EDGE, files.name(), to(canaryAt(filesV1, filesV2, 75)),
                Progress.SILENT)).isInstanceOf(ConflictException.class).hasMessageContaining("changed by someone else meanwhile");
        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(filesV1, filesV2, 5));
    }

    @Test
    void aDomainOfAnotherTrackIsRefusedWhateverItsSpelling() {
        for (String spelling : List.of("FILES.example.com", "files.example.com.", "files.example.com:8443")) {
            assertThatThrownBy(() -> pipelineOfPics.requireDomainsFree(EDGE, "shop-prod",
                    List.of(io.swarmcanary.release.DomainNames.normalize(spelling))))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("already routed to track files-prod");
        }
    }

    @Test
    void aReleaseTheEdgeCouldNotRouteIsRefusedBeforeAnythingIsCreated() {
        Map<String, String> labels = Labels.ofTrack(new Track("shop", "prod"), "release");
        labels.put(Labels.VERSION, "1.0.0");
        labels.put(Labels.PORT, "8080");
        labels.put(Labels.DOMAINS, "swarm-canary-stats");
        ServiceInfo shop = new ServiceInfo("", "shop-prod-1_0_0", 0, labels, "img", 1, List.of(), List.of(), "2026-02-01T00:00:00Z");
        int calls = swarm.calls.size();
        assertThatThrownBy(() -> pipelineOfPics.requireRoutable(EDGE, "shop-prod", shop))
                .isInstanceOf(UserInputException.class).hasMessageContaining("reserved").hasMessageContaining("Nothing was created");
        assertThat(swarm.calls).hasSize(calls);
    }

    @Test
    void aTrackThatCannotBeRoutedIsLeftOutAndEveryOtherTrackIsServed() {
        // a release that got past the checks (an older CLI): it claims files' domain later than files did
        String poisoned = release(new Track("shop", "prod"), "1.0.0", "2026-03-01T00:00:00Z", "files.example.com");
        EdgeManager.Plan plan = pipelineOfPics.currentPlan(EDGE);
        assertThat(plan.unrouted()).containsOnlyKeys("shop-prod");
        assertThat(plan.unrouted().get("shop-prod")).contains("routed to track files-prod, which had it first");
        assertThat(plan.yaml()).doesNotContain(poisoned).contains(filesV2).contains(picsV2);

        pipelineOfPics.updateTrack(EDGE, pics.name(), to(canaryAt(picsV1, picsV2, 75)), Progress.SILENT);
        assertThat(routes().tracks().get(pics.name())).isEqualTo(canaryAt(picsV1, picsV2, 75));
        // and the broken track itself is told why, with nothing changed
        assertThatThrownBy(() -> pipelineOfPics.updateTrack(EDGE, "shop-prod",
                to(new RouteTable.TrackEntry(Map.of(poisoned, 100), null)), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("cannot route track shop-prod");
    }

    @Test
    void overXdsARetiredReleaseKeepsItsClusterAtWeightZeroUntilItsServiceIsGone() {
        // make before break: Envoy may apply the routes and the clusters in either order
        RouteTable.TrackEntry rolledBack = new RouteTable.TrackEntry(Map.of(picsV1, 100), null, picsV1, null, List.of(picsV2));
        RouteTable routes = routes().with(pics.name(), rolledBack);
        EdgeSettings redeploy = pipelineOfPics.require(EDGE).settings();
        EdgeSettings xds = redeploy.withDelivery(EdgeSettings.XDS, new EdgeSettings.Xds("cli"));
        var releases = pipelineOfPics.releasesByTrack(EDGE);
        EdgeManager.Plan xdsPlan = pipelineOfPics.plan(xds, routes, Optional.empty(), releases);
        var overXds = xdsPlan.edgeRoutes().tracks().stream()
                .filter(t -> t.name().equals(pics.name())).findFirst().orElseThrow();
        assertThat(overXds.releases()).extracting(r -> r.service() + "=" + r.weight())
                .containsExactlyInAnyOrder(picsV1 + "=100", picsV2 + "=0");
        // yet the weights a command reports are the track's: the retired release is not among them
        assertThat(EdgeManager.weightsByVersion(xdsPlan).get(pics.name())).containsOnlyKeys("2.0.1");
        // a redeploy edge swaps its whole config at once: the retired release is simply gone
        var overRedeploy = pipelineOfPics.plan(redeploy, routes, Optional.empty(), releases).edgeRoutes().tracks().stream()
                .filter(t -> t.name().equals(pics.name())).findFirst().orElseThrow();
        assertThat(overRedeploy.releases()).extracting(r -> r.service()).containsExactly(picsV1);
    }

    static Runnable once(Runnable action) {
        boolean[] done = {false};
        return () -> {
            if (!done[0]) {
                done[0] = true;
                action.run();
            }
        };
    }
}
