package io.swarmcanary.cli;

import io.swarmcanary.operations.CanaryTrafficOperation;
import io.swarmcanary.operations.CanaryTrafficResult;
import io.swarmcanary.operations.Operations;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** route and mirror: the input checked first, then one change of the track's entry, planned (--dry-run) or applied. */
abstract class CanaryTrafficCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;
    @Mixin DryRunOption dryRun;
    @Mixin TrackOptions trackOptions;

    @Override
    public Output output() {
        return output;
    }

    /** The whole input, checked (bad input is exit 2 before the cluster is read). */
    abstract CanaryTrafficOperation.Request request();

    abstract CanaryTrafficOperation operation(Operations ops);

    @Override
    public Integer call() {
        CanaryTrafficOperation.Request request = request();
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            CanaryTrafficOperation operation = operation(edgeOptions.operations(cluster));
            PrintWriter out = spec.commandLine().getOut();
            CanaryTrafficResult r = dryRun.dryRun ? operation.plan(request, output.progress())
                    : operation.apply(request, output.progress());
            if (!dryRun.dryRun) {
                events.record(r.command(), r.track(), Map.of("command", r.command(), "match", r.match(),
                        "mirrorPercent", r.mirrorPercent(), "weights", r.weights()));
            }
            output.print(out, r, r.text());
            return 0;
        }
    }
}
