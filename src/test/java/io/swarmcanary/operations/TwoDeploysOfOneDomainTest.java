package io.swarmcanary.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.ConflictException;
import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.Track;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two teams deploy new tracks with one domain at the same time: both pass the preflight (neither release exists yet).
 * The track whose release was created first keeps the domain, as the planner serves it; the other deploy removes its
 * release again and fails as a conflict, instead of leaving a release that the edge never routes.
 */
class TwoDeploysOfOneDomainTest extends OneEdgeFixture {
    final Track pics = new Track("pics", "prod");
    final Track docs = new Track("docs", "prod");
    final AtomicLong clock = new AtomicLong();

    @BeforeEach
    void releasesAMillisecondApart() {
        // a zero fraction is written without it ("...:00Z"), as Instant writes it
        swarm.createdAt = () -> Instant.parse("2026-12-02T01:00:00Z").plusMillis(clock.getAndIncrement()).toString();
    }

    ReleaseRequest request(Track track, String version, String domain) {
        return request(track, version, List.of(domain));
    }

    RouteTable.TrackEntry entry(Track track) {
        return ops.edges().read(EDGE).orElseThrow().routes().tracks().get(track.name());
    }

    @Test
    void theDeployWhoseReleaseCameSecondRemovesItAndFailsAsAConflict() {
        clock.set(0); // pics' release is created at ...:00Z, docs' at ...:00.001Z: as text, the later would sort first
        Canary.DeployPlan picsPlan = ops.canary().plan(request(pics, "1.0.0", "www.example.com"), deployer, Progress.SILENT);
        Canary.DeployPlan docsPlan = ops.canary().plan(request(docs, "1.0.0", "WWW.example.com."), deployer, Progress.SILENT);

        ops.canary().deploy(picsPlan, deployer, false, Progress.SILENT);
        assertThatThrownBy(() -> ops.canary().deploy(docsPlan, deployer, false, Progress.SILENT))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("domain www.example.com went to track pics-prod on edge " + EDGE + " while this deploy"
                        + " ran: its release pics-prod-1_0_0 was created first")
                .hasMessageContaining("Release docs-prod-1_0_0 and the secrets and configs this deploy created are removed"
                        + " again, and its canary slot on the edge freed.");

        assertThat(swarm.services).containsKey("pics-prod-1_0_0").doesNotContainKey("docs-prod-1_0_0");
        assertThat(entry(docs) == null || entry(docs).canary() == null).as("docs' claim freed").isTrue();
        assertThat(entry(pics).weights()).containsEntry("pics-prod-1_0_0", 100);
        assertThat(ops.edges().currentPlan(EDGE).warnings()).noneSatisfy(w -> assertThat(w).contains("www.example.com"));
    }

    @Test
    void aReleaseCreatedAfterThisOneDoesNotTakeItsDomain() {
        // docs' release appears right after pics' was created, before pics' deploy checks: it is the later one
        Canary.DeployPlan docsPlan = ops.canary().plan(request(docs, "1.0.0", "www.example.com"), deployer, Progress.SILENT);
        swarm.afterCreateService = name -> {
            if (name.equals("pics-prod-1_0_0")) {
                swarm.afterCreateService = n -> {};
                deployer.deploy(docsPlan.checked().toDeploy(), Progress.SILENT); // the release alone: its deploy is behind
            }
        };

        ops.canary().deploy(request(pics, "1.0.0", "www.example.com"), deployer, false, Progress.SILENT);

        assertThat(swarm.services).containsKeys("pics-prod-1_0_0", "docs-prod-1_0_0");
        assertThat(entry(pics).weights()).containsEntry("pics-prod-1_0_0", 100);
        assertThat(ops.edges().currentPlan(EDGE).warnings()).anySatisfy(w -> assertThat(w)
                .contains("track docs-prod is not routed: domain www.example.com is routed to track pics-prod, which had it first"));
    }
}
