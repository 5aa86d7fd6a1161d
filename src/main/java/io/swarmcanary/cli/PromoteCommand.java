package io.swarmcanary.cli;

import io.swarmcanary.operations.Operations;
import io.swarmcanary.operations.TrackStepOperation;
import picocli.CommandLine.Command;

@Command(name = "promote",
        description = {
            "Make the track's canary its stable release: the canary gets 100%% of the traffic, the old stable",
            "release stays deployed at weight 0 as the rollback target until 'prune' removes it.",
            "Returns once the live Envoy serves the new weights. Running it again changes nothing."},
        footer = {"", "Examples:",
            "  swarm-canary promote --app files --env webdev",
            "  swarm-canary promote --app files --env webdev --edge envoy --output json",
            "  swarm-canary promote --app files --env webdev --dry-run      # what it would change",
            "", "Exit codes: 0 promoted (or already), 1 the edge did not converge (previous config put back),",
            "2 nothing to promote (no canary), 3 someone else changed the edge meanwhile (re-run)."})
public final class PromoteCommand extends TrackStepCommand {
    @Override
    TrackStepOperation operation(Operations ops) {
        return ops.promote();
    }
}
