package io.swarmcanary.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pipeline's decisions ("is this my canary, at what weight, what is next") from a track's entry and releases. */
class NextStepTest {
    static final Track FILES = new Track("files", "webdev");
    static final List<Integer> STEPS = List.of(5, 25, 50, 100);
    final ServiceInfo v9 = release("1.0.9", "2026-01-01T00:00:00Z");
    final ServiceInfo v10 = release("1.0.10", "2026-01-02T00:00:00Z");

    static ServiceInfo release(String version, String created) {
        String name = "files-webdev-" + version.replace('.', '_');
        return new ServiceInfo("id-" + name, name, 1, Map.of(Labels.VERSION, version), "img", 1, List.of(), List.of(), created);
    }

    static RouteTable.TrackEntry canaryAt(int weight) {
        return new RouteTable.TrackEntry(Map.of("files-webdev-1_0_9", 100 - weight, "files-webdev-1_0_10", weight),
                "files-webdev-1_0_10", "files-webdev-1_0_9", null, List.of());
    }

    static NextStep.Decision decide(RouteTable.TrackEntry entry, List<ServiceInfo> releases, boolean gates) {
        return NextStep.decide(FILES, "1.0.10", STEPS, gates, "envoy", true, entry, releases, null);
    }

    static List<String> plan(NextStep.Decision d) {
        return d.actions().stream().map(a -> a.action() + (a.weight() == null ? "" : " " + a.weight())).toList();
    }

    @Test
    void aFreshCanaryShiftsStepByStepWithAGateAfterEach() {
        NextStep.Decision d = decide(canaryAt(0), List.of(v9, v10), true);
        assertThat(d.canaryIsThisVersion()).isTrue();
        assertThat(d.deployed()).isTrue();
        assertThat(d.weight()).isZero();
        assertThat(d.weights()).containsExactly(Map.entry("1.0.9", 100), Map.entry("1.0.10", 0));
        assertThat(d.service()).isEqualTo("files-webdev-1_0_10");
        assertThat(d.phase()).isEqualTo("canary at 0%");
        assertThat(plan(d)).containsExactly("shift 5", "gate 5", "shift 25", "gate 25", "shift 50", "gate 50", "shift 100",
                "gate 100", "promote 100");
        assertThat(d.next()).isEqualTo(d.actions().get(0));
    }

    @Test
    void withoutGatesItShiftsStraightThrough() {
        assertThat(plan(decide(canaryAt(0), List.of(v9, v10), false)))
                .containsExactly("shift 5", "shift 25", "shift 50", "shift 100", "promote 100");
    }

    @Test
    void aReRunResumesAtTheCanarysWeightWithItsGateFirst() {
        assertThat(plan(decide(canaryAt(25), List.of(v9, v10), true)))
                .containsExactly("gate 25", "shift 50", "gate 50", "shift 100", "gate 100", "promote 100");
        assertThat(plan(decide(canaryAt(100), List.of(v9, v10), true))).containsExactly("gate 100", "promote 100");
    }

    @Test
    void afterThePromoteOnlyThePromoteIsLeft() {
        var promoted = new RouteTable.TrackEntry(Map.of("files-webdev-1_0_9", 0, "files-webdev-1_0_10", 100), null,
                "files-webdev-1_0_10", "files-webdev-1_0_9", List.of());
        NextStep.Decision d = decide(promoted, List.of(v9, v10), true);
        assertThat(d.canaryIsThisVersion()).isFalse();
        assertThat(d.previous()).isEqualTo("files-webdev-1_0_9");
        assertThat(plan(d)).containsExactly("promote 100");
    }

    @Test
    void theFirstReleaseIsDone() {
        var first = new RouteTable.TrackEntry(Map.of("files-webdev-1_0_10", 100), null, "files-webdev-1_0_10", null, List.of());
        assertThat(plan(decide(first, List.of(v10), true))).containsExactly("done 100");
    }

    @Test
    void anotherCanaryOrAClaimWithoutServiceIsToldApart() {
        ServiceInfo v11 = release("1.0.11", "2026-01-03T00:00:00Z");
        var others = new RouteTable.TrackEntry(Map.of("files-webdev-1_0_9", 100, "files-webdev-1_0_11", 0),
                "files-webdev-1_0_11", "files-webdev-1_0_9", null, List.of());
        NextStep.Decision d = decide(others, List.of(v9, v11), true);
        assertThat(d.canaryIsThisVersion()).isFalse();
        assertThat(d.deployed()).isFalse();
        assertThat(d.next().action()).isEqualTo("deploy");
        assertThat(d.next().reason()).contains("the track's canary is files-webdev-1_0_11");

        // a deploy killed after its claim, before its service: the canary is this version's, not deployed
        NextStep.Decision claimed = decide(canaryAt(0), List.of(v9), true);
        assertThat(claimed.canaryIsThisVersion()).isTrue();
        assertThat(claimed.deployed()).isFalse();
        assertThat(claimed.next().action()).isEqualTo("deploy");
    }

    @Test
    void noEdgeOrAnUnroutedTrackIsUnrouted() {
        assertThat(NextStep.decide(FILES, "1.0.10", STEPS, true, "envoy", false, null, List.of(v9, v10), null).next())
                .isEqualTo(new NextStep.Action("unrouted", null, "edge envoy does not exist"));
        assertThat(NextStep.decide(FILES, "1.0.10", STEPS, true, "envoy", true, canaryAt(0), List.of(v9, v10),
                "domain files.example.com is pics-webdev's").next().reason()).isEqualTo("domain files.example.com is pics-webdev's");
    }

    @Test
    void badStepsAndVersionsAreBadInput() {
        assertThatThrownBy(() -> NextStep.steps(List.of())).isInstanceOf(UserInputException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> NextStep.steps(List.of(25, 5))).isInstanceOf(UserInputException.class).hasMessageContaining("must rise");
        assertThatThrownBy(() -> NextStep.steps(List.of(5, 5))).isInstanceOf(UserInputException.class).hasMessageContaining("must rise");
        assertThatThrownBy(() -> NextStep.steps(List.of(0, 50))).isInstanceOf(UserInputException.class).hasMessageContaining("1-100; was 0");
        assertThatThrownBy(() -> NextStep.steps(List.of(5, 101))).isInstanceOf(UserInputException.class).hasMessageContaining("was 101");
        assertThatThrownBy(() -> NextStep.decide(FILES, "1.0 10", STEPS, true, "envoy", true, null, List.of(), null))
                .isInstanceOf(UserInputException.class).hasMessageContaining("invalid --version");
    }
}
