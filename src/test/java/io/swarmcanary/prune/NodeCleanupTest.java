package io.swarmcanary.prune;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.release.Progress;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeCleanupTest {

    @Test
    void readsWhatEachNodeReportedFromTheJobsLog() {
        String logs = String.join("\n",
                "@@ node-1 containers files-webdev 2 1.5kB",
                "@@ node-2 containers files-webdev 0 0B",
                "some docker noise",
                "@@ node-1 image-deleted reg/files:1.0.1 1993000",
                "@@ node-1 image-untagged reg/files:1.0.2 0",
                "@@ node-2 image-kept reg/files:1.0.1 Error: conflict: image is being used by running container 1234",
                "@@ node-1 labelled-images 3 2.1MB",
                "@@ node-1 done",
                "@@ node-2 error container prune: permission denied");
        List<NodeCleanup.NodeReport> reports = NodeCleanup.parse(logs);
        assertThat(reports).hasSize(2);
        NodeCleanup.NodeReport one = reports.get(0);
        assertThat(one.node()).isEqualTo("node-1");
        assertThat(one.removedImages()).containsExactly("reg/files:1.0.1", "reg/files:1.0.2");
        assertThat(one.containersRemoved()).isEqualTo(2);
        assertThat(one.labelledImagesRemoved()).isEqualTo(3);
        assertThat(one.reclaimedBytes()).isEqualTo(1500 + 1_993_000 + 2_100_000);
        assertThat(one.finished()).isTrue();
        NodeCleanup.NodeReport two = reports.get(1);
        assertThat(two.keptImages()).singleElement().asString().contains("being used");
        assertThat(two.errors()).containsExactly("container prune: permission denied");
        assertThat(two.finished()).isFalse();
    }

    @Test
    void dockerSizes() {
        assertThat(NodeCleanup.bytes("0B")).isZero();
        assertThat(NodeCleanup.bytes("512B")).isEqualTo(512);
        assertThat(NodeCleanup.bytes("1.993MB")).isEqualTo(1_993_000);
        assertThat(NodeCleanup.bytes("2.1GB")).isEqualTo(2_100_000_000L);
        assertThat(NodeCleanup.bytes("")).isZero();
    }

    @Test
    void valuesReachTheScriptThroughTheEnvironmentOnlyAndOddOnesAreDropped() {
        FakeSwarm swarm = new FakeSwarm();
        swarm.jobLogs = "@@ fake-node done\n";
        // the fake runs no tasks: let the job finish at once
        NodeCleanup cleanup = new NodeCleanup(swarm, Clock.systemUTC());
        PrunePolicy policy = new PrunePolicy(0, Duration.ofHours(24), null, null, null, true, "team=files");
        try {
            cleanup.run("docker:27-cli", List.of("reg/files:1.0.1", "x; rm -rf /", "--force"), List.of("files-webdev"),
                    List.of("svc1"), policy, Duration.ofMillis(1), Progress.SILENT);
        } catch (IllegalStateException timeout) {
            // the fake swarm has no tasks, so the job never reports done: the job is still removed
        }
        var job = swarm.jobs.get(0);
        assertThat(job.command()).containsExactly("sh", "-c", NodeCleanup.SCRIPT);
        assertThat(job.env()).contains("PRUNE_NODE={{.Node.Hostname}}", "PRUNE_UNTIL=86400s", "PRUNE_TRACKS=files-webdev",
                "PRUNE_SERVICES=svc1", "PRUNE_IMAGES=reg/files:1.0.1", "PRUNE_IMAGE_LABEL=team=files");
        assertThat(job.binds()).containsEntry("/var/run/docker.sock", "/var/run/docker.sock");
        assertThat(swarm.services).doesNotContainKey(job.name());
        // never machine-wide: every prune in the script is narrowed by a label and the grace period
        assertThat(NodeCleanup.SCRIPT.lines().filter(l -> l.contains("docker ") && l.contains(" prune "))).hasSize(2)
                .allMatch(l -> l.contains("--filter \"label=") && l.contains("--filter \"until=$PRUNE_UNTIL\""));
    }
}
