package io.swarmcanary.prune;

import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.ServiceReferences;
import io.swarmcanary.swarm.SwarmGateway;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One read of everything prune decides on: every service (with its previous spec), and the secrets and configs
 * swarm-canary created. Three list calls, however big the cluster.
 */
public record ClusterState(Instant now, List<ServiceReferences> services, List<SecretInfo> secrets, List<ConfigInfo> configs) {
    public ClusterState {
        services = List.copyOf(services);
        secrets = List.copyOf(secrets);
        configs = List.copyOf(configs);
    }

    public static ClusterState read(SwarmGateway swarm, Instant now) {
        return new ClusterState(now, swarm.serviceReferences(), swarm.secrets(Labels.managed()), swarm.configs(Labels.managed()));
    }

    /** The same secrets and configs as seen at plan time, with the services as they are now. */
    public ClusterState withServices(List<ServiceReferences> now, Instant at) {
        return new ClusterState(at, now, secrets, configs);
    }

    public List<ServiceReferences> releases() {
        return services.stream().filter(s -> isManaged(s.labels()) && Labels.Kind.RELEASE.equals(s.labels().get(Labels.KIND))).toList();
    }

    public List<ServiceReferences> edges() {
        return services.stream().filter(s -> isManaged(s.labels()) && Labels.Kind.EDGE.equals(s.labels().get(Labels.KIND))).toList();
    }

    static boolean isManaged(Map<String, String> labels) {
        return Labels.MANAGER.equals(labels.get(Labels.MANAGED_BY));
    }
}
