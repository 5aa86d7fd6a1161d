package io.swarmcanary.release;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When tasks die unhealthy, the error says so with the check's own output: Swarm's error alone does not tell why. */
class TaskWaiterTest {
    private static final String UNHEALTHY = "task: non-zero exit (143): dockerexec: unhealthy container";

    private static TaskInfo failed(String id, String node, String error) {
        return new TaskInfo(id, 1, node, "failed", "shutdown", "starting", error, "c-" + id, "2026-11-29T00:00:0" + id.length() + "Z");
    }

    private static TaskWaiter waiter(FakeSwarm swarm) {
        return new TaskWaiter(swarm, Clock.systemUTC(), 3);
    }

    @Test
    void tasksStoppedByTheirHealthCheckAreNamedWithTheChecksLastOutputAndTheStartPeriodHint() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.tasksOf.put("app-prod-1_0_1", List.of(failed("a", "n1", UNHEALTHY), failed("bb", "n1", UNHEALTHY),
                failed("ccc", "n1", UNHEALTHY)));
        swarm.healthChecks.put("c-ccc", new SwarmGateway.HealthCheckRun(1, "not ready yet"));

        assertThatThrownBy(() -> waiter(swarm).awaitRunning("app-prod-1_0_1", 1, Duration.ofSeconds(5), Progress.SILENT))
                .hasMessageContaining("3 tasks failed")
                .hasMessageContaining("health check stopped tasks as unhealthy; its last run exited 1: not ready yet")
                .hasMessageContaining("--health-start-period (with --health-cmd the default is 60s");
    }

    @Test
    void aSecondaryNetworkErrorIsExplainedByTheHealthCheckThatFailedInTheContainer() {
        FakeSwarm swarm = new FakeSwarm();
        String sandbox = "network sandbox does not exist for container c-x";
        swarm.tasksOf.put("app-prod-1_0_1", List.of(failed("a", "n1", sandbox), failed("bb", "n1", sandbox),
                failed("ccc", "n1", sandbox)));
        swarm.healthChecks.put("c-bb", new SwarmGateway.HealthCheckRun(7, ""));

        assertThatThrownBy(() -> waiter(swarm).awaitRunning("app-prod-1_0_1", 1, Duration.ofSeconds(5), Progress.SILENT))
                .hasMessageContaining(sandbox)
                .hasMessageContaining("health check stopped tasks as unhealthy; its last run exited 7 with no output");
    }

    @Test
    void aTaskOnAnotherNodeIsNamedWithWhereToReadTheCheck() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.tasksOf.put("app-prod-1_0_1", List.of(failed("a", "n2", UNHEALTHY), failed("bb", "n2", UNHEALTHY),
                failed("ccc", "n3", UNHEALTHY)));

        assertThatThrownBy(() -> waiter(swarm).awaitRunning("app-prod-1_0_1", 1, Duration.ofSeconds(5), Progress.SILENT))
                .hasMessageContaining("docker inspect --format '{{json .State.Health}}' c-ccc (on node n3)");
    }

    @Test
    void otherFailuresSayNothingAboutHealthChecks() {
        FakeSwarm swarm = new FakeSwarm();
        String crash = "task: non-zero exit (1)";
        swarm.tasksOf.put("app-prod-1_0_1", List.of(failed("a", "n1", crash), failed("bb", "n1", crash),
                failed("ccc", "n1", crash)));

        assertThatThrownBy(() -> waiter(swarm).awaitRunning("app-prod-1_0_1", 1, Duration.ofSeconds(5), Progress.SILENT))
                .hasMessageContaining(crash)
                .hasMessageNotContaining("health check");
    }
}
