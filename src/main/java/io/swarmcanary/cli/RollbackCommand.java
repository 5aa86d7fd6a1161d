package io.swarmcanary.cli;

import io.swarmcanary.operations.Operations;
import io.swarmcanary.operations.TrackStepOperation;
import picocli.CommandLine.Command;

@Command(name = "rollback",
        description = {
            "Put the track's stable release back to 100%% and remove the canary's service. After a promote,",
            "the previous stable release (kept at weight 0) comes back and the promoted one is removed.",
            "The removed release's secrets stay for 'prune'. Envoy serves the stable weights before anything",
            "is removed; if the run is killed, running it again finishes the removal."},
        footer = {"", "Examples:",
            "  swarm-canary rollback --app files --env webdev",
            "  swarm-canary rollback --app files --env webdev --output json",
            "  swarm-canary rollback --app files --env webdev --dry-run      # what it would change",
            "", "Exit codes: 0 rolled back (or already), 1 the edge did not converge (previous config put back,",
            "nothing removed), 2 nothing to roll back, 3 someone else changed the edge meanwhile (re-run)."})
public final class RollbackCommand extends TrackStepCommand {
    @Override
    TrackStepOperation operation(Operations ops) {
        return ops.rollback();
    }
}
