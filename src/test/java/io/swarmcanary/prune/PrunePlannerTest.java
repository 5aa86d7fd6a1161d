package io.swarmcanary.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.RouteTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PrunePlannerTest {
    private static final Duration DAY = Duration.ofDays(1);
    private final Cluster cluster = new Cluster();
    private final PrunePlanner planner = new PrunePlanner();

    private static PrunePolicy keep(int n) {
        return new PrunePolicy(n, DAY, null, null, null, false, null);
    }

    private PrunePlan plan(PrunePolicy policy) {
        return planner.plan(cluster.state(), policy);
    }

    private static List<String> names(List<PrunePlan.Item> items, String kind) {
        return items.stream().filter(i -> i.kind().equals(kind)).map(PrunePlan.Item::name).toList();
    }

    private static String reason(List<PrunePlan.Item> items, String name) {
        return items.stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow().reason();
    }

    /** Five releases on an edge: 1.0.3 was promoted over 1.0.2 (kept as rollback target), 1.0.5 is the canary. */
    private void fiveReleasesWithCanary(String canary, boolean canaryDeployed) {
        for (int v = 1; v <= (canaryDeployed ? 5 : 4); v++) {
            cluster.release("files", "webdev", "1.0." + v, 100 - v * 10, "envoy", "files-webdev-db-" + v);
        }
        cluster.edge("envoy", RouteTable.empty().with("files-webdev", new RouteTable.TrackEntry(
                Map.of("files-webdev-1_0_4", 90, canary, 10), canary, "files-webdev-1_0_4", null, List.of())),
                "envoy-config-aaa", null, null);
    }

    @Test
    void keepsTrafficStableCanaryAndTheNewestOthers() {
        fiveReleasesWithCanary("files-webdev-1_0_5", true);
        PrunePlan plan = plan(keep(1));
        assertThat(names(plan.remove(), "release")).containsExactlyInAnyOrder("files-webdev-1_0_1", "files-webdev-1_0_2");
        assertThat(names(plan.keep(), "release")).containsExactly("files-webdev-1_0_5", "files-webdev-1_0_4", "files-webdev-1_0_3");
        assertThat(reason(plan.keep(), "files-webdev-1_0_5")).isEqualTo("canary on edge envoy");
        assertThat(reason(plan.keep(), "files-webdev-1_0_4")).isEqualTo("stable on edge envoy");
        assertThat(reason(plan.keep(), "files-webdev-1_0_3")).contains("--keep 1");
        assertThat(reason(plan.remove(), "files-webdev-1_0_1")).contains("weight 0").contains("--keep 1");
    }

    @Test
    void keepZeroStillKeepsTheWayBack() {
        fiveReleasesWithCanary("files-webdev-1_0_5", true);
        assertThat(names(plan(keep(0)).keep(), "release")).containsExactly("files-webdev-1_0_5", "files-webdev-1_0_4");
    }

    @Test
    void aCanaryWhoseDeployHasOnlyClaimedItsSlotIsNotCountedAgainstTheOthers() {
        fiveReleasesWithCanary("files-webdev-1_0_5", false);
        PrunePlan plan = plan(keep(1));
        assertThat(names(plan.keep(), "release")).containsExactly("files-webdev-1_0_4", "files-webdev-1_0_3");
        assertThat(names(plan.remove(), "release")).containsExactlyInAnyOrder("files-webdev-1_0_1", "files-webdev-1_0_2");
    }

    @Test
    void thePreviousStableAfterAPromoteIsNeverRemoved() {
        for (int v = 1; v <= 4; v++) {
            cluster.release("files", "webdev", "1.0." + v, 100 - v * 10, "envoy");
        }
        cluster.edge("envoy", RouteTable.empty().with("files-webdev", new RouteTable.TrackEntry(
                Map.of("files-webdev-1_0_4", 100), null, "files-webdev-1_0_4", "files-webdev-1_0_1", List.of())),
                "envoy-config-aaa", null, null);
        PrunePlan plan = plan(keep(0));
        assertThat(names(plan.keep(), "release")).containsExactly("files-webdev-1_0_4", "files-webdev-1_0_1");
        assertThat(reason(plan.keep(), "files-webdev-1_0_1")).startsWith("rollback target");
        assertThat(names(plan.remove(), "release")).containsExactlyInAnyOrder("files-webdev-1_0_2", "files-webdev-1_0_3");
    }

    @Test
    void retiredReleasesGoWhateverKeepSaysButNeverTheStable() {
        for (int v = 1; v <= 3; v++) {
            cluster.release("files", "webdev", "1.0." + v, 100 - v * 10, "envoy");
        }
        cluster.edge("envoy", RouteTable.empty().with("files-webdev", new RouteTable.TrackEntry(
                Map.of("files-webdev-1_0_1", 100), null, "files-webdev-1_0_1", null, List.of("files-webdev-1_0_3", "files-webdev-1_0_1"))),
                "envoy-config-aaa", null, null);
        PrunePlan plan = plan(keep(5));
        assertThat(names(plan.remove(), "release")).containsExactly("files-webdev-1_0_3");
        assertThat(reason(plan.remove(), "files-webdev-1_0_3")).contains("retired");
        assertThat(names(plan.keep(), "release")).containsExactly("files-webdev-1_0_2", "files-webdev-1_0_1");
    }

    @Test
    void aTrackNoEdgeRoutesKeepsItsNewestAndTheNewestOthers() {
        for (int v = 1; v <= 4; v++) {
            cluster.release("batch", "prod", "2." + v, 100 - v * 10, null);
        }
        PrunePlan plan = plan(keep(1));
        assertThat(names(plan.keep(), "release")).containsExactly("batch-prod-2_4", "batch-prod-2_3");
        assertThat(reason(plan.keep(), "batch-prod-2_4")).contains("newest");
        assertThat(names(plan(keep(0)).keep(), "release")).containsExactly("batch-prod-2_4");
    }

    @Test
    void aReleaseOnAnEdgeWithoutRouteTableEntryKeepsWhatTheEdgeWouldRoute() {
        cluster.release("files", "webdev", "1.0.1", 50, "envoy");
        cluster.release("files", "webdev", "1.0.2", 40, "envoy");
        cluster.edge("envoy", RouteTable.empty(), "envoy-config-aaa", null, null);
        assertThat(names(plan(keep(0)).keep(), "release")).containsExactly("files-webdev-1_0_2"); // the edge gives it 100
    }

    @Test
    void secretsMountedBySpecOrPreviousSpecStayAndThoseOfRemovedReleasesGo() {
        cluster.release("files", "webdev", "1.0.1", 50, null, "files-webdev-db-a");
        cluster.release("files", "webdev", "1.0.2", 40, null, List.of("files-webdev-db-c"), List.of("files-webdev-db-b"));
        cluster.secret("files", "webdev", "files-webdev-db-a", Duration.ofDays(3));
        cluster.secret("files", "webdev", "files-webdev-db-b", Duration.ofDays(3));
        cluster.secret("files", "webdev", "files-webdev-db-c", Duration.ofDays(3));
        cluster.secret("files", "webdev", "files-webdev-db-orphan", Duration.ofDays(3));
        cluster.secret("files", "webdev", "files-webdev-db-new", Duration.ofHours(1));
        PrunePlan plan = plan(keep(0));
        assertThat(names(plan.remove(), "secret")).containsExactlyInAnyOrder("files-webdev-db-a", "files-webdev-db-orphan");
        assertThat(reason(plan.remove(), "files-webdev-db-a")).contains("only release files-webdev-1_0_1 (removed by this prune)");
        assertThat(reason(plan.keep(), "files-webdev-db-b")).contains("previous spec of service files-webdev-1_0_2");
        assertThat(reason(plan.keep(), "files-webdev-db-c")).contains("mounted by service files-webdev-1_0_2");
        assertThat(reason(plan.keep(), "files-webdev-db-new")).contains("--older-than 1d").contains("created 1h ago");
        // keep 1: release 1.0.1 stays, so its secret does
        assertThat(names(plan(keep(1)).remove(), "secret")).containsExactly("files-webdev-db-orphan");
    }

    @Test
    void edgeConfigsAndTemplatesNamedNowOrBeforeTheLastUpdateStay() {
        Map<String, String> before = new TreeMap<>(Map.of(EdgeManager.CONFIG, "envoy-config-old",
                EdgeManager.SETTINGS, Cluster.settings("envoy", "envoy-template-old")));
        cluster.edge("envoy", RouteTable.empty(), "envoy-config-now", "envoy-template-now", before);
        cluster.config("envoy-config-now", "envoy-config", "envoy", Duration.ofDays(2), 100);
        cluster.config("envoy-config-old", "envoy-config", "envoy", Duration.ofDays(3), 100);
        cluster.config("envoy-config-older", "envoy-config", "envoy", Duration.ofDays(4), 1234);
        cluster.config("envoy-template-now", "envoy-template", "envoy", Duration.ofDays(2), 10);
        cluster.config("envoy-template-old", "envoy-template", "envoy", Duration.ofDays(3), 10);
        cluster.config("envoy-template-older", "envoy-template", "envoy", Duration.ofDays(4), 10);
        PrunePlan plan = plan(keep(2));
        assertThat(plan.remove()).extracting(PrunePlan.Item::name).containsExactlyInAnyOrder("envoy-config-older", "envoy-template-older");
        assertThat(plan.bytes()).isEqualTo(1244);
        assertThat(reason(plan.keep(), "envoy-template-now")).isEqualTo("template of edge envoy");
        assertThat(reason(plan.keep(), "envoy-template-old")).isEqualTo("template of edge envoy before its last update");
        assertThat(reason(plan.keep(), "envoy-config-old")).isEqualTo("config of edge envoy before its last update");
    }

    @Test
    void anEdgesCertificatesStayWhileItsSettingsNameThemEvenWithNoServiceMountingThem() {
        // over SDS the control plane mounts them; while it is being replaced only the edge's settings name them
        io.swarmcanary.edge.EdgeSettings https = io.swarmcanary.edge.EdgeSettings.fromJson(Cluster.settings("envoy", null))
                .withHttps(new io.swarmcanary.edge.EdgeSettings.Https(443, new TreeMap<>(Map.of("shop.test",
                        new io.swarmcanary.edge.EdgeSettings.Certificate("envoy-tls-crt-aaa", "envoy-tls-key-bbb"))), true, null));
        cluster.edge("envoy", RouteTable.empty(), "envoy-config-now", null, new TreeMap<>(Map.of(EdgeManager.SETTINGS, https.toJson())));
        for (String name : List.of("envoy-tls-crt-aaa", "envoy-tls-key-bbb", "envoy-tls-crt-old")) {
            cluster.secrets.add(new io.swarmcanary.swarm.SecretInfo("id-" + name, name, Map.of(io.swarmcanary.release.Labels.MANAGED_BY,
                    io.swarmcanary.release.Labels.MANAGER, io.swarmcanary.release.Labels.EDGE, "envoy"),
                    Cluster.ago(Duration.ofDays(3)).toString()));
        }
        PrunePlan plan = plan(keep(0));
        assertThat(names(plan.remove(), "secret")).containsExactly("envoy-tls-crt-old");
        assertThat(reason(plan.keep(), "envoy-tls-key-bbb")).isEqualTo("certificate of edge envoy before its last update");
    }

    @Test
    void theSecretNamingKeyOutlivesEveryRelease() {
        cluster.configs.add(new io.swarmcanary.swarm.ConfigInfo("id-key", io.swarmcanary.release.NamingKey.CONFIG,
                Map.of(io.swarmcanary.release.Labels.MANAGED_BY, io.swarmcanary.release.Labels.MANAGER, io.swarmcanary.release.Labels.KIND, io.swarmcanary.release.NamingKey.KIND), new byte[32],
                Cluster.ago(Duration.ofDays(400)).toString()));
        assertThat(plan(keep(0)).remove()).extracting(PrunePlan.Item::name)
                .doesNotContain(io.swarmcanary.release.NamingKey.CONFIG);
    }

    @Test
    void theEdgeKeyOutlivesEveryRelease() {
        cluster.configs.add(new io.swarmcanary.swarm.ConfigInfo("id-edge-key", io.swarmcanary.edge.EdgeKey.CONFIG,
                Map.of(io.swarmcanary.release.Labels.MANAGED_BY, io.swarmcanary.release.Labels.MANAGER,
                        io.swarmcanary.release.Labels.KIND, io.swarmcanary.edge.EdgeKey.KIND), new byte[32],
                Cluster.ago(Duration.ofDays(400)).toString()));
        assertThat(plan(keep(0)).remove()).extracting(PrunePlan.Item::name).doesNotContain(io.swarmcanary.edge.EdgeKey.CONFIG);
    }

    @Test
    void aTrackFilterTouchesOnlyThatTrackAndNoEdgeConfig() {
        cluster.release("files", "webdev", "1.0.1", 50, null);
        cluster.release("files", "webdev", "1.0.2", 40, null);
        cluster.release("other", "webdev", "1.0.1", 50, null);
        cluster.release("other", "webdev", "1.0.2", 40, null);
        cluster.secret("other", "webdev", "other-webdev-x", Duration.ofDays(3));
        cluster.config("envoy-config-x", "envoy-config", "envoy", Duration.ofDays(4), 1);
        PrunePlan plan = plan(new PrunePolicy(0, DAY, "files", "webdev", null, false, null));
        assertThat(plan.remove()).extracting(PrunePlan.Item::name).containsExactly("files-webdev-1_0_1");
        assertThat(plan(keep(0)).remove()).extracting(PrunePlan.Item::name)
                .containsExactlyInAnyOrder("files-webdev-1_0_1", "other-webdev-1_0_1", "other-webdev-x", "envoy-config-x");
    }

    @Test
    void anEnvFilterTouchesEveryAppInThatEnvOnly() {
        cluster.release("files", "webdev", "1.0.1", 50, null);
        cluster.release("files", "webdev", "1.0.2", 40, null);
        cluster.release("files", "prod", "1.0.1", 50, null);
        cluster.release("files", "prod", "1.0.2", 40, null);
        cluster.release("other", "webdev", "2.0.1", 50, null);
        cluster.release("other", "webdev", "2.0.2", 40, null);
        cluster.secret("files", "prod", "files-prod-x", Duration.ofDays(3));
        PrunePlan plan = plan(new PrunePolicy(0, DAY, null, "webdev", null, false, null));
        assertThat(plan.remove()).extracting(PrunePlan.Item::name).containsExactlyInAnyOrder("files-webdev-1_0_1", "other-webdev-2_0_1");
    }

    @Test
    void anEdgeFilterTouchesOnlyItsTracksAndConfigs() {
        cluster.release("files", "webdev", "1.0.1", 50, "blue");
        cluster.release("files", "webdev", "1.0.2", 40, "blue");
        cluster.release("other", "webdev", "1.0.1", 50, "green");
        cluster.release("other", "webdev", "1.0.2", 40, "green");
        cluster.edge("blue", RouteTable.empty(), "blue-config-now", null, null);
        cluster.edge("green", RouteTable.empty(), "green-config-now", null, null);
        cluster.config("blue-config-x", "envoy-config", "blue", Duration.ofDays(4), 1);
        cluster.config("green-config-x", "envoy-config", "green", Duration.ofDays(4), 1);
        PrunePlan plan = plan(new PrunePolicy(0, DAY, null, null, "blue", false, null));
        assertThat(plan.remove()).extracting(PrunePlan.Item::name).containsExactlyInAnyOrder("files-webdev-1_0_1", "blue-config-x");
    }

    @Test
    void imagesOfRemovedReleasesThatNothingElseRuns() {
        cluster.release("files", "webdev", "1.0.1", 50, null);
        cluster.release("files", "webdev", "1.0.2", 40, null);
        cluster.release("files", "webdev", "1.0.3", 30, null);
        // another service runs 1.0.1's image (with a digest): it stays
        cluster.services.add(new io.swarmcanary.swarm.ServiceReferences("svc-x", "x", Cluster.NOW.toString(),
                Cluster.refs("img/files-webdev-1_0_1@sha256:abc", Map.of(), List.of(), List.of()), null));
        PrunePlan plan = plan(new PrunePolicy(0, DAY, null, null, null, true, null));
        assertThat(plan.images()).containsExactly("img/files-webdev-1_0_2");
        assertThat(plan.containerTracks()).containsExactly("files-webdev");
    }

    private static List<String> images(io.swarmcanary.swarm.ServiceReferences removed) {
        return PrunePlanner.images(List.of(removed), java.util.Set.of(removed.id()), List.of());
    }

    @Test
    void aDigestPinnedReleaseImageIsRemovedByItsTagAndItsDigest() {
        // deploy pins name:tag@digest; a node that pulled it holds the digest reference, the node it was built on the tag
        var pinned = new io.swarmcanary.swarm.ServiceReferences("rel-p", "files-webdev-2_0_0", Cluster.NOW.toString(),
                Cluster.refs("reg:5000/files:2.0.0@sha256:abc", Map.of(), List.of(), List.of()), null);
        var images = images(pinned);
        assertThat(images).containsExactly("reg:5000/files:2.0.0", "reg:5000/files:2.0.0@sha256:abc");
        // pinned by digest only: there is no tag to remove (the bare name would mean :latest)
        assertThat(images(new io.swarmcanary.swarm.ServiceReferences("rel-q", "q", Cluster.NOW.toString(),
                Cluster.refs("reg:5000/files@sha256:abc", Map.of(), List.of(), List.of()), null)))
                .containsExactly("reg:5000/files@sha256:abc");
    }

    @Test
    void anUnreadableRouteTableStopsThePrune() {
        cluster.release("files", "webdev", "1.0.1", 50, "envoy");
        cluster.edge("envoy", RouteTable.empty(), "envoy-config-now", null, null);
        var edge = cluster.services.remove(1);
        Map<String, String> labels = new TreeMap<>(edge.labels());
        labels.put(EdgeManager.ROUTE_TABLE, "{not json");
        cluster.services.add(new io.swarmcanary.swarm.ServiceReferences(edge.id(), edge.name(), edge.createdAt(),
                Cluster.refs("envoy", labels, List.of(), List.of()), null));
        assertThatThrownBy(() -> plan(keep(0))).hasMessageContaining("nothing was removed");
    }

    @Test
    void badPolicyValuesAreRefused() {
        assertThatThrownBy(() -> keep(-1)).isInstanceOf(UserInputException.class).hasMessageContaining("--keep must be 0 or more");
        assertThatThrownBy(() -> new PrunePolicy(1, Duration.ofHours(-1), null, null, null, false, null)).isInstanceOf(UserInputException.class);
        assertThatThrownBy(() -> new PrunePolicy(1, DAY, null, null, null, true, "a b")).isInstanceOf(UserInputException.class);
        assertThatThrownBy(() -> new PrunePolicy(1, DAY, null, null, null, false, "team=x")).hasMessageContaining("only works with --images");
    }
}
