package io.swarmcanary.release;

import io.swarmcanary.swarm.ServiceOptions;
import java.util.List;
import java.util.Map;

/**
 * What a release takes from a stack file beyond the CLI's flags (see {@code deploy --compose}).
 *
 * @param secretTargets   where each secret (by name) is mounted, when the file says more than /run/secrets/NAME
 * @param args            the container's arguments (compose {@code command})
 * @param serviceLabels   compose {@code deploy.labels}, on the service
 * @param containerLabels compose {@code labels}, on the containers
 */
public record ReleaseOptions(Map<String, MountTarget> secretTargets, List<ConfigSource> configs, List<String> args,
                             Map<String, String> serviceLabels, Map<String, String> containerLabels, ServiceOptions service) {
    public static final ReleaseOptions NONE = new ReleaseOptions(Map.of(), List.of(), List.of(), Map.of(), Map.of(), ServiceOptions.NONE);

    public ReleaseOptions {
        secretTargets = Map.copyOf(secretTargets);
        configs = List.copyOf(configs);
        args = List.copyOf(args);
        serviceLabels = Map.copyOf(serviceLabels);
        containerLabels = Map.copyOf(containerLabels);
        service = service == null ? ServiceOptions.NONE : service;
    }

    public MountTarget secretTarget(SecretSource secret) {
        return secretTargets.getOrDefault(secret.name(), MountTarget.of(secret.target()));
    }

    /** A file mounted from a secret or config: its path in the container, owner and mode. */
    public record MountTarget(String target, String uid, String gid, long mode) {
        public static MountTarget of(String target) {
            return new MountTarget(target, "0", "0", io.swarmcanary.swarm.SecretMount.DEFAULT_MODE);
        }
    }
}
