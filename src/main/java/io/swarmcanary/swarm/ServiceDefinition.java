package io.swarmcanary.swarm;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The tool's own model of a service. Specs are always built fresh from this, never read back and
 * re-sent: docker-java drops nested fields it does not know.
 *
 * @param global   one task per eligible node (the edge) instead of {@code replicas} tasks
 * @param ports    published in host mode (the ingress routing mesh needs IPVS)
 * @param platforms where the image runs (Placement.Platforms), from its registry when the image is pinned there
 * @param capabilityDrop ContainerSpec.CapabilityDrop (API 1.41), e.g. {@code ALL} for the control plane
 */
public record ServiceDefinition(
        String name,
        String image,
        int replicas,
        Map<String, String> labels,
        Map<String, String> containerLabels,
        List<String> env,
        List<String> networks,
        List<SecretMount> secrets,
        List<String> healthCmd,
        Duration healthStartPeriod,
        List<String> constraints,
        boolean global,
        List<PublishedPort> ports,
        List<ConfigMount> configs,
        List<String> args,
        List<BindMount> binds,
        ServiceOptions options,
        List<Platform> platforms,
        List<String> capabilityDrop) {

    /**
     * With a health command and no start period: long enough for a slow app to come up (a failing check before then
     * does not count), and free for a fast one, since the first passing check ends it (Docker's semantics).
     */
    public static final java.time.Duration DEFAULT_HEALTH_START_PERIOD = java.time.Duration.ofSeconds(60);

    public ServiceDefinition {
        labels = Map.copyOf(labels);
        containerLabels = Map.copyOf(containerLabels);
        env = List.copyOf(env);
        networks = List.copyOf(networks);
        secrets = List.copyOf(secrets);
        healthCmd = healthCmd == null ? List.of() : List.copyOf(healthCmd);
        constraints = List.copyOf(constraints);
        ports = ports == null ? List.of() : List.copyOf(ports);
        configs = configs == null ? List.of() : List.copyOf(configs);
        args = args == null ? List.of() : List.copyOf(args);
        binds = binds == null ? List.of() : List.copyOf(binds);
        options = options == null ? ServiceOptions.NONE : options;
        platforms = platforms == null ? List.of() : List.copyOf(platforms);
        capabilityDrop = capabilityDrop == null ? List.of() : List.copyOf(capabilityDrop);
    }

    /** Every capability kept, as Docker's default. */
    public ServiceDefinition(String name, String image, int replicas, Map<String, String> labels,
                             Map<String, String> containerLabels, List<String> env, List<String> networks,
                             List<SecretMount> secrets, List<String> healthCmd, Duration healthStartPeriod,
                             List<String> constraints, boolean global, List<PublishedPort> ports,
                             List<ConfigMount> configs, List<String> args, List<BindMount> binds, ServiceOptions options,
                             List<Platform> platforms) {
        this(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd, healthStartPeriod,
                constraints, global, ports, configs, args, binds, options, platforms, List.of());
    }

    /** For any platform: what a definition is until its image is pinned in a registry ({@link #withImage(String, List)}). */
    public ServiceDefinition(String name, String image, int replicas, Map<String, String> labels,
                             Map<String, String> containerLabels, List<String> env, List<String> networks,
                             List<SecretMount> secrets, List<String> healthCmd, Duration healthStartPeriod,
                             List<String> constraints, boolean global, List<PublishedPort> ports,
                             List<ConfigMount> configs, List<String> args, List<BindMount> binds, ServiceOptions options) {
        this(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd, healthStartPeriod,
                constraints, global, ports, configs, args, binds, options, List.of());
    }

    /** Without bind mounts and without the options a stack file may add (entrypoint, resources, policies, ...). */
    public ServiceDefinition(String name, String image, int replicas, Map<String, String> labels,
                             Map<String, String> containerLabels, List<String> env, List<String> networks,
                             List<SecretMount> secrets, List<String> healthCmd, Duration healthStartPeriod,
                             List<String> constraints, boolean global, List<PublishedPort> ports,
                             List<ConfigMount> configs, List<String> args) {
        this(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd, healthStartPeriod,
                constraints, global, ports, configs, args, List.of(), ServiceOptions.NONE);
    }

    public ServiceDefinition(String name, String image, int replicas, Map<String, String> labels,
                             Map<String, String> containerLabels, List<String> env, List<String> networks,
                             List<SecretMount> secrets, List<String> healthCmd, Duration healthStartPeriod,
                             List<String> constraints, boolean global, List<PublishedPort> ports,
                             List<ConfigMount> configs, List<String> args, List<BindMount> binds) {
        this(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd, healthStartPeriod,
                constraints, global, ports, configs, args, binds, ServiceOptions.NONE);
    }

    public ServiceDefinition(String name, String image, int replicas, Map<String, String> labels,
                             Map<String, String> containerLabels, List<String> env, List<String> networks,
                             List<SecretMount> secrets, List<String> healthCmd, Duration healthStartPeriod,
                             List<String> constraints, boolean global, List<PublishedPort> ports, List<ConfigMount> configs,
                             List<String> args, ServiceOptions options) {
        this(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd, healthStartPeriod,
                constraints, global, ports, configs, args, List.of(), options);
    }

    /** A replicated release service. */
    public static ServiceDefinition replicated(String name, String image, int replicas, Map<String, String> labels,
                                               Map<String, String> containerLabels, List<String> env, List<String> networks,
                                               List<SecretMount> secrets, List<String> healthCmd, Duration healthStartPeriod,
                                               List<String> constraints) {
        return new ServiceDefinition(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd,
                healthStartPeriod, constraints, false, List.of(), List.of(), List.of());
    }

    /** The image as resolved, with the platforms its registry lists (none: any node may run it). */
    public ServiceDefinition withImage(String newImage, List<Platform> newPlatforms) {
        return new ServiceDefinition(name, newImage, replicas, labels, containerLabels, env, networks, secrets, healthCmd,
                healthStartPeriod, constraints, global, ports, configs, args, binds, options, newPlatforms, capabilityDrop);
    }

    public ServiceDefinition withLabels(Map<String, String> newLabels) {
        return new ServiceDefinition(name, image, replicas, newLabels, containerLabels, env, networks, secrets, healthCmd,
                healthStartPeriod, constraints, global, ports, configs, args, binds, options, platforms, capabilityDrop);
    }

    public ServiceDefinition withOptions(List<ConfigMount> newConfigs, List<String> newArgs, ServiceOptions newOptions) {
        return new ServiceDefinition(name, image, replicas, labels, containerLabels, env, networks, secrets, healthCmd,
                healthStartPeriod, constraints, global, ports, newConfigs, newArgs, binds, newOptions, platforms, capabilityDrop);
    }

    /** What docker-java's model cannot say (placement preferences, CapabilityAdd/Drop), so the spec goes as JSON. */
    boolean needsJson() {
        return !options.placementPreferences().isEmpty() || !capabilityDrop.isEmpty()
                || !options.capabilityAdd().isEmpty() || !options.capabilityDrop().isEmpty();
    }

    public record PublishedPort(int published, int target) {}

    /** A host path mounted into the container (the control plane's docker.sock). */
    public record BindMount(String source, String target, boolean readOnly) {}

    /** A Swarm config mounted as a file. */
    public record ConfigMount(String configId, String configName, String target, String uid, String gid, long mode) {
        public ConfigMount(String configId, String configName, String target) {
            this(configId, configName, target, "0", "0", SecretMount.DEFAULT_MODE);
        }
    }
}
