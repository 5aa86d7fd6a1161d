package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which changes must wait for Envoy to find a release's tasks, and how Envoy's stats say it has. */
class HostCheckTest {
    private final ServiceInfo v1 = release("1.0.1", "2026-01-01T00:00:00Z");
    private final ServiceInfo v2 = release("1.0.2", "2026-01-02T00:00:00Z");

    private static ServiceInfo release(String version, String created) {
        String name = "files-webdev-" + version.replace('.', '_');
        return new ServiceInfo("id-" + name, name, 1, Map.of(Labels.VERSION, version), "img", 1, List.of(), List.of(), created);
    }

    private static RouteTable.TrackEntry weights(Map<String, Integer> weights) {
        return new RouteTable.TrackEntry(weights, null);
    }

    @Test
    void aCanaryLeavingZeroMustBeFoundFirst() {
        var deployed = weights(Map.of(v1.name(), 100, v2.name(), 0));
        var shifted = weights(Map.of(v1.name(), 75, v2.name(), 25));
        assertThat(EdgeManager.gainingTraffic(List.of(v1, v2), deployed, shifted)).containsExactly(v2.name());
    }

    @Test
    void moreWeightForAReleaseThatAlreadyHasSomeNeedsNoWait() {
        var at25 = weights(Map.of(v1.name(), 75, v2.name(), 25));
        var at50 = weights(Map.of(v1.name(), 50, v2.name(), 50));
        assertThat(EdgeManager.gainingTraffic(List.of(v1, v2), at25, at50)).isEmpty();
    }

    @Test
    void theStableComingBackFromZeroMustBeFoundFirst() {
        var at100 = weights(Map.of(v1.name(), 0, v2.name(), 100));
        var back = weights(Map.of(v1.name(), 100, v2.name(), 0));
        assertThat(EdgeManager.gainingTraffic(List.of(v1, v2), at100, back)).containsExactly(v1.name());
    }

    @Test
    void aClaimedReleaseThatDoesNotExistYetIsNotWaitedFor() {
        // the first deploy of a track claims 100% before its service exists
        assertThat(EdgeManager.gainingTraffic(List.of(), null, weights(Map.of(v1.name(), 100)))).isEmpty();
    }

    @Test
    void withoutARouteTableEntryTheNewestReleaseHadTheTraffic() {
        var shifted = weights(Map.of(v1.name(), 50, v2.name(), 50));
        assertThat(EdgeManager.gainingTraffic(List.of(v1, v2), null, shifted)).containsExactly(v1.name());
    }

    @Test
    void envoysMembershipHealthyGaugeIsReadPerCluster() {
        String stats = """
                {"stats":[{"name":"cluster.files-webdev-1_0_1.membership_healthy","value":2},
                          {"name":"cluster.files-webdev-1_0_10.membership_healthy","value":1}]}""";
        assertThat(EdgeProbe.parseHealthyHosts(stats, List.of("files-webdev-1_0_1", "files-webdev-1_0_2")).orElseThrow())
                .isEqualTo(Map.of("files-webdev-1_0_1", 2L, "files-webdev-1_0_2", 0L));
    }

    @Test
    void somethingThatIsNotEnvoysStatsSaysNothing() {
        assertThat(EdgeProbe.parseHealthyHosts("not json", List.of("a"))).isEmpty();
        assertThat(EdgeProbe.parseHealthyHosts("{\"other\":1}", List.of("a"))).isEmpty();
    }
}
