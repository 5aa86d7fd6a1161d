package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.testing.FakeSwarm;
import io.swarmcanary.xds.ControlPlaneClient;
import io.swarmcanary.xds.XdsStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A control plane that refuses the config a CLI wrote (a CLI and a control plane of different builds disagree): the CLI
 * fails at once with the control plane's reason and puts its own change back, so the edge serves again for every team
 * instead of staying refused while the CLI waits out its timeout.
 */
class ControlPlaneRefusalTest {
    private static final String EDGE = "edge";
    private static final String ENVOY_ADDRESS = "10.0.1.5";
    private final FakeSwarm swarm = new FakeSwarm();
    private final Track files = new Track("files", "prod");
    /** The revisions the fake control plane serves; any other it refuses, while {@link #refusing} is set. */
    private final Set<String> servable = ConcurrentHashMap.newKeySet();
    private volatile boolean refusing;
    /** A refused revision the status names while it serves the edge's (a refusal not of this write). */
    private volatile String otherRefusal;
    /** Runs once, before the control plane's next answer: another writer acting meanwhile. */
    private volatile Runnable beforeLook = () -> {};
    /** Runs before every answer, with how many came before it. */
    private volatile java.util.function.IntConsumer onLook = n -> {};
    private final java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
    /** Set: once it has refused a revision, the control plane serves no other (it answers, but stays on none). */
    private volatile boolean stuckAfterRefusal;
    private volatile String refusedOnce;
    /** The swarm-canary version the control plane runs. */
    private volatile String version = io.swarmcanary.ProductVersion.current();

    /** A control plane as the status endpoint shows it: it serves the edge's revision, or refuses it and keeps the last. */
    private final ControlPlaneClient controlPlane = new ControlPlaneClient() {
        private volatile String served;

        @Override
        public Optional<XdsStatus> status(int port) {
            Runnable once = beforeLook;
            beforeLook = () -> {};
            once.run();
            onLook.accept(looks.getAndIncrement());
            String wanted = swarm.services.get(EDGE).labels().get(EdgeManager.REVISION);
            if (refusedOnce != null && !wanted.equals(refusedOnce)) {
                return Optional.of(status("000000000000", null, null));
            }
            if (refusing && !servable.contains(wanted)) {
                refusedOnce = stuckAfterRefusal ? wanted : null;
                return Optional.of(status(served, "the generated Envoy config is invalid: cluster name repeated", wanted));
            }
            servable.add(wanted);
            served = wanted;
            return Optional.of(status(wanted, otherRefusal == null ? null : "refused earlier", otherRefusal));
        }

        @Override
        public Optional<XdsStatus> refresh(int port) {
            return status(port);
        }

        private XdsStatus status(String routes, String readError, String refused) {
            return new XdsStatus(EDGE, routes, "c1", readError, List.of(new XdsStatus.Envoy(1, ENVOY_ADDRESS, EDGE,
                    "2026-12-01T00:00:00Z", routes, "c1", null)), version, null, true, refused);
        }
    };
    private final EdgeManager edges = new EdgeManager(swarm, port -> Optional.empty(), controlPlane, Clock.systemUTC(),
            Duration.ofSeconds(20));
    private String v1;
    private String v2;

