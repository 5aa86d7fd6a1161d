package io.swarmcanary.cli;

import io.swarmcanary.operations.StatusResult;
import io.swarmcanary.release.Track;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status",
        description = {"Show every track (or one): its lifecycle phase on the edge (stable, canary at W%%, promoted),",
                "and per release: version, weight, replicas running/desired, health, age, secrets."},
        footer = {"", "Examples:", "  swarm-canary status", "  swarm-canary status --app files --env webdev --output json"})
public final class StatusCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;

    @Option(names = "--app", description = "Only this app (requires --env).") String app;
    @Option(names = "--env", description = "Only this environment (requires --app).") String env;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        if ((app == null) != (env == null)) {
            throw new io.swarmcanary.UserInputException("--app and --env go together: give both to select one track, or neither");
        }
        Track track = app == null ? null : new Track(app, env);
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            StatusResult r = edgeOptions.operations(cluster).status().read(track);
            output.print(spec.commandLine().getOut(), r, r.text());
            return 0;
        }
    }
}
