package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.testing.FakeSwarm;
import io.swarmcanary.xds.ControlPlaneClient;
import io.swarmcanary.xds.XdsStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Between two looks of a wait, xds asks the control plane to answer when its status differs from the one the last look
 * saw (its tag); a control plane that does not tag its status (older) is polled as before.
 */
class XdsDeliveryWaitTest {
    private static final EdgeSettings XDS_EDGE = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(),
            null, EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest"));
    private static final List<TaskInfo> RUNNING = List.of(new TaskInfo("task-a", 0, "n1", "running", "running", "started",
            null, "c-a", "2026-11-29T00:00:00Z", List.of("10.0.1.5")));
    private static final XdsStatus BEHIND = new XdsStatus("envoy", "rev-new", "c1", null,
            List.of(new XdsStatus.Envoy(1, "10.0.1.5", "envoy", "2026-11-29T00:00:00Z", "rev-old", "c1", null)));

    /** What the wait asked: the tag it sent and how long it let the control plane hold the answer. */
    private record Asked(String seen, Duration held) {}

    private final List<Asked> asked = new CopyOnWriteArrayList<>();

    private XdsDelivery delivery(boolean tags) {
        return delivery(tags, true);
    }

    /** @param changes whether a held request comes back with another tag (else the same one, at once) */
    private XdsDelivery delivery(boolean tags, boolean changes) {
        ControlPlaneClient client = new ControlPlaneClient() {
            @Override public Optional<XdsStatus> status(int port) { return Optional.of(BEHIND); }
            @Override public Optional<XdsStatus> refresh(int port) { return Optional.of(BEHIND); }

            @Override
            public Optional<Tagged> status(int port, String seen, Duration wait) {
                asked.add(new Asked(seen, wait));
                if (!tags) {
                    return Optional.of(new Tagged(BEHIND, null));
                }
                // a held request comes back changed (an Envoy ACKed meanwhile): another tag
                return Optional.of(new Tagged(BEHIND, seen == null ? "\"t1\"" : changes ? "\"t2\"" : seen));
            }
        };
        return new XdsDelivery(new FakeSwarm(), client);
    }

    @Test
    void theWaitAfterALookAsksToBeToldOfAChangeAndGoesOnAtOnceWhenTold() {
        XdsDelivery xds = delivery(true);
        assertThat(xds.look(XDS_EDGE, "rev-new", RUNNING).served()).isFalse();
        assertThat(asked).containsExactly(new Asked(null, Duration.ZERO)); // the look itself is not held

        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMinutes(1));
        assertThat(asked).last().isEqualTo(new Asked("\"t1\"", XdsDelivery.CHANGE_WAIT));

        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMinutes(1)); // the tag of the answer that said a change is the next one sent
        assertThat(asked).last().isEqualTo(new Asked("\"t2\"", XdsDelivery.CHANGE_WAIT));
    }

    @Test
    void theWaitAfterARefreshAsksForAChangeFromTheRefreshsAnswer() {
        // the control plane still serves an older revision: the look asks it to read now; the status after that read
        // (its routes the new revision, the Envoy not yet ACKed) is what the wait is told of a change from
        XdsStatus older = new XdsStatus("envoy", "rev-older", "c1", null, BEHIND.envoys());
        ControlPlaneClient client = new ControlPlaneClient() {
            @Override public Optional<XdsStatus> status(int port) { return Optional.of(older); }
            @Override public Optional<XdsStatus> refresh(int port) { throw new AssertionError("the tagged refresh is used"); }
            @Override
            public Optional<Tagged> refreshTagged(int port, String wantedRoutes) {
                assertThat(wantedRoutes).as("the routes the wait is for").isEqualTo("rev-new");
                return Optional.of(new Tagged(BEHIND, "\"r1\""));
            }

            @Override
            public Optional<Tagged> status(int port, String seen, Duration wait) {
                asked.add(new Asked(seen, wait));
                return Optional.of(seen == null ? new Tagged(older, "\"t0\"") : new Tagged(BEHIND, "\"r2\""));
            }
        };
        XdsDelivery xds = new XdsDelivery(new FakeSwarm(), client);
        assertThat(xds.look(XDS_EDGE, "rev-new", RUNNING).served()).isFalse();
        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMinutes(1));
        assertThat(asked).last().isEqualTo(new Asked("\"r1\"", XdsDelivery.CHANGE_WAIT));
    }

    @Test
    void aControlPlaneThatDoesNotTagItsStatusIsPolled() {
        XdsDelivery xds = delivery(false);
        xds.look(XDS_EDGE, "rev-new", RUNNING);
        long start = System.nanoTime();
        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMinutes(1));
        assertThat(asked).as("nothing to wait on: no held request").containsExactly(new Asked(null, Duration.ZERO));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(xds.pollMillis() - 5));
    }

    @Test
    void anAnswerThatComesBackAtOnceUnchangedIsNotAskedAgainAtOnce() {
        // a control plane whose waiting slots are taken, or a proxy that drops the headers: no busy loop
        XdsDelivery xds = delivery(true, false);
        xds.look(XDS_EDGE, "rev-new", RUNNING);
        long start = System.nanoTime();
        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMinutes(1));
        assertThat(asked).last().isEqualTo(new Asked("\"t1\"", XdsDelivery.CHANGE_WAIT));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(xds.pollMillis() - 5));
    }

    @Test
    void theWaitNeverOutlastsTheTimeLeft() {
        XdsDelivery xds = delivery(true, false);
        xds.look(XDS_EDGE, "rev-new", RUNNING);
        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMillis(400));
        assertThat(asked).as("less than a second left: no held request").hasSize(1);
        long start = System.nanoTime();
        xds.awaitChange(XDS_EDGE, RUNNING, Duration.ofMillis(20));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(xds.pollMillis()));
    }
}
