package io.swarmcanary.prune;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.InUseException;
import io.swarmcanary.swarm.NotFoundException;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.SecretMount;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Apply against a fake swarm: what changed since the plan is skipped, Docker's refusals are skips, not failures. */
class PruneExecutorTest {
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final PrunePolicy POLICY = new PrunePolicy(0, Duration.ofHours(1), null, null, null, false, null);
    private final FakeSwarm swarm = new FakeSwarm();
    private final PrunePlanner planner = new PrunePlanner();

    @BeforeEach
    void twoReleasesAndThreeOldSecrets() {
        Track track = new Track("files", "webdev");
        for (String name : List.of("files-webdev-a", "files-webdev-b", "files-webdev-c")) {
            Map<String, String> labels = Labels.ofTrack(track, "secret");
            swarm.secrets.put(name, new SecretInfo("id-" + name, name, labels, "2026-05-01T00:00:00Z"));
        }
        release("1.0.1", "2026-05-01T00:00:00Z", "files-webdev-a");
        release("1.0.2", "2026-05-02T00:00:00Z", "files-webdev-b");
    }

    private void release(String version, String createdAt, String secret) {
        Map<String, String> labels = Labels.ofTrack(new Track("files", "webdev"), "release");
        labels.put(Labels.VERSION, version);
        String name = "files-webdev-" + version.replace('.', '_');
        ServiceDefinition d = ServiceDefinition.replicated(name, "img:" + version, 1, labels, Map.of(), List.of(), List.of(),
                List.of(new SecretMount("id-" + secret, secret, "db")), List.of(), null, List.of());
        swarm.services.put(name, new io.swarmcanary.swarm.ServiceInfo("svc-" + name, name, 1, labels, d.image(), 1,
                List.of(secret), List.of(), createdAt));
        swarm.definitions.put(name, d);
    }

    private PrunePlan plan() {
        return planner.plan(ClusterState.read(swarm, NOW), POLICY);
    }

    private PruneExecutor.Result apply(PrunePlan plan) {
        return new PruneExecutor(swarm, planner, Clock.systemUTC(), Duration.ofMillis(10))
                .apply(plan, ClusterState.read(swarm, NOW), Optional.empty(), Progress.SILENT);
    }

    @Test
    void removesTheOldReleaseThenTheSecretsNothingMountsAnyMore() {
        PrunePlan plan = plan();
        assertThat(plan.remove()).extracting(PrunePlan.Item::name)
                .containsExactly("files-webdev-1_0_1", "files-webdev-a", "files-webdev-c");
        PruneExecutor.Result result = apply(plan);
        assertThat(result.removed()).hasSize(3);
        assertThat(result.skipped()).isEmpty();
        assertThat(swarm.services).containsOnlyKeys("files-webdev-1_0_2");
        assertThat(swarm.secrets).containsOnlyKeys("files-webdev-b");
    }

    @Test
    void aSecretThatBecameAPreviousSpecsReferenceAfterThePlanIsSkipped() {
        PrunePlan plan = plan();
        // between plan and apply, someone updates 1.0.2 onto secret c and back: c is now its rollback target
        ServiceDefinition before = swarm.definitions.get("files-webdev-1_0_2");
        swarm.previousDefinitions.put("files-webdev-1_0_2", new ServiceDefinition(before.name(), before.image(), 1, before.labels(),
                Map.of(), List.of(), List.of(), List.of(new SecretMount("id-files-webdev-c", "files-webdev-c", "db")), List.of(),
                null, List.of(), false, List.of(), List.of(), List.of()));
        PruneExecutor.Result result = apply(plan);
        assertThat(result.skipped()).singleElement().satisfies(s -> {
            assertThat(s.item().name()).isEqualTo("files-webdev-c");
            assertThat(s.reason()).contains("previous spec of service files-webdev-1_0_2");
        });
        assertThat(swarm.secrets).containsKey("files-webdev-c");
        assertThat(swarm.calls).doesNotContain("removeSecret id-files-webdev-c");
    }

