package io.swarmcanary.edge;

import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Delivery redeploy: each config is a new Swarm config and one Envoy service update (its tasks restart); served when
 * the public listener of every node that runs an Envoy task answers with the revision.
 */
final class RedeployDelivery implements Delivery {
    private final EdgeProbe probe;
    private final SwarmGateway swarm;

    RedeployDelivery(EdgeProbe probe, SwarmGateway swarm) {
        this.probe = probe;
        this.swarm = swarm;
    }

    /** Served when every node's Envoy answers with the revision (see {@link EveryEnvoy}). */
    @Override
    public Look look(EdgeSettings settings, String revision, List<TaskInfo> running,
                     java.util.function.Predicate<String> rendersAs) {
        Map<String, EdgeProbe> probes = EveryEnvoy.probes(probe, swarm, running);
        if (probes.size() == 1) {
            Optional<String> served = probes.values().iterator().next().revision(settings.port());
            return new Look("serving " + served.orElse("-") + " (want " + revision + ")",
                    served.filter(revision::equals).isPresent(), null);
        }
        java.util.StringJoiner seen = new java.util.StringJoiner(", ", "serving ", "");
        boolean all = true;
        for (Map.Entry<String, EdgeProbe> node : probes.entrySet()) {
            Optional<String> served = node.getValue().revision(settings.port());
            all &= served.filter(revision::equals).isPresent();
            seen.add(served.orElse("-") + " on " + node.getKey());
        }
        return new Look(seen + " (want " + revision + " on all " + probes.size() + " nodes)", all, null);
    }

    @Override
    public long pollMillis() {
        return 250;
    }

    @Override
    public EdgeManager.DeliveryStatus status(EdgeManager.EdgeState state, List<TaskInfo> running) {
        EdgeSettings settings = state.settings();
        return new EdgeManager.DeliveryStatus(settings.name(), settings.delivery(),
                state.service().labels().get(EdgeManager.REVISION), running.size(), null, null, false, null, null, null, List.of(), true, null, null);
    }
}