    @BeforeEach
    void anXdsEdgeWithACanary() {
        swarm.xdsEdge(edges, EDGE, ENVOY_ADDRESS);
        v1 = release("1.0.1");
        v2 = release("1.0.2");
        edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(25), Progress.SILENT);
    }

    @Test
    void aWriteTheControlPlaneRefusesFailsAtOnceWithItsReasonAndPutsItsTrackBack() {
        String before = revision();
        RouteTable.TrackEntry kept = routes().tracks().get(files.name());
        refusing = true;

        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), Progress.SILENT))
                .hasMessageContaining("the control plane of edge " + EDGE + " refuses revision")
                .hasMessageContaining("cluster name repeated")
                .hasMessageNotContaining("did not converge");

        assertThat(routes().tracks().get(files.name())).as("the track as it was").isEqualTo(kept);
        assertThat(revision()).as("the edge is back on the revision its control plane serves").isEqualTo(before);
    }

    @Test
    void aFailureToPutBackIsReportedAndAttachedButTheWritesOwnFailureIsTheOneThrown() {
        refusing = true;
        // while files waits, a later writer leaves labels this CLI cannot read: putting files' change back fails
        beforeLook = () -> {
            Map<String, String> labels = new java.util.HashMap<>(swarm.services.get(EDGE).labels());
            labels.put(EdgeManager.ROUTE_TABLE, "{\"files-prod\": [");
            relabel(labels);
        };
        List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        Progress progress = new Progress() {
            @Override public void info(String line) { said.add(line); }
            @Override public void waiting(String status) {}
            @Override public void done() {}
        };

        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), progress))
                .isNotInstanceOf(EdgeManager.UnreadableLabels.class)
                .hasMessageContaining("the control plane of edge " + EDGE + " refuses revision")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessageStartingWith("could not put back the previous state of track "
                                + files.name() + " (the edge may still hold this change): "))
                        .extracting(Throwable::getCause).isInstanceOf(EdgeManager.UnreadableLabels.class));
        assertThat(said).anySatisfy(line -> assertThat(line)
                .startsWith("could not put back the previous state of track " + files.name() + " (the edge may still hold"
                        + " this change): ")
                .contains("route table label does not parse").contains("check 'swarm-canary status --edge " + EDGE + "'"));
    }

    @Test
    void aChangePutBackButNotLiveYetIsNamedWithTheWritesOwnFailure() {
        refusing = true;
        stuckAfterRefusal = true; // the control plane refuses this write, then serves nothing new: the way back is not seen live
        edges.restoreTimeout = Duration.ofSeconds(1);

        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), Progress.SILENT))
                .hasMessageContaining("the control plane of edge " + EDGE + " refuses revision")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement().satisfies(s -> assertThat(s)
                        .hasMessageStartingWith("the previous state of track " + files.name() + " was put back (revision ")
                        .hasMessageContaining("but is not live yet")
                        .hasMessageEndingWith("check 'swarm-canary status --edge " + EDGE + "'")));
    }

    @Test
    void aRefusalOfAnotherRevisionIsNotThisWrites() {
        otherRefusal = "0123456789ab"; // a revision other than this write's, named as refused
        edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), Progress.SILENT);
        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(50));

        // status names it, apart from a read that failed
        EdgeManager.DeliveryStatus status = edges.deliveryStatus(edges.require(EDGE));
        assertThat(status.refusedRevision()).isEqualTo(otherRefusal);
        assertThat(status.describe()).contains("it refuses revision 0123456789ab: refused earlier")
                .doesNotContain("cannot read the edge").doesNotContain("the edge's: every Envoy keeps");
    }

    @Test
    void aRefusalNamingABlankRevisionIsShownAsAReadThatFailed() {
        otherRefusal = ""; // a control plane of an earlier build, of labels with a blank revision
        EdgeManager.DeliveryStatus status = edges.deliveryStatus(edges.require(EDGE));
        assertThat(status.describe()).contains("; cannot read the edge: refused earlier").doesNotContain("refuses revision");
    }

    @Test
    void statusSaysWhenTheEdgesOwnRevisionIsRefused() {
        refusing = true;
        String refused = "feedfeedfeed";
        Map<String, String> labels = new java.util.HashMap<>(swarm.services.get(EDGE).labels());
        labels.put(EdgeManager.REVISION, refused); // written by a CLI of another build, say
        relabel(labels);
        EdgeManager.DeliveryStatus status = edges.deliveryStatus(edges.require(EDGE));
        assertThat(status.refusedRevision()).isEqualTo(refused);
        assertThat(status.upToDate()).isFalse();
        assertThat(status.describe()).contains("it refuses revision " + refused + " (the edge's: every Envoy keeps the last"
                + " config served until a write fixes it): the generated Envoy config is invalid: cluster name repeated");
    }

    @Test
    void aRefusedLaterRevisionThatKeepsThisWritesChangeFailsThisWriteTooAndPutsItBack() {
        RouteTable.TrackEntry kept = routes().tracks().get(files.name());
        refusing = true;
        // while files waits, another writer's revision lands on top of files' (it keeps files' change): the control plane
        // reads that one first and refuses it, so files' own revision is never the one named
        beforeLook = this::laterRevisionLands;

        edges.laterRefusalGrace = Duration.ofMillis(300);
        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), Progress.SILENT))
                .hasMessageContaining("refuses revision later0000000")
                .hasMessageContaining("a later write's revision later0000000, which keeps")
                .hasMessageNotContaining("did not converge");
        assertThat(routes().tracks().get(files.name())).as("files' change put back").isEqualTo(kept);
    }

    @Test
    void aRefusedLaterRevisionWhoseWriterPutsItBackInTimeLeavesThisWriteServed() {
        refusing = true;
        Map<String, String>[] ours = new Map[1];
        beforeLook = () -> {
            ours[0] = laterRevisionLands();
            servable.add(ours[0].get(EdgeManager.REVISION)); // this write's own revision is fine
        };
        onLook = n -> {
            if (n == 3) {
                relabel(ours[0]); // the later writer failed at once and put its own change back
            }
        };

        edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), Progress.SILENT);
        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(50));
    }

    @Test
    void aTrackWriteRefusedByAControlPlaneOfAnotherVersionFailsAtOnceAndSaysSo() {
        RouteTable.TrackEntry kept = routes().tracks().get(files.name());
        refusing = true;
        version = "0.0.1";
        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(50), Progress.SILENT))
                .hasMessageContaining("refuses revision").hasMessageContaining("the control plane runs swarm-canary 0.0.1")
                .hasMessageNotContaining("did not converge");
        assertThat(routes().tracks().get(files.name())).isEqualTo(kept);
    }

    @Test
    void anEnsureWaitsForTheNewControlPlaneWhenOneOfAnotherVersionRefusesItsRevision() {
        refusing = true;
        version = "0.0.1"; // the control plane this ensure may be replacing
        EdgeManager briefly = new EdgeManager(swarm, port -> Optional.empty(), controlPlane, Clock.systemUTC(),
                Duration.ofSeconds(2));
        briefly.restoreTimeout = Duration.ofSeconds(1);
        EdgeSettings forcing = new EdgeSettings(EDGE, "envoy", 10000, List.of("edge-net"), List.of(), null, EdgeSettings.XDS,
                new EdgeSettings.Xds("cli")).withForceCanary(true);
        assertThatThrownBy(() -> briefly.ensure(forcing, Optional.empty(), false, Progress.SILENT))
                .hasMessageContaining("did not converge").hasMessageContaining("which this change may be replacing");
    }

    @Test
    void labelsThatDoNotParseAreUnreadableWithTheRevisionNextToThem() {
        Map<String, String> labels = new java.util.HashMap<>(swarm.services.get(EDGE).labels());
        labels.put(EdgeManager.ROUTE_TABLE, "{\"files-prod\": [");
        labels.put(EdgeManager.REVISION, "feedfeedfeed");
        relabel(labels);
        // what the control plane refuses by that revision (XdsEdgeIT: the real one)
        assertThatThrownBy(() -> edges.require(EDGE)).isInstanceOf(EdgeManager.UnreadableLabels.class)
                .hasMessageContaining("the edge's route table label does not parse")
                .satisfies(e -> assertThat(((EdgeManager.UnreadableLabels) e).revision()).isEqualTo("feedfeedfeed"));
    }

    /** Another writer's revision (later0000000) lands on the edge on top of this write's; the labels before it. */
    private Map<String, String> laterRevisionLands() {
        Map<String, String> before = swarm.services.get(EDGE).labels();
        Map<String, String> labels = new java.util.HashMap<>(before);
        labels.put(EdgeManager.REVISION, "later0000000");
        relabel(labels);
        return before;
    }

    private void relabel(Map<String, String> labels) {
        swarm.relabel(EDGE, labels);
    }

    private RouteTable.TrackEntry canaryAt(int weight) {
        return new RouteTable.TrackEntry(Map.of(v1, 100 - weight, v2, weight), v2, v1, null, List.of());
    }

    private String release(String version) {
        return swarm.addRelease(files, version, EDGE, "files.example.com", "edge-net");
    }

    private String revision() {
        return swarm.services.get(EDGE).labels().get(EdgeManager.REVISION);
    }

    private RouteTable routes() {
        return RouteTable.fromJson(swarm.services.get(EDGE).labels().get(EdgeManager.ROUTE_TABLE));
    }
}
