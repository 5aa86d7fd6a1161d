package io.swarmcanary.cli;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.operations.Operations;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.xds.ControlPlaneClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
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

    private EdgeManager manager(DockerConnection docker, DockerSwarmGateway swarm) {
        String host = probeHost != null ? probeHost : EdgeProbe.hostOf(docker.dockerHost());
        // one stats token source: the stats host reads Envoy's stats and, on an xds edge, the control plane's status
        Supplier<Optional<String>> statsTokens = EdgeKey.statsTokens(swarm);
        return new EdgeManager(swarm, EdgeProbe.http(host, statsTokens), ControlPlaneClient.throughEdge(host, statsTokens),
                Clock.systemUTC(), convergeTimeout);
    }

    /** Connection, gateway and edge manager wired once for a command's operations. */
    Operations operations(DockerConnection docker) {
        DockerSwarmGateway swarm = new DockerSwarmGateway(docker);
        return new Operations(swarm, manager(docker, swarm), edge);
    }
}
