package io.swarmcanary.operations;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.NamingKey;
import io.swarmcanary.edge.TrafficShift;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import java.util.Map;

/** shift: the canary gets W (the stable the rest), or every version its weight. */
public final class ShiftOperation {
    private final Operations ops;

    ShiftOperation(Operations ops) {
        this.ops = ops;
    }

    /**
     * @param weight         the canary's share, or null with {@code versionWeights}
     * @param versionWeights every version's weight, or null with {@code weight}
     */
    public record Request(Track track, Integer weight, Map<String, Integer> versionWeights, TrafficShift.StickyChange sticky) {
        public Request(Track track, Integer weight, Map<String, Integer> versionWeights) {
            this(track, weight, versionWeights, null);
        }

        EdgeManager.TrackChange change() {
            return EdgeManager.TrackChange.of(track,
                    (current, releases) -> TrafficShift.entry(track, releases, current, weight, versionWeights, sticky));
        }
    }

    /** What the shift would do, from one read of the edge: checked, rendered and validated, nothing written. */
    public ShiftPlan plan(Request request, Progress progress) {
        String track = request.track().name();
        EdgeManager.TrackPreview preview = ops.edges().previewTrack(ops.edge(), track, request.change(),
                EdgeManager.HostCheck.REQUIRE, progress);
        return new ShiftPlan(track, ops.edge(), true, preview.unchanged() ? "unchanged" : "planned",
                Operations.weightsOf(preview.plan(), track), Operations.weightsByVersion(preview.releases(), preview.before()),
                preview.plan().revision(), preview.state().service().labels().get(EdgeManager.REVISION), preview.gaining(),
                preview.plan().warnings(), stickyOf(preview.plan().routes(), track));
    }

    /** Shifts and returns once the live Envoy serves the new weights (each attempt reads the edge afresh). */
    public ShiftResult apply(Request request, Progress progress) {
        String track = request.track().name();
        if (request.sticky() != null && request.sticky().to() != null && NamingKey.read(ops.swarm()).isEmpty()) {
            plan(request, Progress.SILENT); // bad input is refused before the cluster gets the key the cookies are made with
            NamingKey.of(ops.swarm());
        }
        EdgeManager.Result r = ops.edges().updateTrack(ops.edge(), track, request.change(), progress);
        RouteTable.Sticky sticky = stickyOf(ops.edges().read(ops.edge()).map(EdgeManager.EdgeState::routes).orElse(null), track);
        return new ShiftResult(track, r.weights().getOrDefault(track, Map.of()), r.edge(), r.outcome(), r.revision(), r.seconds(),
                sticky);
    }

    /** The track's sticky sessions in this route table, null for none. */
    static RouteTable.Sticky stickyOf(RouteTable routes, String track) {
        RouteTable.TrackEntry entry = routes == null ? null : routes.tracks().get(track);
        return entry == null ? null : entry.sticky();
    }
}
