package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.DomainNames;
import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Reads an edge from the cluster: its service, settings and route table (labels), and the releases it routes. */
final class EdgeReader {
    private final SwarmGateway swarm;

    EdgeReader(SwarmGateway swarm) {
        this.swarm = swarm;
    }

    Optional<EdgeManager.EdgeState> read(String edge) {
        return swarm.service(edge).map(s -> {
            if (!Labels.Kind.EDGE.equals(s.labels().get(Labels.KIND))) {
                throw new UserInputException("service '" + edge + "' exists but is not an edge managed by swarm-canary;"
                        + " nothing was changed. Choose another --edge name.");
            }
            try {
                return new EdgeManager.EdgeState(s, EdgeSettings.fromJson(s.labels().get(EdgeManager.SETTINGS)),
                        RouteTable.fromJson(s.labels().get(EdgeManager.ROUTE_TABLE)));
            } catch (IllegalStateException unparsable) {
                throw new EdgeManager.UnreadableLabels(s.labels().get(EdgeManager.REVISION), unparsable.getMessage(), unparsable);
            }
        });
    }

    EdgeManager.EdgeState require(String edge) {
        return read(edge).orElseThrow(() -> new UserInputException("edge '" + edge + "' does not exist; create it with"
                + " 'swarm-canary edge ensure --edge " + edge + "'. Nothing was changed."));
    }

    /**
     * A domain belongs to one track: refuses domains whose host (case, trailing dot and port aside) another track on
     * this edge already has.
     */
    void requireDomainsFree(String edge, String track, List<String> domains) {
        for (Map.Entry<String, List<ServiceInfo>> other : releasesByTrack(edge).entrySet()) {
            if (other.getKey().equals(track)) {
                continue;
            }
            for (ServiceInfo release : other.getValue()) {
                for (String theirs : Labels.domains(release.labels())) {
                    for (String domain : domains) {
                        if (DomainNames.host(domain).equals(DomainNames.host(theirs))) {
                            throw new UserInputException("domain " + domain + " is already routed to track " + other.getKey()
                                    + " on edge " + edge + " (as " + theirs + "); a domain belongs to one track. Nothing was"
                                    + " created.");
                        }
                    }
                }
            }
        }
    }

    /** Releases routed by this edge, by track, oldest first. */
    Map<String, List<ServiceInfo>> releasesByTrack(String edge) {
        Map<String, String> filter = new TreeMap<>(Labels.allReleases());
        filter.put(Labels.EDGE, edge);
        return Labels.byTrack(swarm.services(filter), ServiceInfo::labels, ServiceInfo::createdAt, ServiceInfo::name);
    }

    /** Weights in force for a track: the route table's, or 100 on the newest release when it has none. */
    static Map<String, Integer> effectiveWeights(List<ServiceInfo> releases, RouteTable.TrackEntry entry) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        if (entry != null) {
            releases.forEach(r -> weights.put(r.name(), entry.weights().getOrDefault(r.name(), 0)));
            if (weights.values().stream().mapToInt(Integer::intValue).sum() > 0) {
                return weights;
            }
            weights.clear();
        }
        releases.forEach(r -> weights.put(r.name(), 0));
        if (!releases.isEmpty()) {
            weights.put(releases.get(releases.size() - 1).name(), 100);
        }
        return weights;
    }

}
