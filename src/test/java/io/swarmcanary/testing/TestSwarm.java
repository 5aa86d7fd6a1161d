package io.swarmcanary.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.Secret;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import com.github.dockerjava.api.async.ResultCallback;
import io.swarmcanary.swarm.DockerConnection;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** The real swarm, seen from the tests: look at what the CLI did, and clean up after it. */
public final class TestSwarm implements AutoCloseable {
    /** The test images, as the bed under test has them (on the three-node bed: in its registry). */
    public static final String TESTAPP = Bed.image("swarm-canary/testapp:latest");
    public static final String ENVOY = Bed.image("swarm-canary/envoy:latest");
    public static final String DOCKER_CLI = Bed.image("swarm-canary/docker-cli:latest");

    private final DockerConnection connection = DockerConnection.fromEnvironment();
    public final DockerClient docker = connection.client();

    /** The name swarm-canary gives a secret of this value in this cluster: keyed by the cluster's naming key. */
    public String secretName(String app, String env, String logicalName, String value) {
        byte[] key = io.swarmcanary.release.NamingKey.of(new io.swarmcanary.swarm.DockerSwarmGateway(connection));
        return io.swarmcanary.release.Names.secretName(key, new io.swarmcanary.release.Track(app, env), logicalName,
                value.getBytes(StandardCharsets.UTF_8));
    }

    /** A unique app name per test, so tests never see each other's releases. */
    public static String uniqueApp(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 6);
    }

    public Optional<Service> service(String name) {
        try {
            return Optional.of(docker.inspectServiceCmd(name).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    public List<Service> servicesOfTrack(String track) {
        return docker.listServicesCmd().withLabelFilter(Map.of("io.swarm-canary.track", track)).exec();
    }

    public List<Secret> secretsOfTrack(String track) {
        return docker.listSecretsCmd().withLabelFilter(Map.of("io.swarm-canary.track", track)).exec();
    }

    public List<Task> runningTasks(String service) {
        return docker.listTasksCmd().withServiceFilter(service).exec().stream()
                .filter(t -> t.getStatus().getState() == TaskState.RUNNING && t.getDesiredState() == TaskState.RUNNING)
                .toList();
    }

    public String containerOf(String service) {
        return runningTasks(service).stream()
                .map(t -> t.getStatus().getContainerStatus().getContainerID())
                .findFirst().orElseThrow(() -> new AssertionError("no running task of " + service));
    }

    /** Runs a command inside the container and returns its stdout. */
    public String exec(String containerId, String... command) {
        DockerClient node = Bed.nodeOf(docker, containerId);
        ExecCreateCmdResponse exec = node.execCreateCmd(containerId).withCmd(command)
                .withAttachStdout(true).withAttachStderr(true).exec();
        StringBuilder out = new StringBuilder();
        try {
            node.execStartCmd(exec.getId()).exec(new ResultCallback.Adapter<Frame>() {
                @Override
                public void onNext(Frame frame) {
                    out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                }
            }).awaitCompletion(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out.toString();
    }

    /** Inspects a container on whichever node runs it. */
    public com.github.dockerjava.api.command.InspectContainerResponse inspectContainer(String containerId) {
        return Bed.nodeOf(docker, containerId).inspectContainerCmd(containerId).exec();
    }

    /** Every node's own engine (one on the one-node bed): images and containers are per node. */
    public List<DockerClient> nodes() {
        return Bed.nodes(docker);
    }

    /** HTTP GET from inside the task, with busybox wget (the test bed has no route to dnsrr tasks). */
    public String httpGetInside(String containerId, String path) {
        return exec(containerId, "wget", "-q", "-O", "-", "http://127.0.0.1:80" + path).trim();
    }

    public void removeTrack(String track) {
        for (Service s : servicesOfTrack(track)) {
            try {
                docker.removeServiceCmd(s.getId()).exec();
            } catch (NotFoundException ignored) {
                // gone already
            }
        }
        // secrets stay in use until the tasks are gone
        for (int attempt = 0; attempt < 60 && !secretsOfTrack(track).isEmpty(); attempt++) {
            for (Secret s : secretsOfTrack(track)) {
                try {
                    docker.removeSecretCmd(s.getId()).exec();
                } catch (RuntimeException inUse) {
                    sleep(500);
                }
            }
        }
    }

    /** Removes an edge made by a test: its service, then its configs and network once its tasks are gone. */
    public void removeEdge(String edge) {
        for (String service : List.of(edge, edge + "-xds")) { // an xds edge's control plane too
            try {
                docker.removeServiceCmd(service).exec();
            } catch (NotFoundException ignored) {
                // gone already
            }
        }
        // the edge's own network and an xds edge's control-plane network
        List<String> names = List.of(edge + "-net", edge + "-xds-net");
        for (int attempt = 0; attempt < 60; attempt++) {
            var configs = docker.listConfigsCmd().withFilters(Map.of("label", List.of("io.swarm-canary.edge=" + edge))).exec();
            var networks = docker.listNetworksCmd().withNameFilter(edge + "-").exec().stream()
                    .filter(n -> names.contains(n.getName())).toList();
            // an edge's certificates and keys (edge ensure --tls)
            var secrets = docker.listSecretsCmd().withLabelFilter(Map.of("io.swarm-canary.edge", edge)).exec();
            if (configs.isEmpty() && networks.isEmpty() && secrets.isEmpty()) {
                return;
            }
            secrets.forEach(s -> {
                try {
                    docker.removeSecretCmd(s.getId()).exec();
                } catch (RuntimeException inUse) {
                    // still mounted by a task that is shutting down
                }
            });
            configs.forEach(c -> {
                try {
                    docker.removeConfigCmd(c.getId()).exec();
                } catch (RuntimeException inUse) {
                    // still mounted by a task that is shutting down
                }
            });
            networks.forEach(n -> {
                try {
                    docker.removeNetworkCmd(n.getId()).exec();
                } catch (RuntimeException inUse) {
                    // still attached to a task that is shutting down
                }
            });
            sleep(500);
        }
    }

    /** Removes an image a test built, waiting while it is in use (until a removed service's containers are reaped). */
    public void removeImageWhenFree(String image) {
        for (int attempt = 0; attempt < 60; attempt++) {
            try {
                docker.removeImageCmd(image).exec();
                return;
            } catch (NotFoundException gone) {
                return;
            } catch (RuntimeException inUse) {
                sleep(500);
            }
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
