package io.swarmcanary.operations;

import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The verbs over one cluster and one edge: each operation reads one snapshot, returns a typed plan (what
 * {@code --dry-run} prints) or applies it and returns a typed result. Commands build this once and only print.
 */
public final class Operations {
    private final SwarmGateway swarm;
    private final EdgeManager edges;
    private final String edge;

    public Operations(SwarmGateway swarm, EdgeManager edges, String edge) {
        this.swarm = swarm;
        this.edges = edges;
        this.edge = edge;
    }

    public SwarmGateway swarm() {
        return swarm;
    }

    public EdgeManager edges() {
        return edges;
    }

    public String edge() {
        return edge;
    }

    Canary canary() {
        return new Canary(swarm, edges, edge);
    }

    public ShiftOperation shift() {
        return new ShiftOperation(this);
    }

    public CanaryTrafficOperation route() {
        return CanaryTrafficOperation.route(this);
    }

    public CanaryTrafficOperation mirror() {
        return CanaryTrafficOperation.mirror(this);
    }

    public TrackStepOperation promote() {
        return TrackStepOperation.promote(this);
    }

    public TrackStepOperation rollback() {
        return TrackStepOperation.rollback(this);
    }

    public DeployOperation deploy() {
        return new DeployOperation(this);
    }

    public AnalyzeOperation analyze() {
        return new AnalyzeOperation(this);
    }

    public StatusOperation status() {
        return new StatusOperation(this);
    }

    public EdgeEnsureOperation ensureEdge() {
        return new EdgeEnsureOperation(this);
    }

    /** A track's weights in force under an entry, by version, as commands report them. */
    static Map<String, Integer> weightsByVersion(List<ServiceInfo> releases, RouteTable.TrackEntry entry) {
        List<ServiceInfo> live = Lifecycle.live(entry, releases);
        Map<String, Integer> byVersion = new LinkedHashMap<>();
        EdgeManager.effectiveWeights(live, entry).forEach((service, w) -> byVersion.put(Lifecycle.versionOf(live, service), w));
        return byVersion;
    }

    /** The weights a rendered plan gives a track, by version. */
    static Map<String, Integer> weightsOf(EdgeManager.Plan plan, String track) {
        return EdgeManager.weightsByVersion(plan).getOrDefault(track, Map.of());
    }
}
