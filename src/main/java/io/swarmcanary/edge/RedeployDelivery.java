package io.swarmcanary.edge;

import java.util.List;
import java.util.Optional;

/**
 * Delivery redeploy: each config is a new Swarm config and one Envoy service update (its tasks restart); served when
 * the public listener answers with the revision.
 */
final class RedeployDelivery implements Delivery {
    private final EdgeProbe probe;

    RedeployDelivery(EdgeProbe probe) {
        this.probe = probe;
    }

    @Override
    public Look look(EdgeSettings settings, String revision, long running) {
        Optional<String> served = probe.revision(settings.port());
        return new Look("serving " + served.orElse("-") + " (want " + revision + ")", served.filter(revision::equals).isPresent(), null);
    }

    @Override
    public long pollMillis() {
        return 250;
    }

    @Override
    public EdgeManager.DeliveryStatus status(EdgeManager.EdgeState state, long envoys) {
        EdgeSettings settings = state.settings();
        return new EdgeManager.DeliveryStatus(settings.name(), settings.delivery(),
                state.service().labels().get(EdgeManager.REVISION), envoys, null, null, false, null, null, null, List.of(), true);
    }
}
