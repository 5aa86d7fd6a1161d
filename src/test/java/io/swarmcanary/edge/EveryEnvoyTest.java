package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.testing.FakeSwarm;
import io.swarmcanary.xds.ControlPlaneClient;
import io.swarmcanary.xds.XdsStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** "The live Envoy has the new config" means every Envoy task, each checked on its own (#18). */
class EveryEnvoyTest {
    private static final String NEW = "rev-new";
    private static final String OLD = "rev-old";

    private static TaskInfo envoyTask(String id, String node, String... addresses) {
        return new TaskInfo(id, 0, node, "running", "running", "started", null, "c-" + id, "2026-11-29T00:00:00Z",
                List.of(addresses));
    }

    // ---- xds: each task's own stream must have ACKed

    private static XdsStatus.Envoy stream(long id, String address, String routes) {
        return new XdsStatus.Envoy(id, address, "envoy", "2026-11-29T00:00:00Z", routes, "clusters-1", null);
    }

    private static final EdgeSettings XDS_EDGE = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(),
            null, EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest"));

    private static XdsDelivery xds(XdsStatus.Envoy... streams) {
        XdsStatus status = new XdsStatus("envoy", NEW, "clusters-1", null, List.of(streams));
        ControlPlaneClient client = new ControlPlaneClient() {
            @Override public Optional<XdsStatus> status(int port) { return Optional.of(status); }
            @Override public Optional<XdsStatus> refresh(int port) { return Optional.of(status); }
        };
        return new XdsDelivery(new FakeSwarm(), client);
    }

    private static Delivery.Look xdsLook(List<TaskInfo> running, XdsStatus.Envoy... streams) {
        return xds(streams).look(XDS_EDGE, NEW, running);
    }

    private static EdgeManager.DeliveryStatus xdsStatus(List<TaskInfo> running, XdsStatus.Envoy... streams) {
        ServiceInfo edge = new ServiceInfo("edge-id", "envoy", 7, Map.of(EdgeManager.REVISION, NEW), "envoy:1", 0,
                List.of(), List.of(), null);
        return xds(streams).status(new EdgeManager.EdgeState(edge, XDS_EDGE, RouteTable.empty()), running);
    }

    @Test
    void statusCountsUpToDateTasksNotStreams() {
        List<TaskInfo> running = List.of(envoyTask("task-a", "n1", "10.0.1.5"), envoyTask("task-b", "n2", "10.0.1.6"));
        // a gone task's stream and two streams of task-a are up to date; task-b's own is behind
        EdgeManager.DeliveryStatus status = xdsStatus(running, stream(1, "10.0.1.5", NEW), stream(2, "10.0.1.5", NEW),
                stream(3, "10.0.1.9", NEW), stream(4, "10.0.1.6", OLD));
        assertThat(status.ackedRevision()).isEqualTo(1L);
        assertThat(status.upToDate()).isFalse();
        // connected: the streams of running Envoy tasks (the gone task's is not one of them)
        assertThat(status.describe()).contains("3/2 Envoys connected, 1 up to date (NOT up to date)");

        EdgeManager.DeliveryStatus caughtUp = xdsStatus(running, stream(1, "10.0.1.5", NEW), stream(4, "10.0.1.6", NEW));
        assertThat(caughtUp.ackedRevision()).isEqualTo(2L);
        assertThat(caughtUp.upToDate()).isTrue();
    }

    @Test
    void aStaleStreamOfAGoneTaskDoesNotStandForARunningTaskThatHasNotAcked() {
        List<TaskInfo> running = List.of(envoyTask("task-a", "n1", "10.0.1.5"), envoyTask("task-b", "n2", "10.0.1.6"));
        // two streams up to date, as many as tasks: a count would call this served; task-b's own stream is behind
        Delivery.Look look = xdsLook(running, stream(1, "10.0.1.5", NEW), stream(2, "10.0.1.9", NEW), stream(3, "10.0.1.6", OLD));
        assertThat(look.served()).isFalse();
        assertThat(look.seen()).contains("task task-b on node n2").doesNotContain("task-a on");

        assertThat(xdsLook(running, stream(1, "10.0.1.5", NEW), stream(3, "10.0.1.6", NEW)).served()).isTrue();
    }

    @Test
    void twoStreamsOfOneEnvoyDoNotCountForAnotherTask() {
        List<TaskInfo> running = List.of(envoyTask("task-a", "n1", "10.0.1.5"), envoyTask("task-b", "n2", "10.0.1.6"));
        Delivery.Look look = xdsLook(running, stream(1, "10.0.1.5", NEW), stream(2, "10.0.1.5", NEW));
        assertThat(look.served()).isFalse();
        assertThat(look.seen()).contains("task-b");
    }

    @Test
    void aTaskOnSeveralNetworksIsMatchedByAnyOfItsAddresses() {
        List<TaskInfo> running = List.of(envoyTask("task-a", "n1", "10.0.1.5", "10.0.2.7"));
        assertThat(xdsLook(running, stream(1, "10.0.2.7", NEW)).served()).isTrue();
    }

    @Test
    void onlyAStreamFromARunningEnvoyTaskCountsNeitherAFakeAckNorAFakeNack() {
        List<TaskInfo> running = List.of(envoyTask("task-a", "n1", "10.0.9.5"));
        // something else on the network ACKs everything: it never stands for the task
        Delivery.Look fakeAck = xdsLook(running, stream(1, "10.0.9.66", NEW), stream(2, "10.0.9.5", OLD));
        assertThat(fakeAck.served()).isFalse();
        XdsStatus.Envoy fakeNack = new XdsStatus.Envoy(3, "10.0.9.66", "envoy", "2026-11-29T00:00:00Z", OLD, "clusters-1",
                "routes: made up");
        Delivery.Look look = xdsLook(running, fakeNack, stream(2, "10.0.9.5", NEW));
        assertThat(look.rejection()).isNull();
        assertThat(look.served()).isTrue();
    }

    @Test
    void aTaskWhoseAddressIsNotReportedYetIsWaitedForNotCountedByStreams() {
        List<TaskInfo> running = List.of(envoyTask("task-a", "n1"));
        Delivery.Look look = xdsLook(running, stream(1, "10.0.9.5", NEW));
        assertThat(look.served()).isFalse();
        assertThat(look.seen()).contains("its address not reported yet");
    }

    // ---- redeploy: each node's own listener must serve the revision

    @Test
    void onSeveralNodesEveryNodesListenerIsAskedAndOneLaggingNodeKeepsTheWaitGoing() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.nodeAddresses.clear();
        swarm.nodeAddresses.putAll(Map.of("n1", "198.18.0.11", "n2", "198.18.0.12", "n3", "198.18.0.13"));
        Map<String, String> served = new HashMap<>(Map.of("probe-host", NEW, "198.18.0.11", NEW, "198.18.0.12", OLD,
                "198.18.0.13", NEW));
        List<String> asked = new ArrayList<>();
        EdgeProbe probe = new EdgeProbe() {
            @Override public Optional<String> revision(int port) { return ask("probe-host"); }
            @Override public EdgeProbe at(String host) {
                return new EdgeProbe() {
                    @Override public Optional<String> revision(int port) { return ask(host); }
                };
            }
            private Optional<String> ask(String host) {
                asked.add(host);
                return Optional.ofNullable(served.get(host));
            }
        };
        EdgeSettings settings = new EdgeSettings("envoy", "envoy:1", 10000, List.of("n"), List.of(), null, "redeploy");
        RedeployDelivery delivery = new RedeployDelivery(probe, swarm);
        List<TaskInfo> running = List.of(envoyTask("a", "n1"), envoyTask("b", "n2"), envoyTask("c", "n3"));

        Delivery.Look look = delivery.look(settings, NEW, running);
        assertThat(look.served()).as("the probe host serves it, node 2 does not").isFalse();
        assertThat(asked).containsExactlyInAnyOrder("198.18.0.11", "198.18.0.12", "198.18.0.13");
        assertThat(look.seen()).contains(OLD + " on 198.18.0.12").contains("all 3 nodes");

        served.put("198.18.0.12", NEW);
        assertThat(delivery.look(settings, NEW, running).served()).isTrue();
    }

    @Test
    void theHealthyHostsWaitAsksEveryNodeAndNamesTheOneThatHasNotFoundTheRelease() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.nodeAddresses.clear();
        swarm.nodeAddresses.putAll(Map.of("n1", "198.18.0.11", "n2", "198.18.0.12"));
        Map<String, Long> healthyOn = new HashMap<>(Map.of("198.18.0.11", 1L, "198.18.0.12", 0L));
        EdgeProbe probe = new EdgeProbe() {
            @Override public Optional<String> revision(int port) { return Optional.empty(); }
            @Override public Optional<Map<String, Long>> healthyHosts(int port, java.util.Collection<String> clusters) {
                return Optional.of(Map.of("app-prod-1_0_1", 1L)); // the probe host has it: it must not stand for node 2
            }
            @Override public EdgeProbe at(String host) {
                return new EdgeProbe() {
                    @Override public Optional<String> revision(int port) { return Optional.empty(); }
                    @Override public Optional<Map<String, Long>> healthyHosts(int port, java.util.Collection<String> clusters) {
                        return Optional.of(Map.of("app-prod-1_0_1", healthyOn.get(host)));
                    }
                };
            }
        };
        var envoys = List.of(envoyTask("a", "n1"), envoyTask("b", "n2"));
        swarm.tasksOf.put("envoy", envoys);
        EdgeManager edges = new EdgeManager(swarm, probe, java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(1));
        EdgeSettings settings = new EdgeSettings("envoy", "envoy:1", 10000, List.of("n"), List.of(), null, "redeploy");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> edges.awaitHealthyHosts(settings, List.of("app-prod-1_0_1"),
                        EdgeManager.HostCheck.REQUIRE, io.swarmcanary.release.Progress.SILENT))
                .hasMessageContaining("app-prod-1_0_1 on 198.18.0.12").hasMessageNotContaining("198.18.0.11");
        healthyOn.put("198.18.0.12", 1L);
        edges.awaitHealthyHosts(settings, List.of("app-prod-1_0_1"), EdgeManager.HostCheck.REQUIRE, io.swarmcanary.release.Progress.SILENT);
    }

    @Test
    void aNodeWhoseAddressTheEngineDoesNotKnowSendsEveryWaitToTheProbeHost() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.nodeAddresses.clear();
        swarm.nodeAddresses.put("n1", "198.18.0.11"); // n2's address unknown: left out by the gateway
        EdgeProbe probe = new EdgeProbe() {
            @Override public Optional<String> revision(int port) { return Optional.of(NEW); }
        };
        Map<String, EdgeProbe> probes = EveryEnvoy.probes(probe, swarm, List.of(envoyTask("a", "n1"), envoyTask("b", "n2")));
        assertThat(probes).containsOnlyKeys("the probe host");
        assertThat(probes.get("the probe host")).isSameAs(probe);
    }

    @Test
    void onOneNodeTheProbeHostIsAskedAsBefore() {
        FakeSwarm swarm = new FakeSwarm();
        List<String> asked = new ArrayList<>();
        EdgeProbe probe = new EdgeProbe() {
            @Override public Optional<String> revision(int port) { asked.add("probe-host"); return Optional.of(NEW); }
            @Override public EdgeProbe at(String host) { throw new AssertionError("one node: no per-node probe, got " + host); }
        };
        EdgeSettings settings = new EdgeSettings("envoy", "envoy:1", 10000, List.of("n"), List.of(), null, "redeploy");
        assertThat(new RedeployDelivery(probe, swarm).look(settings, NEW, List.of(envoyTask("a", "fake-node-id"))).served()).isTrue();
        assertThat(asked).containsExactly("probe-host");
    }
}
