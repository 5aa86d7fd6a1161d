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

    /**
     * After this track's release was created: refuses when another track on this edge had one of its hosts first (its
     * oldest release with the host is older than this track's; the planner serves a host from that track too). Two
     * deploys that both passed {@link #requireDomainsFree} before either release existed: the first keeps the host.
     */
    void requireDomainsFirst(String edge, String track, List<String> domains, String outcome) {
        Map<String, List<ServiceInfo>> byTrack = releasesByTrack(edge);
        for (String domain : domains) {
            String host = DomainNames.host(domain);
            Optional<ServiceInfo> ours = firstWith(byTrack.getOrDefault(track, List.of()), host);
            for (Map.Entry<String, List<ServiceInfo>> other : byTrack.entrySet()) {
                Optional<ServiceInfo> theirs = other.getKey().equals(track) ? Optional.empty() : firstWith(other.getValue(), host);
                if (theirs.isEmpty()) {
                    continue;
                }
                int age = ours.isEmpty() ? 1 : Labels.created(ours.get().createdAt()).compareTo(Labels.created(theirs.get().createdAt()));
                if (age > 0 || (age == 0 && other.getKey().compareTo(track) < 0)) {
                    throw new io.swarmcanary.ConflictException("domain " + domain + " went to track " + other.getKey()
                            + " on edge " + edge + " while this deploy ran: its release " + theirs.get().name() + " was created"
                            + " first, and a domain belongs to the track that had it first. " + outcome + " Deploy again with"
                            + " another --domain, or once track " + other.getKey() + " no longer has it.");
                }
            }
        }
    }

    /** The oldest of a track's releases (oldest first) that has this host among its domains. */
    private static Optional<ServiceInfo> firstWith(List<ServiceInfo> releases, String host) {
        return releases.stream().filter(r -> Labels.domains(r.labels()).stream().map(DomainNames::host).anyMatch(host::equals))
                .findFirst();
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
