package io.swarmcanary.cli;

import io.swarmcanary.operations.Operations;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Which edge a command works on, and how to reach its public listener to verify it. */
public final class EdgeOptions {
    @Option(names = "--edge", defaultValue = "envoy", paramLabel = "NAME",
            description = "The edge (Envoy service) whose route table holds the track (default: ${DEFAULT-VALUE}).")
    String edge = "envoy";

    @Option(names = "--probe-host", paramLabel = "HOST",
            description = "Host whose published edge port is probed (its stats host also answers an xds edge's control-plane status) to verify the live config (default: the Docker host, or 127.0.0.1 for a local socket).")
    String probeHost;

    @Option(names = "--converge-timeout", defaultValue = "3m", converter = Durations.class, paramLabel = "DURATION",
            description = "How long to wait for Envoy to serve a new config before putting the old one back (default: ${DEFAULT-VALUE}).")
    Duration convergeTimeout = Duration.ofMinutes(3);

    /** The operations on this edge of the cluster, its edge probed on --probe-host (default: the cluster's host). */
    Operations operations(Cluster cluster) {
        return new Operations(cluster.swarm(), cluster.edges(probeHost != null ? probeHost : cluster.probeHost(),
                convergeTimeout), edge);
    }
}
