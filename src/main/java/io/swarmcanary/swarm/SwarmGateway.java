package io.swarmcanary.swarm;

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

    List<TaskInfo> tasks(String serviceName);
}
