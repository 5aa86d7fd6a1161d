package io.swarmcanary.swarm;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the engine asks of Docker Swarm. One implementation talks to the real engine
 * ({@link DockerSwarmGateway}); unit tests of engine logic may fake it.
 */
public interface SwarmGateway {

    /** Name of the node we talk to, for messages ("image X does not exist on node Y"). */
    String nodeName();

    boolean imageExists(String image);

    /**
     * Asks the image's registry, through the engine and with this process's login for that registry, for the
     * image's manifest digest. Never throws for a registry's answer: the result says what happened.
     */
    default ImageLookup lookUpImage(String image) {
        return ImageLookup.unavailable(image);
    }

    /**
     * Each node's id and the address it reaches the others on (where a port published in host mode answers); a node
     * whose address the engine does not know is left out.
     */
    Map<String, String> nodeAddresses();

    Optional<NetworkInfo> network(String nameOrId);

    Optional<SecretInfo> secret(String name);

    List<SecretInfo> secrets(Map<String, String> labels);

    /** Creates a secret from raw bytes; the bytes never appear in logs or exceptions. */
    SecretInfo createSecret(String name, byte[] data, Map<String, String> labels);

    void removeSecret(String id);

    Optional<ServiceInfo> service(String name);

    List<ServiceInfo> services(Map<String, String> labels);

    ServiceInfo createService(ServiceDefinition definition);

    void removeService(String nameOrId);

    /**
     * Replaces the spec of a service in one update carrying the version index it was read at.
     *
     * @throws io.swarmcanary.ConflictException when someone else updated it since ("update out of sequence")
     */
    void updateService(String id, long versionIndex, ServiceDefinition definition);

    List<TaskInfo> tasks(String serviceName);

    /**
     * The tasks Swarm wants running, of each of these services (one entry per name asked, empty when it has none or
     * does not exist), read in a fixed number of requests however many services: an xds edge's endpoints, every second.
     */
    default Map<String, List<TaskInfo>> wantedTasks(Collection<String> serviceNames) {
        Map<String, List<TaskInfo>> result = new java.util.LinkedHashMap<>();
        serviceNames.forEach(n -> result.put(n, tasks(n).stream().filter(TaskInfo::wanted).toList()));
        return result;
    }

    /**
     * The last run of a container's health check (exit code and output), when the engine we talk to runs that container:
     * empty for a container on another node, one that is gone, or one without a health check.
     */
    default Optional<HealthCheckRun> lastHealthCheck(String containerId) {
        return Optional.empty();
    }

    /** One run of a container's health check, as the engine logged it (output trimmed). */
    record HealthCheckRun(long exitCode, String output) {}

    /** The service's rollout state: null when never updated, else updating, completed, paused, rollback_*. */
    String updateState(String serviceName);

    Optional<ConfigInfo> config(String name);

    List<ConfigInfo> configs(Map<String, String> labels);

    ConfigInfo createConfig(String name, byte[] data, Map<String, String> labels);

    void removeConfig(String id);

    /**
     * Creates an overlay network: attachable for the edge and its releases; or internal (no way out, not attachable by
     * a plain container) for an xds edge's Envoys and control plane only.
     */
    NetworkInfo createOverlayNetwork(String name, Map<String, String> labels, boolean internal);

    /** Removes a network; {@link InUseException} while a task or container is still attached to it. */
    void removeNetwork(String id);

    /** Every service with what its spec and its previous spec reference (docker-java's model has no PreviousSpec). */
    List<ServiceReferences> serviceReferences();

    /** Creates a one-shot service that runs one task on every node; returns its ID. */
    String createGlobalJob(GlobalJob job);

    /** The stdout and stderr of every task of a service, as text. */
    String serviceLogs(String serviceId);

    /** Nodes that are ready and active: where a global job runs. */
    int readyNodes();
}
