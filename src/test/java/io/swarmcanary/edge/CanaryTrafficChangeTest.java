package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.RouteMatch;
import io.swarmcanary.envoy.StickySessions;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** route --match, mirror and shift --sticky on a track's entry: only with a canary, kept by a shift, dropped by promote and rollback. */
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

    /** shift --sticky on a track's entry: only with a canary, kept by a shift, ended by promote, rollback and a new canary. */
    @Nested
    class ShiftSticky {
        private final RouteTable.Sticky sticky = new RouteTable.Sticky("sc", 3600);
        private final TrafficShift.StickyChange on = new TrafficShift.StickyChange(sticky);
        private final byte[] key = new byte[32];

        @Test
        void aStickyShiftStoresItInTheTrackEntryAndItSurvivesItsJsonAndTheNextShift() {
            var shifted = TrafficShift.entry(track, List.of(v1, v2), canary, 20, null, on);
            assertThat(shifted.sticky()).isEqualTo(sticky);
            assertThat(shifted.weights()).isEqualTo(Map.of(v1.name(), 80, v2.name(), 20));
            RouteTable table = RouteTable.empty().with(track.name(), shifted);
            assertThat(table.toJson()).contains("\"sticky\":{\"cookie\":\"sc\",\"ttlSeconds\":3600}");
            assertThat(RouteTable.fromJson(table.toJson())).isEqualTo(table);
            // a shift without --sticky or --no-sticky keeps it; route and mirror keep it too
            var next = TrafficShift.entry(track, List.of(v1, v2), shifted, 50, null, null);
            assertThat(next.sticky()).isEqualTo(sticky);
            assertThat(CanaryTrafficChange.mirror(track, 10, next, List.of(v1, v2)).sticky()).isEqualTo(sticky);
            // --no-sticky ends it; an entry without it writes the JSON it always wrote
            var off = TrafficShift.entry(track, List.of(v1, v2), next, 50, null, TrafficShift.StickyChange.OFF);
            assertThat(off.sticky()).isNull();
            assertThat(RouteTable.empty().with(track.name(), off).toJson()).doesNotContain("sticky");
        }

        @Test
        void stickyAloneKeepsTheWeights() {
            var shifted = TrafficShift.entry(track, List.of(v1, v2), canary, 20, null, null);
            var sticky = TrafficShift.entry(track, List.of(v1, v2), shifted, null, null, on);
            assertThat(sticky.weights()).isEqualTo(shifted.weights());
            assertThat(sticky.sticky()).isEqualTo(this.sticky);
            assertThat(TrafficShift.entry(track, List.of(v1, v2), sticky, null, null, TrafficShift.StickyChange.OFF))
                    .isEqualTo(shifted);
            assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1, v2), shifted, null, null, null))
                    .isInstanceOf(UserInputException.class);
        }

        @Test
        void withoutADeployedCanaryThereIsNothingToKeepClientsOn() {
            var stable = new RouteTable.TrackEntry(Map.of(v1.name(), 100), null, v1.name(), null, List.of());
            assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1), stable, null, Map.of("1.0.1", 100), on))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("has no canary");
            assertThatThrownBy(() -> TrafficShift.entry(track, List.of(v1), canary, 20, null, on))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("does not exist");
            // turning off what is not there changes nothing
            assertThat(TrafficShift.entry(track, List.of(v1), stable, null, null, TrafficShift.StickyChange.OFF)).isEqualTo(stable);
        }

        @Test
        void promoteRollbackAndANewCanaryEndIt() {
            var sticky = TrafficShift.entry(track, List.of(v1, v2), canary, 20, null, on);
            assertThat(Lifecycle.promote(track, sticky, List.of(v1, v2)).sticky()).isNull();
            assertThat(Lifecycle.rollback(track, sticky, List.of(v1, v2)).sticky()).isNull();
            var promoted = Lifecycle.promote(track, sticky, List.of(v1, v2));
            assertThat(Lifecycle.claim(track, v3.name(), "1.0.3", promoted, List.of(v1, v2), false).sticky()).isNull();
        }

        @Test
        void cookiesGoToTheReleasesWithWeightOnlyWhileTwoHaveIt() {
            List<String> warnings = new ArrayList<>();
            AtomicInteger keyReads = new AtomicInteger();
            java.util.function.Supplier<Optional<byte[]>> namingKey = () -> {
                keyReads.incrementAndGet();
                return Optional.of(key);
            };
            var at20 = EdgePlanner.sticky(track.name(), sticky, List.of(v1, v2), Map.of(v1.name(), 80, v2.name(), 20), namingKey,
                    warnings);
            assertThat(at20.values()).containsOnlyKeys(v1.name(), v2.name());
            assertThat(at20.values().get(v2.name())).isEqualTo(StickySessions.value(key, track.name(), v2.name(), v2.id()));
            // weight 0: no cookie for the canary, and with one weighted release none at all (no route to keep anyone on)
            var at0 = EdgePlanner.sticky(track.name(), sticky, List.of(v1, v2), Map.of(v1.name(), 100, v2.name(), 0), namingKey,
                    warnings);
            assertThat(at0.values()).isEmpty();
            // a shift keeps every value: the same clients stay where they are
            var at50 = EdgePlanner.sticky(track.name(), sticky, List.of(v1, v2), Map.of(v1.name(), 50, v2.name(), 50), namingKey,
                    warnings);
            assertThat(at50.values()).isEqualTo(at20.values());
            assertThat(warnings).isEmpty();
            assertThat(keyReads.get()).isEqualTo(2);
        }

        @Test
        void withoutTheNamingKeyOrWithAStoredSettingThatNoLongerReadsTheTrackRoutesByWeightWithAWarning() {
            List<String> warnings = new ArrayList<>();
            Map<String, Integer> weights = Map.of(v1.name(), 80, v2.name(), 20);
            assertThat(EdgePlanner.sticky(track.name(), sticky, List.of(v1, v2), weights, Optional::empty, warnings)).isNull();
            assertThat(EdgePlanner.sticky(track.name(), new RouteTable.Sticky("a b", 3600), List.of(v1, v2), weights,
                    () -> Optional.of(key), warnings)).isNull();
            assertThat(warnings).hasSize(2).allSatisfy(w -> assertThat(w).contains("files-webdev").contains("by weight only"));
            // through the planner's entry point: the canary traffic is still made, matches and mirroring kept
            var entry = TrafficShift.entry(track, List.of(v1, v2), canary, 20, null, on).withCanaryTraffic(List.of(), 10);
            var traffic = EdgePlanner.canaryTraffic(track.name(), entry, List.of(v1, v2), weights, () -> Optional.of(key), warnings);
            assertThat(traffic.mirrorPercent()).isEqualTo(10);
            assertThat(traffic.sticky().values()).hasSize(2);
        }
    }
}