    @Test
    void aReleaseThatBecameTheCanaryIsSkipped() {
        PrunePlan plan = plan();
        // a deploy claims 1.0.1 as the canary on a new edge between plan and apply
        Map<String, String> labels = new java.util.TreeMap<>(Labels.managed());
        labels.put(Labels.KIND, "edge");
        labels.put(io.swarmcanary.edge.EdgeManager.ROUTE_TABLE, io.swarmcanary.edge.RouteTable.empty().with("files-webdev",
                new io.swarmcanary.edge.RouteTable.TrackEntry(Map.of("files-webdev-1_0_2", 100, "files-webdev-1_0_1", 0),
                        "files-webdev-1_0_1")).toJson());
        swarm.services.put("envoy", new io.swarmcanary.swarm.ServiceInfo("svc-envoy", "envoy", 1, labels, "envoy", 0,
                List.of(), List.of(), "2026-01-01T00:00:00Z"));
        PruneExecutor.Result result = apply(plan);
        assertThat(result.skipped()).extracting(s -> s.item().name()).containsExactly("files-webdev-1_0_1", "files-webdev-a");
        assertThat(result.skipped().get(0).reason()).contains("canary on edge envoy");
        assertThat(swarm.services).containsKey("files-webdev-1_0_1");
    }

    @Test
    void dockersInUseAndNotFoundAreSkipsAndOtherErrorsDoNotStopTheRest() {
        swarm.removeRefusals.put("id-files-webdev-a", new InUseException("rpc error: secret 'files-webdev-a' is in use by the following service: x"));
        swarm.removeRefusals.put("id-files-webdev-c", new NotFoundException("secret not found"));
        swarm.removeRefusals.put("svc-files-webdev-1_0_1", new IllegalStateException("connection reset"));
        PruneExecutor.Result result = apply(plan());
        assertThat(result.failed()).singleElement().satisfies(f -> assertThat(f.error()).isEqualTo("connection reset"));
        assertThat(result.skipped()).extracting(s -> s.item().name() + ": " + s.reason()).containsExactly(
                "files-webdev-a: kept after all: mounted by service files-webdev-1_0_1", // its release failed to go
                "files-webdev-c: already gone");
    }

    @Test
    void inUseWithoutAnySpecMountingItIsRetriedThenReported() {
        swarm.removeRefusals.put("id-files-webdev-c", new InUseException("secret is in use by a task"));
        PruneExecutor.Result result = apply(plan());
        assertThat(result.skipped()).singleElement().satisfies(s -> assertThat(s.reason()).startsWith("Docker says it is in use"));
        assertThat(swarm.calls.stream().filter("removeSecret id-files-webdev-c"::equals).count()).isGreaterThan(1);
    }

    @Test
    void theNodeJobGetsOnlyTheImagesNoServiceRunsNow() {
        release("1.0.3", "2026-05-03T00:00:00Z", "files-webdev-b");
        PrunePolicy images = new PrunePolicy(0, Duration.ofHours(1), null, null, null, true, null);
        PrunePlan plan = planner.plan(ClusterState.read(swarm, NOW), images);
        assertThat(plan.images()).containsExactly("img:1.0.1", "img:1.0.2");
        swarm.removeRefusals.put("svc-files-webdev-1_0_2", new InUseException("in use"));
        List<List<String>> handedOver = new java.util.ArrayList<>();
        new PruneExecutor(swarm, planner, Clock.systemUTC(), Duration.ofMillis(10)).apply(plan, ClusterState.read(swarm, NOW),
                Optional.of((imgs, tracks, removed, p, progress) -> {
                    handedOver.add(imgs);
                    handedOver.add(removed);
                    return List.of();
                }), Progress.SILENT);
        assertThat(handedOver).containsExactly(List.of("img:1.0.1"), List.of("svc-files-webdev-1_0_1"));
    }
}
