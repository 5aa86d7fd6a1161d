package io.swarmcanary.operations;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.StatusReader;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** status: every track's releases with their weights and phase on the edge, and whether every Envoy has the edge's config. */
public final class StatusOperation {
    private final Operations ops;

    StatusOperation(Operations ops) {
        this.ops = ops;
    }

    /** @param track one track, or null for all */
    public StatusResult read(Track track) {
        Map<String, Integer> weights = new HashMap<>();
        Map<String, StatusReader.Position> positions = new HashMap<>();
        Optional<EdgeManager.EdgeState> edge = ops.edges().read(ops.edge());
        // one read of the edge and one of its releases serve the weights, the phases and the unrouted tracks
        Map<String, List<ServiceInfo>> releasesByTrack = edge.isEmpty() ? Map.of() : ops.edges().releasesByTrack(ops.edge());
        edge.ifPresent(e -> releasesByTrack.forEach((t, releases) -> {
            RouteTable.TrackEntry entry = e.routes().tracks().get(t);
            weights.putAll(EdgeManager.effectiveWeights(Lifecycle.live(entry, releases), entry));
            Lifecycle.Phase phase = Lifecycle.phase(entry, releases);
            // matches and mirroring are in force only while the canary they reach is
            boolean canary = phase.canary() != null && phase.canaryDeployed();
            positions.put(t, new StatusReader.Position(phase.describe(), phase.stable(), phase.canary(), phase.previous(),
                    canary ? entry.match() : List.of(), canary && entry.mirror() != null ? entry.mirror() : 0,
                    canary && entry.sticky() != null ? new StatusReader.Sticky(entry.sticky().cookie(), entry.sticky().ttlSeconds())
                            : null));
        }));
        List<StatusReader.TrackStatus> tracks = new StatusReader(ops.swarm(), Clock.systemUTC()).read(track, weights, positions);
        EdgeManager.DeliveryStatus delivery = edge.map(ops.edges()::deliveryStatus).orElse(null);
        // tracks the edge leaves out of its config (a domain another track had first, a reserved host...)
        Map<String, String> unrouted = new TreeMap<>(edge.isEmpty() ? Map.of() : ops.edges().unrouted(edge.get(), releasesByTrack));
        if (track != null) {
            unrouted.keySet().retainAll(List.of(track.name()));
        }
        return new StatusResult(tracks, delivery, unrouted, ops.edge(), edge.map(e -> e.settings().delivery()).orElse(null), track,
                edge.map(e -> e.settings().forcesCanary()).orElse(null));
    }
}
