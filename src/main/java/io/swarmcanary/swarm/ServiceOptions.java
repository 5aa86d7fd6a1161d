package io.swarmcanary.swarm;

import java.time.Duration;
import java.util.List;

/**
 * What a stack file can say about a service beyond the tool's own flags. Every field is optional: null (or
 * empty) means "as Docker does by default", exactly like {@code docker stack deploy} leaves it unset.
 *
 * @param entrypoint           ContainerSpec.Command (compose {@code entrypoint})
 * @param health               a full healthcheck; used when no --health-cmd is given
 * @param placementPreferences spread descriptors, e.g. {@code node.labels.zone}
 * @param capabilityAdd        ContainerSpec.CapabilityAdd (API 1.41; compose {@code cap_add}), e.g. {@code CAP_NET_BIND_SERVICE}
 * @param capabilityDrop       ContainerSpec.CapabilityDrop (compose {@code cap_drop}), e.g. {@code ALL}
 */
public record ServiceOptions(
        List<String> entrypoint,
        String workdir,
        String user,
        String hostname,
        Boolean init,
        Boolean readOnly,
        Boolean tty,
        String stopSignal,
        Duration stopGracePeriod,
        Health health,
        Resources limits,
        Resources reservations,
        List<String> placementPreferences,
        Integer maxReplicasPerNode,
        RolloutPolicy update,
        RolloutPolicy rollback,
        RestartPolicy restart,
        List<String> capabilityAdd,
        List<String> capabilityDrop) {

    public static final ServiceOptions NONE = new ServiceOptions(List.of(), null, null, null, null, null, null, null, null,
            null, null, null, List.of(), null, null, null, null);

    public ServiceOptions {
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        placementPreferences = placementPreferences == null ? List.of() : List.copyOf(placementPreferences);
        capabilityAdd = capabilityAdd == null ? List.of() : List.copyOf(capabilityAdd);
        capabilityDrop = capabilityDrop == null ? List.of() : List.copyOf(capabilityDrop);
    }

    /** Without capabilities added or dropped (Docker's default set). */
    public ServiceOptions(List<String> entrypoint, String workdir, String user, String hostname, Boolean init, Boolean readOnly,
                          Boolean tty, String stopSignal, Duration stopGracePeriod, Health health, Resources limits,
                          Resources reservations, List<String> placementPreferences, Integer maxReplicasPerNode,
                          RolloutPolicy update, RolloutPolicy rollback, RestartPolicy restart) {
        this(entrypoint, workdir, user, hostname, init, readOnly, tty, stopSignal, stopGracePeriod, health, limits, reservations,
                placementPreferences, maxReplicasPerNode, update, rollback, restart, List.of(), List.of());
    }

    /** {@code test} as Docker takes it: {@code ["NONE"]}, {@code ["CMD", ...]} or {@code ["CMD-SHELL", "..."]}. */
    public record Health(List<String> test, Duration interval, Duration timeout, Integer retries, Duration startPeriod) {
        public Health {
            test = List.copyOf(test);
        }
    }

    public record Resources(Long nanoCpus, Long memoryBytes) {}

    /** deploy.update_config / rollback_config; failureAction continue|pause|rollback, order stop-first|start-first. */
    public record RolloutPolicy(Long parallelism, Duration delay, String failureAction, Duration monitor,
                                Float maxFailureRatio, String order) {}

    /** deploy.restart_policy; condition none|on-failure|any. */
    public record RestartPolicy(String condition, Duration delay, Long maxAttempts, Duration window) {}

    public ServiceOptions withHealth(Health newHealth) {
        return new ServiceOptions(entrypoint, workdir, user, hostname, init, readOnly, tty, stopSignal, stopGracePeriod,
                newHealth, limits, reservations, placementPreferences, maxReplicasPerNode, update, rollback, restart,
                capabilityAdd, capabilityDrop);
    }
}
