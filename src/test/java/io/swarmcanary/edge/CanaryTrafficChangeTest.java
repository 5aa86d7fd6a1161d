package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.RouteMatch;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** route --match and mirror on a track's entry: only with a canary, kept by a shift, dropped by promote and rollback. */
class CanaryTrafficChangeTest {
    private final Track track = new Track("files", "webdev");
    private final ServiceInfo v1 = release("1.0.1", "2026-01-01T00:00:00Z");
    private final ServiceInfo v2 = release("1.0.2", "2026-01-02T00:00:00Z");
    private final ServiceInfo v3 = release("1.0.3", "2026-01-03T00:00:00Z");
    private final RouteTable.TrackEntry canary =
            new RouteTable.TrackEntry(Map.of(v1.name(), 100, v2.name(), 0), v2.name(), v1.name(), null, List.of());
    private final List<RouteMatch> beta = List.of(RouteMatch.parse("header:x-beta=1"), RouteMatch.parse("cookie:beta=yes"));

    private static ServiceInfo release(String version, String created) {
        String name = "files-webdev-" + version.replace('.', '_');
        return new ServiceInfo("id-" + name, name, 1, Map.of(Labels.VERSION, version), "img", 1, List.of(), List.of(), created);
    }

    @Test
    void routeAndMirrorAreStoredInTheTrackEntryAndSurviveItsJson() {
        var routed = CanaryTrafficChange.route(track, beta, canary, List.of(v1, v2));
        var both = CanaryTrafficChange.mirror(track, 10, routed, List.of(v1, v2));
        assertThat(both.match()).containsExactly("cookie:beta=yes", "header:x-beta=1");
        assertThat(both.mirror()).isEqualTo(10);
        assertThat(both.weights()).isEqualTo(canary.weights());
        RouteTable table = RouteTable.empty().with(track.name(), both);
        assertThat(RouteTable.fromJson(table.toJson())).isEqualTo(table);
        // an entry without them writes the JSON it always wrote
        assertThat(RouteTable.empty().with(track.name(), canary).toJson()).doesNotContain("match").doesNotContain("mirror");
        var cleared = CanaryTrafficChange.mirror(track, 0, CanaryTrafficChange.route(track, List.of(), both, List.of(v1, v2)),
                List.of(v1, v2));
        assertThat(cleared).isEqualTo(canary);
    }

    @Test
    void withoutACanaryThereIsNothingToRouteOrMirrorTo() {
        var stable = new RouteTable.TrackEntry(Map.of(v1.name(), 100), null, v1.name(), null, List.of());
        assertThatThrownBy(() -> CanaryTrafficChange.route(track, beta, stable, List.of(v1)))
                .isInstanceOf(UserInputException.class).hasMessageContaining("has no canary");
        assertThatThrownBy(() -> CanaryTrafficChange.mirror(track, 5, stable, List.of(v1)))
                .isInstanceOf(UserInputException.class).hasMessageContaining("has no canary");
        assertThatThrownBy(() -> CanaryTrafficChange.route(track, beta, null, List.of()))
                .isInstanceOf(UserInputException.class);
        // the canary's deploy has not finished: its service does not exist
        assertThatThrownBy(() -> CanaryTrafficChange.route(track, beta, canary, List.of(v1)))
                .isInstanceOf(UserInputException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> CanaryTrafficChange.mirror(track, 101, canary, List.of(v1, v2)))
                .isInstanceOf(UserInputException.class);
        // clearing what is not there changes nothing
        assertThat(CanaryTrafficChange.route(track, List.of(), stable, List.of(v1))).isEqualTo(stable);
        assertThat(CanaryTrafficChange.mirror(track, 0, null, List.of())).isNull();
    }

    @Test
    void aShiftKeepsThemAPromoteOrARollbackDropsThem() {
        var both = CanaryTrafficChange.mirror(track, 10, CanaryTrafficChange.route(track, beta, canary, List.of(v1, v2)),
                List.of(v1, v2));
        var shifted = TrafficShift.entry(track, List.of(v1, v2), both, 25, null);
        assertThat(shifted.match()).isEqualTo(both.match());
        assertThat(shifted.mirror()).isEqualTo(10);
        var promoted = Lifecycle.promote(track, shifted, List.of(v1, v2));
        assertThat(promoted.match()).isEmpty();
        assertThat(promoted.mirror()).isNull();
        var rolledBack = Lifecycle.rollback(track, shifted, List.of(v1, v2));
        assertThat(rolledBack.match()).isEmpty();
        assertThat(rolledBack.mirror()).isNull();
        // a new canary replacing this one does not inherit its audience
        var replaced = Lifecycle.claim(track, v3.name(), "1.0.3", shifted, List.of(v1, v2), true);
        assertThat(replaced.match()).isEmpty();
        assertThat(replaced.mirror()).isNull();
    }

    @Test
    void anAbMatchOnACanaryAtZeroWaitsForEnvoyToFindItsTasks() {
        var routed = CanaryTrafficChange.route(track, beta, canary, List.of(v1, v2));
        assertThat(EdgeManager.gainingTraffic(List.of(v1, v2), canary, routed)).containsExactly(v2.name());
        assertThat(EdgeManager.gainingTraffic(List.of(v1, v2), routed, routed)).isEmpty();
    }

    @Test
    void thePlannerGivesTheRendererTheCanarysTrafficOnlyWhileTheCanaryRuns() {
        var both = CanaryTrafficChange.mirror(track, 10, CanaryTrafficChange.route(track, beta, canary, List.of(v1, v2)),
                List.of(v1, v2));
        var traffic = EdgePlanner.canaryTraffic("files-webdev", both, List.of(v1, v2), new java.util.ArrayList<>());
        assertThat(traffic.service()).isEqualTo(v2.name());
        assertThat(traffic.matches()).hasSize(2);
        assertThat(traffic.mirrorPercent()).isEqualTo(10);
        assertThat(EdgePlanner.canaryTraffic("files-webdev", both, List.of(v1), new java.util.ArrayList<>())).isNull();
        assertThat(EdgePlanner.canaryTraffic("files-webdev", canary, List.of(v1, v2), new java.util.ArrayList<>())).isNull();
    }

    @Test
    void aStoredMatchThatNoLongerReadsLeavesThatTrackOnItsWeightsAndEveryOtherTrackServed() {
        var stale = new RouteTable.TrackEntry(both().weights(), both().canary(), both().stable(), both().previous(),
                both().retiring(), List.of("header:x-r~a{64}"), null);
        List<String> warnings = new java.util.ArrayList<>();
        assertThat(EdgePlanner.canaryTraffic("files-webdev", stale, List.of(v1, v2), warnings)).isNull();
        assertThat(warnings).singleElement().asString().contains("files-webdev").contains("no longer reads").contains("--clear");
    }

    private RouteTable.TrackEntry both() {
        return CanaryTrafficChange.route(track, beta, canary, List.of(v1, v2));
    }
}
