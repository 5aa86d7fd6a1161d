package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LifecycleTest {
    private final Track track = new Track("files", "webdev");
    private final ServiceInfo v1 = release("1.0.1", "2026-01-01T00:00:00Z");
    private final ServiceInfo v2 = release("1.0.2", "2026-01-02T00:00:00Z");
    private final ServiceInfo v3 = release("1.0.3", "2026-01-03T00:00:00Z");

    private static ServiceInfo release(String version, String created) {
        String name = "files-webdev-" + version.replace('.', '_');
        return new ServiceInfo("id-" + name, name, 1, Map.of(Labels.VERSION, version), "img", 1, List.of(), List.of(), created);
    }

    @Test
    void theFirstReleaseIsClaimedThenTakesAllTraffic() {
        var claimed = Lifecycle.claim(track, v1.name(), "1.0.1", null, List.of(), false);
        assertThat(claimed.canary()).isEqualTo(v1.name());
        assertThat(Lifecycle.phase(claimed, List.of()).describe()).isEqualTo("canary at 0% (not deployed yet)");
        var routed = Lifecycle.afterDeploy(v1.name(), claimed, List.of(v1));
        assertThat(routed.weights()).containsExactlyEntriesOf(Map.of(v1.name(), 100));
        assertThat(routed.stable()).isEqualTo(v1.name());
        assertThat(routed.canary()).isNull();
        assertThat(Lifecycle.phase(routed, List.of(v1)).describe()).isEqualTo("stable");
    }

    @Test
    void aLaterReleaseIsTheCanaryAtZeroAndTheStableKeepsEverything() {
        var stable = new RouteTable.TrackEntry(Map.of(v1.name(), 100), null, v1.name(), null, List.of());
        var claimed = Lifecycle.claim(track, v2.name(), "1.0.2", stable, List.of(v1), false);
        assertThat(claimed.weights()).containsEntry(v1.name(), 100).containsEntry(v2.name(), 0);
        assertThat(claimed.canary()).isEqualTo(v2.name());
        assertThat(Lifecycle.afterDeploy(v2.name(), claimed, List.of(v1, v2))).isEqualTo(claimed);
        assertThat(Lifecycle.phase(claimed, List.of(v1, v2)).describe()).isEqualTo("canary at 0%");
        // re-running the same deploy, or deploying the stable again, changes nothing
        assertThat(Lifecycle.claim(track, v2.name(), "1.0.2", claimed, List.of(v1, v2), false)).isSameAs(claimed);
        assertThat(Lifecycle.claim(track, v1.name(), "1.0.1", stable, List.of(v1), false)).isSameAs(stable);
    }

    @Test
    void aTrackHoldsOneCanaryUnlessReplaced() {
        var canary = new RouteTable.TrackEntry(Map.of(v1.name(), 75, v2.name(), 25), v2.name(), v1.name(), null, List.of());
        assertThatThrownBy(() -> Lifecycle.claim(track, v3.name(), "1.0.3", canary, List.of(v1, v2), false))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("already has a canary: files-webdev-1_0_2 at 25%")
                .hasMessageContaining("--replace-canary");
        var replaced = Lifecycle.claim(track, v3.name(), "1.0.3", canary, List.of(v1, v2), true);
        assertThat(replaced.canary()).isEqualTo(v3.name());
        assertThat(replaced.retiring()).containsExactly(v2.name());
        assertThat(replaced.weights()).containsEntry(v1.name(), 100).containsEntry(v3.name(), 0).doesNotContainKey(v2.name());
    }

    @Test
    void promoteKeepsTheOldStableAsRollbackTargetAndIsIdempotent() {
        var canary = new RouteTable.TrackEntry(Map.of(v1.name(), 50, v2.name(), 50), v2.name(), v1.name(), null, List.of());
        var promoted = Lifecycle.promote(track, canary, List.of(v1, v2));
        assertThat(promoted.weights()).containsEntry(v2.name(), 100).containsEntry(v1.name(), 0);
        assertThat(promoted.stable()).isEqualTo(v2.name());
        assertThat(promoted.previous()).isEqualTo(v1.name());
        assertThat(promoted.canary()).isNull();
        assertThat(Lifecycle.phase(promoted, List.of(v1, v2)).describe()).isEqualTo("promoted");
        assertThat(Lifecycle.promote(track, promoted, List.of(v1, v2))).isSameAs(promoted);
        var stable = new RouteTable.TrackEntry(Map.of(v1.name(), 100), null, v1.name(), null, List.of());
        assertThatThrownBy(() -> Lifecycle.promote(track, stable, List.of(v1)))
                .isInstanceOf(UserInputException.class).hasMessageContaining("no canary to promote");
        var notDeployed = new RouteTable.TrackEntry(Map.of(v1.name(), 100, v2.name(), 0), v2.name(), v1.name(), null, List.of());
        assertThatThrownBy(() -> Lifecycle.promote(track, notDeployed, List.of(v1))).hasMessageContaining("did not finish");
    }

    @Test
    void rollbackPutsTheStableBackAndRetiresTheCanary() {
        var canary = new RouteTable.TrackEntry(Map.of(v1.name(), 75, v2.name(), 25), v2.name(), v1.name(), null, List.of());
        var rolledBack = Lifecycle.rollback(track, canary, List.of(v1, v2));
        assertThat(rolledBack.weights()).containsExactlyEntriesOf(Map.of(v1.name(), 100));
        assertThat(rolledBack.canary()).isNull();
        assertThat(rolledBack.retiring()).containsExactly(v2.name());
        assertThat(Lifecycle.phase(rolledBack, List.of(v1, v2)).describe()).isEqualTo("rolled back");
        // killed before the removal: a re-run changes no weights and finishes it
        assertThat(Lifecycle.rollback(track, rolledBack, List.of(v1, v2))).isSameAs(rolledBack);
        // removal done: a re-run still says "already rolled back" until the next deploy
        assertThat(Lifecycle.phase(rolledBack, List.of(v1)).describe()).isEqualTo("stable");
        assertThat(Lifecycle.rollback(track, rolledBack, List.of(v1))).isSameAs(rolledBack);
        var next = Lifecycle.claim(track, v3.name(), "1.0.3", rolledBack, List.of(v1), false);
        assertThat(next.retiring()).isEmpty();
        var stable = new RouteTable.TrackEntry(Map.of(v1.name(), 100), null, v1.name(), null, List.of());
        assertThatThrownBy(() -> Lifecycle.rollback(track, stable, List.of(v1)))
                .isInstanceOf(UserInputException.class).hasMessageContaining("nothing to roll back");
    }

    @Test
    void rollbackAfterPromoteBringsThePreviousStableBack() {
        var promoted = new RouteTable.TrackEntry(Map.of(v1.name(), 0, v2.name(), 100), null, v2.name(), v1.name(), List.of());
        var rolledBack = Lifecycle.rollback(track, promoted, List.of(v1, v2));
        assertThat(rolledBack.weights()).containsExactlyEntriesOf(Map.of(v1.name(), 100));
        assertThat(rolledBack.stable()).isEqualTo(v1.name());
        assertThat(rolledBack.retiring()).containsExactly(v2.name());
    }

    @Test
    void aFailedDeployFreesItsClaim() {
        var claimed = new RouteTable.TrackEntry(Map.of(v1.name(), 100, v2.name(), 0), v2.name(), v1.name(), null, List.of());
        var freed = Lifecycle.releaseClaim(v2.name(), claimed);
        assertThat(freed.canary()).isNull();
        assertThat(freed.weights()).containsExactlyEntriesOf(Map.of(v1.name(), 100));
        assertThat(Lifecycle.releaseClaim(v3.name(), claimed)).isSameAs(claimed);
    }

    @Test
    void aNewCanaryEndsTheRollbackWindowOfTheLastPromote() {
        var promoted = new RouteTable.TrackEntry(Map.of(v1.name(), 0, v2.name(), 100), null, v2.name(), v1.name(), List.of());
        var claimed = Lifecycle.claim(track, v3.name(), "1.0.3", promoted, List.of(v1, v2), false);
        // it ends once the new canary runs; while its deploy may still fail, the way back stays
        assertThat(claimed.previous()).isEqualTo(v1.name());
        assertThat(Lifecycle.afterDeploy(v3.name(), claimed, List.of(v1, v2, v3)).previous()).isNull();
        assertThat(claimed.stable()).isEqualTo(v2.name());
        assertThat(claimed.weights()).containsEntry(v2.name(), 100).containsEntry(v1.name(), 0).containsEntry(v3.name(), 0);
    }

    @Test
    void legacyEntriesWithoutAStableInferItFromTheWeights() {
        var legacy = new RouteTable.TrackEntry(Map.of(v1.name(), 90, v2.name(), 10), v2.name());
        assertThat(Lifecycle.phase(legacy, List.of(v1, v2)).stable()).isEqualTo(v1.name());
        assertThat(Lifecycle.phase(null, List.of(v1, v2)).stable()).isEqualTo(v2.name());
    }

    @Test
    void aDeployThatFailsAfterAPromoteKeepsTheWayBack() {
        var promoted = new RouteTable.TrackEntry(Map.of(v1.name(), 0, v2.name(), 100), null, v2.name(), v1.name(), List.of());
        var claimed = Lifecycle.claim(track, v3.name(), "1.0.3", promoted, List.of(v1, v2), false);
        // v3's service was never created: its claim is freed, and the promote can still be rolled back to v1
        var freed = Lifecycle.releaseClaim(v3.name(), claimed);
        assertThat(Lifecycle.phase(freed, List.of(v1, v2)).describe()).isEqualTo("promoted");
        var back = Lifecycle.rollback(track, freed, List.of(v1, v2));
        assertThat(back.weights()).containsEntry(v1.name(), 100);
        assertThat(back.retiring()).containsExactly(v2.name());
    }
}
