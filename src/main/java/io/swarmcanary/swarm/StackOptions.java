package io.swarmcanary.swarm;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.ResourceRequirements;
import com.github.dockerjava.api.model.ResourceSpecs;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.UpdateConfig;
import com.github.dockerjava.api.model.UpdateFailureAction;
import com.github.dockerjava.api.model.UpdateOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Puts {@link ServiceOptions} into a docker-java spec the way {@code docker stack deploy} does. */
final class StackOptions {
    private static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private StackOptions() {}

    static void apply(ServiceDefinition d, ServiceSpec spec) {
        ServiceOptions o = d.options();
        var task = spec.getTaskTemplate();
        var container = task.getContainerSpec();
        if (!o.entrypoint().isEmpty()) {
            container.withCommand(o.entrypoint());
        }
        if (o.workdir() != null) {
            container.withDir(o.workdir());
        }
        if (o.user() != null) {
            container.withUser(o.user());
        }
        if (o.hostname() != null) {
            container.withHostname(o.hostname());
        }
        if (o.init() != null) {
            container.withInit(o.init());
        }
        if (o.readOnly() != null) {
            container.withReadOnly(o.readOnly());
        }
        if (o.tty() != null) {
            container.withTty(o.tty());
        }
        if (o.stopSignal() != null) {
            container.withStopSignal(o.stopSignal());
        }
        if (o.stopGracePeriod() != null) {
            container.withStopGracePeriod(o.stopGracePeriod().toNanos());
        }
        if (d.healthCmd().isEmpty() && o.health() != null) { // --health-cmd wins over the file
            ServiceOptions.Health h = o.health();
            container.withHealthCheck(new HealthCheck().withTest(h.test()).withInterval(nanos(h.interval()))
                    .withTimeout(nanos(h.timeout())).withRetries(h.retries()).withStartPeriod(nanos(h.startPeriod())));
        }
        if (o.limits() != null || o.reservations() != null) {
            task.withResources(new ResourceRequirements().withLimits(resources(o.limits()))
                    .withReservations(resources(o.reservations())));
        }
        if (o.maxReplicasPerNode() != null) {
            ServicePlacement placement = task.getPlacement() == null ? new ServicePlacement() : task.getPlacement();
            task.withPlacement(placement.withMaxReplicas(o.maxReplicasPerNode()));
        }
        if (o.restart() != null) {
            ServiceOptions.RestartPolicy r = o.restart();
            task.withRestartPolicy(new ServiceRestartPolicy()
                    .withCondition(r.condition() == null ? null : switch (r.condition()) {
                        case "none" -> ServiceRestartCondition.NONE;
                        case "on-failure" -> ServiceRestartCondition.ON_FAILURE;
                        default -> ServiceRestartCondition.ANY;
                    })
                    .withDelay(nanos(r.delay())).withMaxAttempts(r.maxAttempts()).withWindow(nanos(r.window())));
        }
        if (o.update() != null) {
            spec.withUpdateConfig(rollout(o.update()));
        }
        if (o.rollback() != null) {
            spec.withRollbackConfig(rollout(o.rollback()));
        }
    }

    /**
     * The spec as the JSON body of a raw create/update, with what docker-java cannot say: placement preferences and the
     * capabilities added and dropped.
     */
    static ObjectNode json(ServiceSpec spec, ServiceDefinition d) {
        ObjectNode json = JSON.valueToTree(spec);
        if (!d.options().placementPreferences().isEmpty()) {
            ObjectNode placement = ((ObjectNode) json.with("TaskTemplate")).with("Placement");
            var preferences = placement.putArray("Preferences");
            d.options().placementPreferences().forEach(p -> preferences.addObject().putObject("Spread").put("SpreadDescriptor", p));
        }
        List<String> dropped = new ArrayList<>(d.capabilityDrop());
        d.options().capabilityDrop().stream().filter(c -> !dropped.contains(c)).forEach(dropped::add);
        if (!dropped.isEmpty()) {
            var drop = ((ObjectNode) json.with("TaskTemplate").with("ContainerSpec")).putArray("CapabilityDrop");
            dropped.forEach(drop::add);
        }
        if (!d.options().capabilityAdd().isEmpty()) {
            var add = ((ObjectNode) json.with("TaskTemplate").with("ContainerSpec")).putArray("CapabilityAdd");
            d.options().capabilityAdd().forEach(add::add);
        }
        return json;
    }

    private static UpdateConfig rollout(ServiceOptions.RolloutPolicy p) {
        return new UpdateConfig()
                .withParallelism(p.parallelism())
                .withDelay(nanos(p.delay()))
                .withFailureAction(p.failureAction() == null ? null : switch (p.failureAction()) {
                    case "continue" -> UpdateFailureAction.CONTINUE;
                    case "rollback" -> UpdateFailureAction.ROLLBACK;
                    default -> UpdateFailureAction.PAUSE;
                })
                .withMonitor(nanos(p.monitor()))
                .withMaxFailureRatio(p.maxFailureRatio())
                .withOrder(p.order() == null ? null : "start-first".equals(p.order()) ? UpdateOrder.START_FIRST : UpdateOrder.STOP_FIRST);
    }

    private static ResourceSpecs resources(ServiceOptions.Resources r) {
        if (r == null) {
            return null;
        }
        ResourceSpecs specs = new ResourceSpecs();
        if (r.nanoCpus() != null) {
            specs.withNanoCPUs(r.nanoCpus());
        }
        if (r.memoryBytes() != null) {
            specs.withMemoryBytes(r.memoryBytes());
        }
        return specs;
    }

    private static Long nanos(Duration d) {
        return d == null ? null : d.toNanos();
    }
}
