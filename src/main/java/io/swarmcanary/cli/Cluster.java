package io.swarmcanary.cli;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.swarm.SwarmGateway;
import java.time.Duration;

/**
 * The cluster a command works on, open for one run of it: the one seam between the commands and Docker. The CLI opens
 * {@link DockerCluster}; tests run the commands' real {@code call()} over an in-memory swarm through
 * {@link SwarmCanary#commandLine(CommandContext)}.
 */
public interface Cluster extends AutoCloseable {
    SwarmGateway swarm();

    /** Where the edge is probed when --probe-host is not given: the Docker host, or 127.0.0.1 for a local socket. */
    String probeHost();

    /** The edge's manager, probing the edge on {@code probeHost} and waiting up to {@code convergeTimeout} for it. */
    EdgeManager edges(String probeHost, Duration convergeTimeout);

    /** Engine API calls made so far (prune prints them). */
    long apiCalls();

    @Override
    void close();
}
