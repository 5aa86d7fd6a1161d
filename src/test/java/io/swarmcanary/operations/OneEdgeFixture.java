package io.swarmcanary.operations;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.release.Deployer;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.Track;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;

/** The operations of a fake swarm with one live edge, made before each test, and a one-replica release request of app:1. */
abstract class OneEdgeFixture {
    static final String EDGE = "edge";
    final FakeSwarm swarm = new FakeSwarm();
    final EdgeProbe probe = swarm.liveEdge(EDGE);
    final Operations ops = new Operations(swarm, new EdgeManager(swarm, probe, Clock.systemUTC(), Duration.ofSeconds(2)), EDGE);
    final Deployer deployer = new Deployer(swarm, Clock.systemUTC(), Map.of());

    @BeforeEach
    void anEdge() {
        swarm.images.add("envoy");
        swarm.images.add("app:1");
        ops.edges().ensure(new EdgeSettings(EDGE, "envoy", 10000, List.of(EDGE + "-net"), List.of(), null, null), Optional.empty(),
                false, Progress.SILENT);
    }

    ReleaseRequest request(Track track, String version, List<String> domains) {
        return new ReleaseRequest(track, version, "app:1", 1, 8080, domains, List.of(), List.of(), List.of(), null, null,
                List.of(), Duration.ofSeconds(5), true, EDGE);
    }
}
