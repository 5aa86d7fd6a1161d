package io.swarmcanary.cli;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.swarm.SwarmGateway;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;

/** The commands' cluster in unit tests: an in-memory swarm and the test's edge manager over it (its own probe). */
record FakeCluster(SwarmGateway swarm, EdgeManager edges) implements Cluster {
    @Override
    public String probeHost() {
        return "127.0.0.1";
    }

    @Override
    public EdgeManager edges(String probeHost, Duration convergeTimeout) {
        return edges;
    }

    @Override
    public long apiCalls() {
        return 0;
    }

    @Override
    public void close() {
        // the swarm outlives each command, as a real cluster does
    }

    /** The CLI as main runs it, its commands on this cluster, reading these environment variables. */
    CommandLine commandLine(Map<String, String> environment) {
        return SwarmCanary.commandLine(new CommandContext(() -> this, environment));
    }
}
