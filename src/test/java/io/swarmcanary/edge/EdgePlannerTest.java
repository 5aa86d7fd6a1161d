package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.EnvoyConfigValidator;
import io.swarmcanary.envoy.TrackRoutes;
import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.testing.FakeSwarm;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The plan's shortcuts (#19): the tree is validated instead of its YAML read back, and the YAML is written when asked for. */
class EdgePlannerTest {
    final FakeSwarm swarm = new FakeSwarm();
    final EdgeSettings xds = new EdgeSettings("edge", "envoy", 10000, List.of("edge-net"), List.of(), null, EdgeSettings.XDS,
            new EdgeSettings.Xds("cp"));
    final Map<String, List<ServiceInfo>> releases = new TreeMap<>();
    RouteTable routes = RouteTable.empty();

    EdgePlannerTest() {
        EdgeKey.of(swarm);
        for (int i = 1; i <= 3; i++) {
            track("t" + i);
        }
    }

    void track(String app) {
        List<ServiceInfo> both = new ArrayList<>();
        for (String v : List.of("1.0.0", "2.0.0")) {
            String name = app + "-prod-" + v.replace('.', '_');
            Map<String, String> labels = new HashMap<>(Map.of(Labels.APP, app, Labels.ENV, "prod", Labels.TRACK, app + "-prod",
                    Labels.VERSION, v, Labels.PORT, "8080", Labels.DOMAINS, app + ".example.com", Labels.EDGE, "edge"));
            both.add(new ServiceInfo("id-" + name, name, 1, labels, "img", 1, List.of(), List.of(), "2026-01-0" + v.charAt(0) + "T00:00:00Z"));
        }
        releases.put(app + "-prod", both);
        routes = routes.with(app + "-prod", new RouteTable.TrackEntry(Map.of(both.get(0).name(), 90, both.get(1).name(), 10),
                both.get(1).name()));
    }

    /** A third release of {@code app}'s track, deployed before such versions were refused; its service name. */
    String oddRelease(String app, String version) {
        String name = app + "-prod-" + version.replace('.', '_');
        Map<String, String> labels = new HashMap<>(releases.get(app + "-prod").get(1).labels());
        labels.put(Labels.VERSION, version);
        List<ServiceInfo> all = new ArrayList<>(releases.get(app + "-prod"));
        all.add(new ServiceInfo("id-" + name, name, 1, labels, "img", 1, List.of(), List.of(), "2026-01-03T00:00:00Z"));
        releases.put(app + "-prod", all);
        return name;
    }

    @Test
    void theYamlIsWrittenOnlyWhenAskedForAndOnce() {
        AtomicInteger writes = new AtomicInteger();
        java.util.function.Supplier<String> yaml = EdgePlanner.once(() -> "text " + writes.incrementAndGet());
        assertThat(writes).hasValue(0);
        assertThat(yaml.get()).isEqualTo("text 1");
        assertThat(yaml.get()).isEqualTo("text 1");
        assertThat(writes).hasValue(1);
    }

