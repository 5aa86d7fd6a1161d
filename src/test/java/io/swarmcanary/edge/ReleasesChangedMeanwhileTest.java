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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Another team removes a release between a CLI's read of the edge and its control plane's: the control plane renders
 * the labels this CLI wrote with the releases as they are then, so the routes it serves hash to another revision than
 * the one in the labels. The write is served all the same when this CLI renders those labels alike from the cluster now
 * (ManyTeamsIT once waited out its 180 s on this), and only then: a control plane of another build may render them
 * otherwise, say without a field of the route table it does not know.
 */
class ReleasesChangedMeanwhileTest {
    private static final String EDGE = "edge";
    private static final String ENVOY_ADDRESS = "10.0.1.5";
    private final FakeSwarm swarm = new FakeSwarm();
    private final Track files = new Track("files", "prod");
    private final Track other = new Track("other", "prod");
    /** Whether the control plane says which labels it rendered: one older than the field does not. */
    private volatile boolean saysLabelled = true;
    /** Whether it renders the labels as this CLI does (one of another build may not). */
    private volatile boolean rendersAlike = true;
    /** Whether the Envoy has ACKed what is served (else it still has the routes it had before). */
    private volatile boolean envoyAcks = true;
    private volatile String ackedBefore = "none";
    /** Whether it keeps the routes of its first read from now on (events it has not acted on yet). */
    private volatile boolean keepsItsRead;
    private volatile String kept;
    /** Runs after each answer is made, with how many came before it since the test began. */
    private volatile java.util.function.IntConsumer afterAnswer = n -> {};
    private final java.util.concurrent.atomic.AtomicInteger answers = new java.util.concurrent.atomic.AtomicInteger();

    /** Renders the edge's labels with the planner and the releases as they are at each read, as a control plane does. */
    private final ControlPlaneClient controlPlane = new ControlPlaneClient() {
        @Override
        public Optional<XdsStatus> status(int port) {
            EdgeManager.EdgeState state = edges.require(EDGE);
            String labelled = state.service().labels().get(EdgeManager.REVISION);
            String routes = kept != null ? kept : edges.plan(state, edges.releasesByTrack(EDGE)).revision();
            if (keepsItsRead) {
                kept = routes;
            }
            afterAnswer.accept(answers.getAndIncrement());
            if (!rendersAlike) {
                routes = "0ther" + routes.substring(5);
            }
            String acked = envoyAcks ? routes : ackedBefore;
            return Optional.of(new XdsStatus(EDGE, routes, "c1", null, List.of(new XdsStatus.Envoy(1, ENVOY_ADDRESS, EDGE,
                    "2026-12-01T00:00:00Z", acked, "c1", null)), io.swarmcanary.ProductVersion.current(), null, true, null,
                    saysLabelled ? labelled : null));
        }

        @Override
        public Optional<XdsStatus> refresh(int port) {
            return status(port);
        }
    };
    private final EdgeManager edges = new EdgeManager(swarm, port -> Optional.empty(), controlPlane, Clock.systemUTC(),
            Duration.ofSeconds(2));
    private String v1;
    private String v2;
    private String theirs;

    @BeforeEach
    void anXdsEdgeWithTwoTracks() {
        edges.restoreTimeout = Duration.ofSeconds(1);
        swarm.xdsEdge(edges, EDGE, ENVOY_ADDRESS);
        v1 = swarm.addRelease(files, "1.0.1", EDGE, "files.example.com", "edge-net");
        v2 = swarm.addRelease(files, "1.0.2", EDGE, "files.example.com", "edge-net");
        theirs = swarm.addRelease(other, "3.0.0", EDGE, "other.example.com", "edge-net"); // the older: weight 0
        swarm.addRelease(other, "3.0.1", EDGE, "other.example.com", "edge-net");
        edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAt(10), Progress.SILENT);
    }

    /** The change files' pipeline asks for, while the other team removes its old release (after this CLI's read). */
    private RouteTable.TrackEntry canaryAtWhileTheirsGoes(int weight) {
        swarm.services.remove(theirs);
        return canaryAt(weight);
    }

    @Test
    void aWriteIsServedWhenTheControlPlaneRendersItsLabelsWithTheReleasesAsTheyAreNow() {
        edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAtWhileTheirsGoes(25), Progress.SILENT);

        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(25));
        String labelled = swarm.services.get(EDGE).labels().get(EdgeManager.REVISION);
        assertThat(controlPlane.status(0).orElseThrow().routesVersion()).as("the release went after the write's read")
                .isNotEqualTo(labelled);
        EdgeManager.DeliveryStatus status = edges.deliveryStatus(edges.require(EDGE));
        assertThat(status.upToDate()).as(status.describe()).isTrue();
        assertThat(status.ackedRevision()).isEqualTo(1L);
    }

    @Test
    void aReadThatSawAReleaseTheControlPlaneNeverSawIsAskedAgainWhenTheReleasesChange() {
        // the control plane serves the labels with the releases of its read; right after it, another team creates a
        // release and removes it again before the control plane reads (a failed deploy's undo): this CLI's read in
        // between renders other routes, and a later read, with the releases as the control plane saw them, the same
        String[] transient_ = new String[1];
        afterAnswer = n -> {
            if (n == 0) {
                transient_[0] = swarm.addRelease(other, "3.0.9", EDGE, "other.example.com", "edge-net");
            } else if (n == 6) {
                swarm.services.remove(transient_[0]);
            }
        };
        answers.set(0);
        keepsItsRead = true;
        edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAtWhileTheirsGoes(25), Progress.SILENT);
        assertThat(routes().tracks().get(files.name())).isEqualTo(canaryAt(25));
        assertThat(answers.get()).as("the control plane was asked until the transient release was gone").isGreaterThan(6);
    }

    @Test
    void routesMadeFromTheLabelsButRenderedOtherwiseAreNotThisWrite() {
        RouteTable.TrackEntry kept = routes().tracks().get(files.name());
        rendersAlike = false; // a control plane of another build that drops a field of the labels, say
        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAtWhileTheirsGoes(25),
                Progress.SILENT)).hasMessageContaining("did not converge");
        assertThat(routes().tracks().get(files.name())).as("the track put back").isEqualTo(kept);
    }

    @Test
    void routesTheEnvoyHasNotAckedAreNotServedThoughMadeFromTheLabels() {
        ackedBefore = controlPlane.status(0).orElseThrow().routesVersion();
        envoyAcks = false;
        RouteTable.TrackEntry kept = routes().tracks().get(files.name());
        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAtWhileTheirsGoes(25),
                Progress.SILENT)).hasMessageContaining("did not converge");
        assertThat(routes().tracks().get(files.name())).as("the track put back").isEqualTo(kept);
    }

    @Test
    void aControlPlaneThatDoesNotSayWhichLabelsItRenderedIsWaitedForAsBefore() {
        saysLabelled = false;
        RouteTable.TrackEntry kept = routes().tracks().get(files.name());
        assertThatThrownBy(() -> edges.updateTrack(EDGE, files.name(), (current, releases) -> canaryAtWhileTheirsGoes(25),
                Progress.SILENT)).hasMessageContaining("did not converge");
        assertThat(routes().tracks().get(files.name())).as("the track put back").isEqualTo(kept);
    }

    private RouteTable.TrackEntry canaryAt(int weight) {
        return new RouteTable.TrackEntry(Map.of(v1, 100 - weight, v2, weight), v2, v1, null, List.of());
    }

    private RouteTable routes() {
        return RouteTable.fromJson(swarm.services.get(EDGE).labels().get(EdgeManager.ROUTE_TABLE));
    }
}
