package io.swarmcanary.cli;

import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.xds.ControlPlaneClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The cluster Docker's environment names (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), as the docker CLI finds it. */
final class DockerCluster implements Cluster {
    private final DockerConnection docker;
    private final DockerSwarmGateway swarm;

    DockerCluster(DockerConnection docker) {
        this.docker = docker;
        this.swarm = new DockerSwarmGateway(docker);
    }

    static Cluster fromEnvironment() {
        return new DockerCluster(DockerConnection.fromEnvironment());
    }

    @Override
    public SwarmGateway swarm() {
        return swarm;
    }

    @Override
    public String probeHost() {
        return EdgeProbe.hostOf(docker.dockerHost());
    }

    @Override
    public EdgeManager edges(String probeHost, Duration convergeTimeout) {
        // one stats token source: the stats host reads Envoy's stats and, on an xds edge, the control plane's status
        Supplier<Optional<String>> statsTokens = EdgeKey.statsTokens(swarm);
        return new EdgeManager(swarm, EdgeProbe.http(probeHost, statsTokens),
                ControlPlaneClient.throughEdge(probeHost, statsTokens), Clock.systemUTC(), convergeTimeout);
    }

    @Override
    public long apiCalls() {
        return docker.apiCalls();
    }

    @Override
    public void close() {
        docker.close();
    }
}
