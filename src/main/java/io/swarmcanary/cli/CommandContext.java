package io.swarmcanary.cli;

import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What a command takes from outside the process: the cluster (each run opens its own and closes it) and the environment
 * variables ({@code --secret x=env:NAME}, compose interpolation). The CLI's is Docker's environment and the process's;
 * tests give theirs to {@link SwarmCanary#commandLine(CommandContext)}.
 */
public record CommandContext(Supplier<Cluster> clusters, Map<String, String> environment) {
    public static final CommandContext PROCESS = new CommandContext(DockerCluster::fromEnvironment, System.getenv());

    public CommandContext {
        environment = Map.copyOf(environment);
    }

    /** Opens the cluster; the caller closes it. */
    public Cluster connect() {
        return clusters.get();
    }

    /** The context of the command line this command runs in (the process's for a command run alone). */
    static CommandContext of(CommandSpec spec) {
        return spec.root().userObject() instanceof SwarmCanary top ? top.context : PROCESS;
    }
}
