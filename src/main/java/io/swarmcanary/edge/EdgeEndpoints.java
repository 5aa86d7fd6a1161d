package io.swarmcanary.edge;

import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.ReleaseRoute;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where an xds edge's Envoys reach each release: the addresses of its tasks that Swarm wants running and that run, on
 * the edge's networks. A task Swarm stops (scale down, rolling update, drain, service removed) leaves at once, and a
 * task appears once running, which with a HEALTHCHECK means once healthy: no DNS refresh to wait for.
 */
public final class EdgeEndpoints {
    private EdgeEndpoints() {}

    public static Map<String, List<String>> read(SwarmGateway swarm, EdgeRoutes routes, Collection<String> edgeNetworks) {
        List<String> services = routes.tracks().stream().flatMap(t -> t.releases().stream().map(ReleaseRoute::service))
                .distinct().toList();
        Set<String> networks = Set.copyOf(edgeNetworks);
        Map<String, List<String>> addresses = new LinkedHashMap<>();
        swarm.wantedTasks(services).forEach((service, tasks) -> addresses.put(service, tasks.stream()
                .filter(TaskInfo::running) // wantedTasks: only tasks Swarm wants running
                .flatMap(t -> onNetworks(t, networks).stream())
                .distinct().sorted().toList()));
        return addresses;
    }

    /** The task's addresses on the edge's networks; all of them when the engine did not say which is where. */
    private static List<String> onNetworks(TaskInfo task, Set<String> networks) {
        if (task.networkAddresses().isEmpty()) {
            return task.addresses();
        }
        return task.networkAddresses().entrySet().stream().filter(e -> networks.contains(e.getKey()))
                .flatMap(e -> e.getValue().stream()).toList();
    }
}
