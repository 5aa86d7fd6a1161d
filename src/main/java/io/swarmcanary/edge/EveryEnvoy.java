package io.swarmcanary.edge;

import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Where each live Envoy of an edge is asked. Envoy tasks on one node: through the probe host (the user's --probe-host,
 * or the Docker host). On several nodes: each node's own Envoy at the node's address (the listener is published in
 * host mode on every node), so one node that has the change never stands for the others.
 */
final class EveryEnvoy {
    private EveryEnvoy() {}

    /** A probe per node, keyed by the node's address; one entry, "the probe host", when per-node probing does not apply. */
    static Map<String, EdgeProbe> probes(EdgeProbe probe, SwarmGateway swarm, List<TaskInfo> running) {
        List<String> hosts = nodeHosts(swarm, running);
        if (hosts.isEmpty()) {
            return Map.of("the probe host", probe);
        }
        Map<String, EdgeProbe> probes = new LinkedHashMap<>();
        hosts.forEach(h -> probes.put(h, probe.at(h)));
        return probes;
    }

    /** The address of every node running an Envoy task, when they are several and all known; else none. */
    static List<String> nodeHosts(SwarmGateway swarm, List<TaskInfo> running) {
        TreeSet<String> nodes = running.stream().map(TaskInfo::nodeId).filter(Objects::nonNull)
                .collect(Collectors.toCollection(TreeSet::new));
        Map<String, String> addresses = nodes.size() > 1 ? swarm.nodeAddresses() : Map.of();
        if (nodes.size() <= 1 || !addresses.keySet().containsAll(nodes)) {
            return List.of();
        }
        return nodes.stream().map(addresses::get).toList();
    }
}
