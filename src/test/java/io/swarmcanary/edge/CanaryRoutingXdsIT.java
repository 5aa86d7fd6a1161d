package io.swarmcanary.edge;

import io.swarmcanary.testing.Bed;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/** {@link CanaryRouting} on an xds edge: the A/B route comes over RDS, the mirror cluster over CDS with the canary's endpoints (EDS). */
class CanaryRoutingXdsIT extends CanaryRouting {
    private static final String IMAGE = "sctest-ab-xds-cli:latest";

    CanaryRoutingXdsIT() {
        super(new Bedding(10278, "sctest-ab-x"), List.of("--delivery", "xds", "--control-plane-image", Bed.cliImage(IMAGE)));
    }

    @Override
    @AfterAll // an override without it would not run after all (JUnit does not inherit it onto an override)
    void cleanUp() {
        super.cleanUp();
        swarm.removeImageWhenFree(IMAGE);
        Bed.removeCliImage(IMAGE);
    }
}
