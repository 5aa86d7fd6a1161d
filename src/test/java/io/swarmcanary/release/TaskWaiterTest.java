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

    /** Three failed tasks of app-prod-1_0_1 (the waiter's limit): the error it throws. */
    private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> threeFailed(FakeSwarm swarm,
                                                                                                      TaskInfo... tasks) {
        swarm.tasksOf.put("app-prod-1_0_1", List.of(tasks));
        return assertThatThrownBy(() -> new TaskWaiter(swarm, Clock.systemUTC(), 3)
                .awaitRunning("app-prod-1_0_1", 1, Duration.ofSeconds(5), Progress.SILENT));
    }

    @Test
    void tasksStoppedByTheirHealthCheckAreNamedWithTheChecksLastOutputAndTheStartPeriodHint() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.healthChecks.put("c-ccc", new SwarmGateway.HealthCheckRun(1, "not ready yet"));

        threeFailed(swarm, failed("a", "n1", UNHEALTHY), failed("bb", "n1", UNHEALTHY), failed("ccc", "n1", UNHEALTHY))
                .hasMessageContaining("3 tasks failed")
                .hasMessageContaining("health check stopped tasks as unhealthy; its last run exited 1: not ready yet")
                .hasMessageContaining("--health-start-period (with --health-cmd the default is 60s");
    }

    @Test
    void aSecondaryNetworkErrorIsExplainedByTheHealthCheckThatFailedInTheContainer() {
        FakeSwarm swarm = new FakeSwarm();
        String sandbox = "network sandbox does not exist for container c-x";
        swarm.healthChecks.put("c-bb", new SwarmGateway.HealthCheckRun(7, ""));

        threeFailed(swarm, failed("a", "n1", sandbox), failed("bb", "n1", sandbox), failed("ccc", "n1", sandbox))
                .hasMessageContaining(sandbox)
                .hasMessageContaining("health check stopped tasks as unhealthy; its last run exited 7 with no output");
    }

    @Test
    void aTaskOnAnotherNodeIsNamedWithWhereToReadTheCheck() {
        FakeSwarm swarm = new FakeSwarm();
        threeFailed(swarm, failed("a", "n2", UNHEALTHY), failed("bb", "n2", UNHEALTHY), failed("ccc", "n3", UNHEALTHY))
                .hasMessageContaining("docker inspect --format '{{json .State.Health}}' c-ccc (on node n3)");
    }

    @Test
    void otherFailuresSayNothingAboutHealthChecks() {
        FakeSwarm swarm = new FakeSwarm();
        String crash = "task: non-zero exit (1)";
        threeFailed(swarm, failed("a", "n1", crash), failed("bb", "n1", crash), failed("ccc", "n1", crash))
                .hasMessageContaining(crash)
                .hasMessageNotContaining("health check");
    }
}
