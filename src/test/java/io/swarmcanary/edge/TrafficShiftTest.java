package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficShiftTest {
    private final Track track = new Track("files", "webdev");

    private static ServiceInfo release(String version, String created) {
        String name = "files-webdev-" + version.replace('.', '_');
        return new ServiceInfo("id-" + name, name, 1, Map.of(Labels.VERSION, version), "img", 1, List.of(), List.of(), created);
    }

    private final ServiceInfo v1 = release("1.0.9", "2026-01-01T00:00:00Z");
    private final ServiceInfo v2 = release("1.0.10", "2026-01-02T00:00:00Z");

    @Test
    void theCanaryGetsTheWeightAndTheStableTheRest() {
        var current = new RouteTable.TrackEntry(Map.of(v1.name(), 100, v2.name(), 0), v2.name(), v1.name(), null, List.of());
        var entry = TrafficShift.entry(track, List.of(v1, v2), current, 25, null);
        assertThat(entry.weights()).containsEntry(v2.name(), 25).containsEntry(v1.name(), 75);
        assertThat(entry.canary()).isEqualTo(v2.name());
        assertThat(entry.stable()).isEqualTo(v1.name());
    }

    @Test
    void aWeightShiftNeedsACanary() {
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), null, 25, null))
                .isInstanceOf(UserInputException.class).hasMessageContaining("has no canary");
        var promoted = new RouteTable.TrackEntry(Map.of(v1.name(), 0, v2.name(), 100), null, v2.name(), v1.name(), List.of());
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), promoted, 25, null))
                .hasMessageContaining("phase: promoted");
        var claimed = new RouteTable.TrackEntry(Map.of(v1.name(), 100, "files-webdev-2_0", 0), "files-webdev-2_0", v1.name(), null, List.of());
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), claimed, 25, null))
                .hasMessageContaining("does not exist");
    }

    @Test
    void aRecordedCanaryKeepsItsRoleAndOlderReleasesGetNothing() {
        ServiceInfo v0 = release("1.0.8", "2025-12-31T00:00:00Z");
        var current = new RouteTable.TrackEntry(Map.of(v0.name(), 0, v1.name(), 100, v2.name(), 0), v2.name());
        var entry = TrafficShift.entry(track, List.of(v0, v1, v2), current, 50, null);
        assertThat(entry.weights()).containsEntry(v0.name(), 0).containsEntry(v1.name(), 50).containsEntry(v2.name(), 50);
    }

    @Test
    void weightsByVersionNameEveryVersionAndDefaultTheRestToZero() {
        var entry = TrafficShift.entry(track, List.of(v1, v2), null, null, TrafficShift.parseWeights("1.0.9=90,1.0.10=10"));
        assertThat(entry.weights()).containsEntry(v1.name(), 90).containsEntry(v2.name(), 10);
    }

    @Test
    void badShiftsAreRefused() {
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), null, 101, null)).isInstanceOf(UserInputException.class);
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), null, -1, null)).isInstanceOf(UserInputException.class);
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), null, 5, Map.of("1.0.9", 5)))
                .hasMessageContaining("either");
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), null, null, Map.of("1.0.9", 0, "1.0.10", 0)))
                .hasMessageContaining("all weights are 0");
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), null, null, Map.of("2.0", 100)))
                .hasMessageContaining("has no release 2.0");
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1), null, 10, null)).hasMessageContaining("has no canary");
        assertThatThrownBy(() -> TrafficShift.entry(track, List.of(), null, 10, null)).hasMessageContaining("no releases");
        assertThatThrownBy(() -> TrafficShift.parseWeights("1.0.9=x")).hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> TrafficShift.parseWeights("1.0.9")).hasMessageContaining("VERSION=WEIGHT");
        assertThatThrownBy(() -> TrafficShift.parseWeights("a=1,a=2")).hasMessageContaining("twice");
    }

    @Test
    void afterADeployTheFirstReleaseTakesAllAndALaterOneJoinsAtZeroAsTheCanary() {
        assertThat(TrafficShift.afterDeploy(v1.name(), null, List.of(v1)).weights()).containsExactlyEntriesOf(Map.of(v1.name(), 100));
        var entry = TrafficShift.afterDeploy(v2.name(), null, List.of(v1, v2));
        assertThat(entry.weights()).containsEntry(v1.name(), 100).containsEntry(v2.name(), 0);
        assertThat(entry.canary()).isEqualTo(v2.name());
        assertThat(TrafficShift.afterDeploy(v2.name(), entry, List.of(v1, v2))).isSameAs(entry);
    }

    @Test
    void withoutARouteTableEntryTheNewestReleaseTakesEverything() {
        assertThat(EdgeManager.effectiveWeights(List.of(v1, v2), null)).containsEntry(v2.name(), 100).containsEntry(v1.name(), 0);
    }

    @Test
    void theRouteTableSurvivesItsLabel() {
        RouteTable t = RouteTable.empty().with("files-webdev", new RouteTable.TrackEntry(Map.of("a", 90, "b", 10), "b"))
                .with("files-prod", new RouteTable.TrackEntry(Map.of("c", 100), null, "c", "a", List.of("d")));
        assertThat(RouteTable.fromJson(t.toJson())).isEqualTo(t);
        // a label written before the lifecycle fields existed still reads
        assertThat(RouteTable.fromJson("{\"t\":{\"weights\":{\"a\":100},\"canary\":null}}").tracks().get("t"))
                .isEqualTo(new RouteTable.TrackEntry(Map.of("a", 100), null));
    }
}
