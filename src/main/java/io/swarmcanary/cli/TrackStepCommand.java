package io.swarmcanary.cli;

import io.swarmcanary.operations.Operations;
import io.swarmcanary.operations.StepPlan;
import io.swarmcanary.operations.StepResult;
import io.swarmcanary.operations.TrackStepOperation;
import io.swarmcanary.release.Track;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A lifecycle step on one track (promote, rollback): same options, same output. */
abstract class TrackStepCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;
    @Mixin DryRunOption dryRun;

    @Mixin TrackOptions trackOptions;

    /** The step this command takes. */
    abstract TrackStepOperation operation(Operations ops);

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        Track track = trackOptions.track();
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            TrackStepOperation step = operation(edgeOptions.operations(cluster));
            PrintWriter out = spec.commandLine().getOut();
            if (dryRun.dryRun) {
                StepPlan plan = step.plan(track, output.progress());
                output.print(out, plan, plan.text());
                return 0;
            }
            StepResult r = step.apply(track, output.progress());
            // a rollback line also marks the moment in the report's table; a promote is a change of weights
            events.record(spec.name().equals("rollback") ? "rollback" : "weights", track.name(), Map.of(
                    "command", spec.name(), "weights", r.weights(), "removed", r.removed()));
            output.print(out, r, r.text(track));
            return 0;
        }
    }
}
