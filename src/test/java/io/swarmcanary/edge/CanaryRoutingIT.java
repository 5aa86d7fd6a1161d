package io.swarmcanary.edge;

import java.util.List;

/** {@link CanaryRouting} on a redeploy edge: every route or mirror change is a new Envoy config. */
class CanaryRoutingIT extends CanaryRouting {
    CanaryRoutingIT() {
        super(new Bedding(10277, "sctest-ab-"), List.of("--delivery", "redeploy"));
    }
}
