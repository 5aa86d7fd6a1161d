package io.swarmcanary.operations;

import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;

/** A lifecycle step on one track, promote or rollback: one route table change plus the removals it implies. */
public final class TrackStepOperation {
    /** How a step changes a track's entry, as {@link Lifecycle} decides it. */
    private interface Change {
        RouteTable.TrackEntry apply(Track track, RouteTable.TrackEntry current, List<ServiceInfo> releases);
    }

    private final Operations ops;
    private final String verb;
    private final String done;
    private final Change change;
    /** The way back never waits long for a missing host; a promote does. */
    private final EdgeManager.HostCheck hostCheck;

    private TrackStepOperation(Operations ops, String verb, String done, Change change, EdgeManager.HostCheck hostCheck) {
        this.ops = ops;
        this.verb = verb;
        this.done = done;
        this.change = change;
        this.hostCheck = hostCheck;
    }

    static TrackStepOperation promote(Operations ops) {
        return new TrackStepOperation(ops, "promote", "promoted", Lifecycle::promote, EdgeManager.HostCheck.REQUIRE);
    }

    static TrackStepOperation rollback(Operations ops) {
        return new TrackStepOperation(ops, "rollback", "rolled back", Lifecycle::rollback, EdgeManager.HostCheck.WARN);
    }

    public String verb() {
        return verb;
    }

    /** What the step would do, from one read of the edge: checked, rendered and validated, nothing changed. */
    public StepPlan plan(Track track, Progress progress) {
        EdgeManager.TrackPreview preview = ops.edges().previewTrack(ops.edge(), track.name(),
                EdgeManager.TrackChange.of(track, (current, releases) -> change.apply(track, current, releases)), hostCheck,
                progress);
        List<String> remove = ops.canary().retiring(track, preview.after()).stream().map(ServiceInfo::name).toList();
        List<ServiceInfo> staying = preview.releases().stream().filter(r -> !remove.contains(r.name())).toList();
        Lifecycle.Phase now = Lifecycle.phase(preview.before(), preview.releases());
        Lifecycle.Phase after = Lifecycle.phase(preview.after(), staying);
        return new StepPlan(track.name(), ops.edge(), true, verb, preview.unchanged() && remove.isEmpty() ? "unchanged" : "planned",
                after.describe(), after.stable(), after.previous(), Operations.weightsOf(preview.plan(), track.name()),
                now.describe(), Operations.weightsByVersion(preview.releases(), preview.before()), remove,
                preview.plan().revision(), preview.state().service().labels().get(EdgeManager.REVISION), preview.plan().warnings());
    }

    public StepResult apply(Track track, Progress progress) {
        Canary.Step step = switch (verb) {
            case "promote" -> ops.canary().promote(track, progress);
            default -> ops.canary().rollback(track, progress);
        };
        boolean unchanged = "unchanged".equals(step.outcome()) && step.removed().isEmpty();
        return new StepResult(step.track(), unchanged ? "unchanged" : done, step.phase().describe(), step.phase().stable(),
                step.phase().previous(), step.weights(), step.removed(), step.edge().edge(), step.edge().revision(),
                step.edge().seconds(), done);
    }
}
