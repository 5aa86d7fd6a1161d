package io.swarmcanary.operations;

import io.swarmcanary.edge.CanaryTrafficChange;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.envoy.RouteMatch;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;
import java.util.Map;

/** route and mirror: what reaches a track's canary besides its weight (A/B matches, a mirrored share). */
public final class CanaryTrafficOperation {
    private final Operations ops;
    private final String verb;

    private CanaryTrafficOperation(Operations ops, String verb) {
        this.ops = ops;
        this.verb = verb;
    }

    static CanaryTrafficOperation route(Operations ops) {
        return new CanaryTrafficOperation(ops, "route");
    }

    static CanaryTrafficOperation mirror(Operations ops) {
        return new CanaryTrafficOperation(ops, "mirror");
    }

    /** @param matches for route: every match must hold (empty clears them); @param percent for mirror: 0 turns it off */
    public record Request(Track track, List<RouteMatch> matches, int percent) {
        public Request {
            matches = List.copyOf(matches);
        }
    }

    private EdgeManager.TrackChange change(Request request) {
        return EdgeManager.TrackChange.of(request.track(), "route".equals(verb)
                ? (current, releases) -> CanaryTrafficChange.route(request.track(), request.matches(), current, releases)
                : (current, releases) -> CanaryTrafficChange.mirror(request.track(), request.percent(), current, releases));
    }

    /** What it would do, from one read of the edge: checked, rendered and validated, nothing written. */
    public CanaryTrafficResult plan(Request request, Progress progress) {
        String track = request.track().name();
        EdgeManager.TrackPreview preview = ops.edges().previewTrack(ops.edge(), track, change(request),
                EdgeManager.HostCheck.REQUIRE, progress);
        return result(track, true, preview.unchanged() ? "unchanged" : "planned", preview.after(), preview.releases(),
                Operations.weightsOf(preview.plan(), track), preview.plan().revision(), 0);
    }

    /** Applies it and returns once the live Envoy serves it (each attempt reads the edge afresh), as shift does. */
    public CanaryTrafficResult apply(Request request, Progress progress) {
        String track = request.track().name();
        EdgeManager.Result r = ops.edges().updateTrack(ops.edge(), track, change(request), progress);
        RouteTable.TrackEntry after = ops.edges().read(ops.edge()).map(s -> s.routes().tracks().get(track)).orElse(null);
        List<ServiceInfo> releases = ops.edges().releasesByTrack(ops.edge()).getOrDefault(track, List.of());
        return result(track, false, "unchanged".equals(r.outcome()) ? "unchanged" : verb.equals("route") ? "routed" : "mirrored",
                after, releases, r.weights().getOrDefault(track, Map.of()), r.revision(), r.seconds());
    }

    private CanaryTrafficResult result(String track, boolean dryRun, String outcome, RouteTable.TrackEntry entry,
                                       List<ServiceInfo> releases, Map<String, Integer> weights, String revision, long seconds) {
        String canary = entry == null || entry.canary() == null ? null : Lifecycle.versionOf(releases, entry.canary());
        return new CanaryTrafficResult(verb, track, ops.edge(), dryRun, outcome, canary,
                entry == null ? List.of() : entry.match(), entry == null || entry.mirror() == null ? 0 : entry.mirror(),
                weights, revision, seconds);
    }
}
