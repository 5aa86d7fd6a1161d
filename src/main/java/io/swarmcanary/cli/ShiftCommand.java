package io.swarmcanary.cli;

import io.swarmcanary.edge.TrafficShift;
import io.swarmcanary.operations.ShiftOperation;
import io.swarmcanary.operations.ShiftPlan;
import io.swarmcanary.operations.ShiftResult;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "shift",
        description = {
            "Move a track's traffic by weight: the canary (the newest release) gets W percent and the stable",
            "release the rest; or set every version's weight. Returns once the live Envoy serves the new",
            "weights; if it does not converge, the previous config is put back and the command fails."},
        footer = {"", "Examples:",
            "  swarm-canary shift --app files --env webdev --weight 25        # canary 25%%, stable 75%%",
            "  swarm-canary shift --app files --env webdev --weights 1.0.9=90,1.0.10=10",
            "  swarm-canary shift --app files --env webdev --weight 50 --dry-run   # the weights it would set",
            "", "Exit codes: 0 shifted (or already so), 1 the edge did not converge (rolled back), 2 bad input",
            "(nothing changed), 3 someone else changed the edge meanwhile (re-run)."})
public final class ShiftCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;
    @Mixin DryRunOption dryRun;

    @Mixin TrackOptions trackOptions;
    @Option(names = "--weight", paramLabel = "W", description = "The canary's share, 0-100; the stable release gets 100-W.") Integer weight;
    @Option(names = "--weights", paramLabel = "VERSION=W,...", description = "Every version's weight; versions not named get 0.") String weights;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        ShiftOperation.Request request = new ShiftOperation.Request(trackOptions.track(), weight,
                weights == null ? null : TrafficShift.parseWeights(weights));
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            ShiftOperation shift = edgeOptions.operations(cluster).shift();
            PrintWriter out = spec.commandLine().getOut();
            if (dryRun.dryRun) {
                ShiftPlan plan = shift.plan(request, output.progress());
                output.print(out, plan, plan.text());
                return 0;
            }
            ShiftResult r = shift.apply(request, output.progress());
            events.record("weights", r.track(), Map.of("command", "shift", "weights", r.weights()));
            output.print(out, r, r.text());
            return 0;
        }
    }
}
