package io.swarmcanary.cli;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.xds.ControlPlaneClient;
import java.time.Clock;
import java.time.Duration;

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
        return new EdgeManager(swarm, EdgeProbe.http(probeHost, swarm), ControlPlaneClient.http(probeHost), Clock.systemUTC(),
                convergeTimeout);
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
