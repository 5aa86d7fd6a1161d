package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.ReleaseRoute;
import io.swarmcanary.envoy.TrackRoutes;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.testing.FakeSwarm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An xds edge's endpoints: running tasks Swarm wants, on the edge's networks only (#19). */
class EdgeEndpointsTest {
    private static TaskInfo task(String id, String state, String desired, Map<String, List<String>> byNetwork) {
        return new TaskInfo(id, 1, "n1", state, desired, state, null, "c-" + id, "2026-11-29T00:00:00Z",
                byNetwork.values().stream().flatMap(List::stream).toList(), byNetwork);
    }

    @Test
    void onlyRunningTasksSwarmWantsCountAndOnlyTheirAddressesOnTheEdgesNetworks() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.tasksOf.put("files-webdev-1", List.of(
                task("a", "running", "running", Map.of("envoy-net", List.of("10.0.1.5"), "files-db", List.of("10.0.9.5"))),
                // stopping (scale down, update, drain): out at once, though its container still answers for a moment
                task("b", "running", "shutdown", Map.of("envoy-net", List.of("10.0.1.6"))),
                // not healthy yet: Swarm keeps a task with a HEALTHCHECK in starting until it passes
                task("c", "starting", "running", Map.of("envoy-net", List.of("10.0.1.7")))));
        EdgeRoutes routes = new EdgeRoutes(10000, List.of(new TrackRoutes("files", "webdev", List.of("files.test"),
                List.of(new ReleaseRoute("files-webdev-1", "1", 80, 100), new ReleaseRoute("files-webdev-2", "2", 80, 0)),
                "files-webdev-2")));

        assertThat(EdgeEndpoints.read(swarm, routes, List.of("envoy-net")))
                .containsExactly(Map.entry("files-webdev-1", List.of("10.0.1.5")), Map.entry("files-webdev-2", List.of()));
    }
}