    @Test
    void theYamlOfAPlanIsTheValidatedConfigWithItsRevision() {
        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases);
        assertThat(new EnvoyConfigValidator().validate(plan.yaml()).problems()).isEmpty();
        assertThat(plan.yaml()).contains(EnvoyConfigRenderer.REVISION_HEADER).contains(plan.revision())
                .contains("t1-prod-2_0_0", "t2-prod-2_0_0", "t3-prod-2_0_0");
        // the revision still names the config without itself in it, as before: CLIs and control planes of other versions agree
        assertThat(new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases).revision()).isEqualTo(plan.revision());
    }

    @Test
    void aConfigEnvoyWouldRefuseIsStillRefusedWhateverTheTracks() {
        String empty = new EnvoyConfigRenderer().render(new EdgeRoutes(10000, List.of(), List.of()), Optional.empty());
        // parses and renders, but Envoy knows no such field: only validating the whole result catches it
        String template = empty + "static_resourcez: {}\n";
        assertThatThrownBy(() -> new EdgePlanner(swarm).plan(xds, routes, Optional.of(template), releases))
                .isInstanceOf(UserInputException.class).hasMessageContaining("invalid").hasMessageContaining("static_resourcez");
    }

    @Test
    void aReleaseNamedLikeACanarysForcedClusterLeavesThatTrackServedWithoutForcingNotTheEdgeRefused() {
        // version 2.0.0--forced of t1 is named t1-prod-2_0_0--forced: the forced cluster of t1's canary t1-prod-2_0_0
        String clashing = oddRelease("t1", "2.0.0--forced");
        EdgeSettings forcing = xds.withForceCanary(true);

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(forcing, routes, Optional.empty(), releases);

        assertThat(plan.warnings()).anySatisfy(w -> assertThat(w).contains("track t1-prod is served without forcing its canary")
                .contains("release " + clashing + " of track t1-prod"));
        assertThat(plan.edgeRoutes().tracks()).extracting(t -> t.name() + "=" + t.canaryService())
                .containsExactly("t1-prod=null", "t2-prod=t2-prod-2_0_0", "t3-prod=t3-prod-2_0_0");
        assertThat(plan.yaml()).contains(clashing).contains("t2-prod-2_0_0--forced");
        assertThat(new EnvoyConfigValidator().validate(plan.yaml()).problems()).isEmpty();
    }

    @Test
    void onAnEdgeWithoutAKeyNothingIsForcedSoAReleaseNamedLikeAForcedClusterClashesWithNothing() {
        String clashing = oddRelease("t1", "2.0.0--forced");
        swarm.configs.remove(EdgeKey.CONFIG); // no key: Envoy accepts no token, so no forced cluster is rendered
        EdgeSettings forcing = xds.withForceCanary(true);

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(forcing, routes, Optional.empty(), releases);

        assertThat(plan.warnings()).noneSatisfy(w -> assertThat(w).contains("without forcing"));
        assertThat(plan.edgeRoutes().tracks()).extracting(t -> t.name() + "=" + t.canaryService())
                .containsExactly("t1-prod=t1-prod-2_0_0", "t2-prod=t2-prod-2_0_0", "t3-prod=t3-prod-2_0_0");
        assertThat(plan.yaml()).contains(clashing).doesNotContain("t2-prod-2_0_0--forced");
        assertThat(new EnvoyConfigValidator().validate(plan.yaml()).problems()).isEmpty();
        assertThat(new EdgePlanner(swarm).unrouted(forcing, routes, releases)).as("status: every track routed").isEmpty();
    }

    @Test
    void aMirrorClusterNamedLikeARunningReleaseTurnsOnlyThatMirrorOff() {
        routes = routes.with("t2-prod", new RouteTable.TrackEntry(Map.of("t2-prod-1_0_0", 90, "t2-prod-2_0_0", 10),
                "t2-prod-2_0_0", "t2-prod-1_0_0", null, List.of()).withCanaryTraffic(List.of("header:x-beta=1"), 50));
        String clashing = oddRelease("t2", "2.0.0--mirror");

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases);

        assertThat(plan.warnings()).anySatisfy(w -> assertThat(w).contains("track t2-prod is served without mirroring"));
        assertThat(plan.edgeRoutes().tracks()).allSatisfy(t -> assertThat(t.mirrorCluster()).isNull());
        // the A/B audience still reaches the canary: only the mirror's name clashed
        var t2Routes = plan.edgeRoutes().tracks().stream().filter(t -> t.name().equals("t2-prod")).findFirst().orElseThrow();
        assertThat(t2Routes.canaryTraffic().matches()).extracting(Object::toString).hasSize(1);
        assertThat(plan.yaml()).contains("x-beta");
        assertThat(new EnvoyConfigValidator().validate(plan.yaml()).problems()).isEmpty();
    }

    /** Sets a label on every release of {@code track}, as a hand edit or an older deploy would have. */
    void label(String track, String label, String value) {
        releases.put(track, releases.get(track).stream().map(r -> {
            Map<String, String> labels = new HashMap<>(r.labels());
            labels.put(label, value);
            return new ServiceInfo(r.id(), r.name(), r.versionIndex(), labels, r.image(), r.replicas(), r.secretNames(), r.networkIds(),
                    r.createdAt());
        }).toList());
    }

    @Test
    void aHostTwoTracksServeOnDifferentPortsIsNamedAndServedAsBefore() {
        // made before deploy refused it: t2 serves t1's host on the plain port
        label("t2-prod", Labels.DOMAINS, "t1.example.com:10000");

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases);

        assertThat(plan.warnings()).anySatisfy(w -> assertThat(w).contains("host t1.example.com is served by tracks t1-prod"
                + " and t2-prod on different ports"));
        // rendered as every earlier build renders it: the revision stays the one a control plane of that build computes
        assertThat(plan.unrouted()).isEmpty();
        assertThat(plan.yaml()).contains("t1.example.com:10000");
        assertThat(new EnvoyConfigValidator().validate(plan.yaml()).problems()).isEmpty();
    }

    @Test
    void oneTrackMayServeItsHostOnSeveralPorts() {
        label("t1-prod", Labels.DOMAINS, "t1.example.com,t1.example.com:10000");

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases);

        assertThat(plan.unrouted()).isEmpty();
        assertThat(plan.warnings()).noneSatisfy(w -> assertThat(w).contains("different ports"));
        assertThat(plan.yaml()).contains("t1.example.com:10000");
    }

    @Test
    void aPortLabelThatIsNoNumberLeavesThatTrackOutNotTheWholeEdgeRefused() {
        label("t2-prod", Labels.PORT, "http");
        assertThat(io.swarmcanary.release.StatusReader.port(releases.get("t2-prod").get(0))).isZero(); // status goes on too

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases);

        assertThat(plan.unrouted()).containsOnlyKeys("t2-prod");
        assertThat(plan.unrouted().get("t2-prod")).contains("label " + Labels.PORT + " 'http'").contains("not a port number");
        assertThat(plan.edgeRoutes().tracks()).extracting(TrackRoutes::name).containsExactly("t1-prod", "t3-prod");
        assertThat(new EnvoyConfigValidator().validate(plan.yaml()).problems()).isEmpty();
    }

    @Test
    void releasesOfTwoAppsUnderOneTrackNameAreNamedInAWarning() {
        // app t2 env prod and app t2-pr env od: both are track t2-prod (made before deploy refused the second)
        Map<String, String> other = new HashMap<>(releases.get("t2-prod").get(1).labels());
        other.put(Labels.APP, "t2-pr");
        other.put(Labels.ENV, "od");
        List<ServiceInfo> both = new ArrayList<>(releases.get("t2-prod"));
        both.add(new ServiceInfo("id-x", "t2-prod-3_0_0", 1, other, "img", 1, List.of(), List.of(), "2026-01-03T00:00:00Z"));
        releases.put("t2-prod", both);

        EdgeManager.Plan plan = new EdgePlanner(swarm).plan(xds, routes, Optional.empty(), releases);

        assertThat(plan.warnings()).anySatisfy(w -> assertThat(w).contains("track t2-prod holds releases of app 't2' env"
                + " 'prod' and app 't2-pr' env 'od'").contains("another --app or --env"));
    }
}
