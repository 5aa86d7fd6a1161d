package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.edge.EdgeManager;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The control plane renders the edge again only when a read of it differs from the last one. */
class ControlPlaneLastPlanTest {
    @Test
    void theSameReadsKeepThePlanAndAnyChangeRendersAgain() {
        ControlPlaneCommand.LastPlan last = new ControlPlaneCommand.LastPlan();
        AtomicInteger renders = new AtomicInteger();
        EdgeManager.Plan[] plans = {null};
        java.util.function.Supplier<EdgeManager.Plan> render = () -> {
            renders.incrementAndGet();
            return plans[0];
        };
        last.of(List.of("edge@5", List.of("files-1.0.0@3")), "r5", render);
        last.of(List.of("edge@5", List.of("files-1.0.0@3")), "r5", render);
        assertThat(renders).hasValue(1);
        last.of(List.of("edge@6", List.of("files-1.0.0@3")), "r6", render); // a shift: the edge service's new version
        last.of(List.of("edge@6", List.of("files-1.0.0@3", "files-1.0.1@1")), "r6", render); // a new release
        last.of(List.of("edge@6", List.of("files-1.0.0@3", "files-1.0.1@1")), "r6", render);
        assertThat(renders).hasValue(3);
        assertThat(last.labelled()).isEqualTo("r6");

        // labels it refuses: the plan served and the labels it was made from stay as they were, so no CLI takes the
        // refused revision for served
        java.util.function.Supplier<EdgeManager.Plan> refused = () -> {
            throw new IllegalStateException("refused");
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> last.of(List.of("edge@7", List.of("files-1.0.0@3")), "r7",
                refused)).hasMessage("refused");
        assertThat(last.labelled()).isEqualTo("r6");
    }

    @Test
    void labelsItCannotMakeAValidConfigOfAreRefusedByTheirRevisionInItsOwnWords() {
        io.swarmcanary.xds.ControlPlane.Refused invalid = ControlPlaneCommand.refusal("r7",
                new EdgeManager.InvalidConfig("the generated Envoy config", "$.clusters[0]: name repeated"));
        assertThat(invalid.revision()).isEqualTo("r7");
        assertThat(invalid.getMessage()).isEqualTo("the generated Envoy config that this control plane renders from the"
                + " edge's labels is invalid:\n$.clusters[0]: name repeated");
        io.swarmcanary.xds.ControlPlane.Refused template = ControlPlaneCommand.refusal("r8",
                new io.swarmcanary.UserInputException("Envoy template has no HttpConnectionManager"));
        assertThat(template.getMessage()).isEqualTo("Envoy template has no HttpConnectionManager");
    }

    @Test
    void aRefusalKeepsWhyAsItsCauseAndLabelsWithoutARevisionRefuseNone() {
        EdgeManager.InvalidConfig invalid = new EdgeManager.InvalidConfig("the generated Envoy config", "name repeated");
        assertThat(ControlPlaneCommand.refusal("r7", invalid)).hasCause(invalid).hasRootCause(invalid);
        io.swarmcanary.UserInputException template = new io.swarmcanary.UserInputException("no HttpConnectionManager");
        assertThat(ControlPlaneCommand.refusal("r8", template).getCause()).isSameAs(template);
        // a blank revision label names no revision: the status then says the control plane cannot read the edge
        assertThat(ControlPlaneCommand.refusal("", invalid).revision()).isNull();
        assertThat(ControlPlaneCommand.refusal(" ", template).revision()).isNull();

        // labels that do not parse (no settings, a route table cut short), and carry a blank revision
        io.swarmcanary.testing.FakeSwarm swarm = new io.swarmcanary.testing.FakeSwarm();
        swarm.services.put("edge", new io.swarmcanary.swarm.ServiceInfo("id-edge", "edge", 1, java.util.Map.of(
                io.swarmcanary.release.Labels.KIND, io.swarmcanary.release.Labels.Kind.EDGE, EdgeManager.ROUTE_TABLE, "{",
                EdgeManager.REVISION, " "),
                "envoy", 0, List.of(), List.of(), "2026-01-01T00:00:00Z"));
        EdgeManager edges = new EdgeManager(swarm, p -> java.util.Optional.empty(), io.swarmcanary.xds.ControlPlaneClient.NONE,
                java.time.Clock.systemUTC(), java.time.Duration.ZERO);
        EdgeManager.UnreadableLabels unreadable = org.assertj.core.api.Assertions.catchThrowableOfType(
                EdgeManager.UnreadableLabels.class, () -> edges.require("edge"));
        io.swarmcanary.xds.ControlPlane.Refused refused = ControlPlaneCommand.unreadable("edge", unreadable);
        assertThat(refused.getCause()).isSameAs(unreadable);
        assertThat(refused.revision()).isNull();
        assertThat(refused.getMessage()).startsWith(unreadable.getMessage()).contains("edge ensure --edge edge");
    }
}
