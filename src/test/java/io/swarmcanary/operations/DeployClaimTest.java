package io.swarmcanary.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.TaskWaiter;
import io.swarmcanary.release.Track;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A deploy's plan says whether it claims the track's canary slot; applying it claims, and a failed release frees it. */
class DeployClaimTest extends OneEdgeFixture {
    final Track files = new Track("files", "prod");

    ReleaseRequest request(String version, List<String> domains) {
        return request(files, version, domains);
    }

    RouteTable.TrackEntry entry() {
        return ops.edges().read(EDGE).orElseThrow().routes().tracks().get(files.name());
    }

    @Test
    void thePlanSaysWhetherTheDeployClaimsAndApplyingItSaysWhatItClaimed() {
        Canary.DeployPlan unrouted = ops.canary().plan(request("1.0.1", List.of()), deployer, Progress.SILENT);
        assertThat(unrouted.claims()).isFalse();
        assertThat(ops.canary().deploy(unrouted, deployer, false, Progress.SILENT).claimed()).isFalse();
        assertThat(entry()).isNull();

        Canary.DeployPlan routed = ops.canary().plan(request("1.0.2", List.of("files.example.com")), deployer, Progress.SILENT);
        assertThat(routed.claims()).isTrue();
        assertThat(swarm.services).doesNotContainKey("files-prod-1_0_2"); // planning created nothing
        assertThat(ops.canary().deploy(routed, deployer, false, Progress.SILENT).claimed()).isTrue();
        assertThat(entry().weights()).containsKey("files-prod-1_0_2"); // routed now
    }

    @Test
    void aReleaseThatCouldNotBeCreatedFreesTheSlotItsDeployClaimed() {
        ops.canary().deploy(request("1.0.1", List.of("files.example.com")), deployer, false, Progress.SILENT);
        swarm.taskError.put("files-prod-1_0_2", "No such image: app:1");
        assertThatThrownBy(() -> ops.canary().deploy(request("1.0.2", List.of("files.example.com")), deployer, false,
                Progress.SILENT)).isInstanceOf(TaskWaiter.NotReadyException.class);
        assertThat(swarm.calls).contains("createService files-prod-1_0_2", "removeService files-prod-1_0_2");
        assertThat(entry().canary()).isNull(); // freed: the next version may claim it
        assertThat(entry().weights()).isEqualTo(Map.of("files-prod-1_0_1", 100));

        swarm.taskError.clear();
        assertThat(ops.canary().deploy(request("1.0.3", List.of("files.example.com")), deployer, false, Progress.SILENT)
                .claimed()).isTrue();
        assertThat(entry().canary()).isEqualTo("files-prod-1_0_3");
    }
}
