package io.swarmcanary.prune;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Labels;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.ServiceReferences;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Over generated clusters (tracks on edges or not, route tables in every lifecycle phase, claims of releases not yet
 * created, secrets and configs mounted by specs and previous specs, all ages): the plan never removes the way back.
 */
class PrunePlanPropertiesTest {
    private static final Duration GRACE = Duration.ofHours(24);
    private final PrunePlanner planner = new PrunePlanner();

    /** A generated cluster and the policy to plan it with. */
    record Scenario(ClusterState state, PrunePolicy policy) {
        @Override
        public String toString() {
            return "keep " + policy.keep() + ", " + state.services().size() + " services, " + state.secrets().size()
                    + " secrets, " + state.configs().size() + " configs: " + state.services().stream().map(s -> s.name()
                    + (s.labels().containsKey(EdgeManager.ROUTE_TABLE) ? s.labels().get(EdgeManager.ROUTE_TABLE) : "")).toList();
        }
    }

    @Provide
    Arbitrary<Scenario> clusters() {
        return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(0, 7),
                Arbitraries.integers().between(0, 3), Arbitraries.longs(), Arbitraries.of(true, false))
                .as(PrunePlanPropertiesTest::generate);
    }

    static Scenario generate(int tracks, int maxReleases, int keep, long seed, boolean images) {
        Random random = new Random(seed);
        Cluster c = new Cluster();
        List<String> secretNames = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String app = "app" + random.nextInt(tracks);
            String name = app + "-env-s" + i;
            secretNames.add(name);
            c.secret(app, "env", name, Duration.ofMinutes(random.nextInt(3 * 24 * 60)));
        }
        Map<String, RouteTable> tables = new HashMap<>();
        for (int t = 0; t < tracks; t++) {
            String app = "app" + t;
            String edge = random.nextInt(3) == 0 ? null : random.nextBoolean() ? "blue" : "green";
            int n = random.nextInt(maxReleases + 1);
            List<String> names = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                List<String> mounted = pick(random, secretNames, 2);
                List<String> before = random.nextBoolean() ? pick(random, secretNames, 2) : null;
                // equal ages happen (same second): the name breaks the tie
                names.add(c.release(app, "env", "1." + v, random.nextInt(5) * 10 + (n - v), edge, mounted, before).name());
            }
            if (edge != null && random.nextInt(4) != 0) {
                List<String> candidates = new ArrayList<>(names);
                candidates.add(app + "-env-9_9"); // a claimed canary whose service does not exist (yet)
                Map<String, Integer> weights = new HashMap<>();
                for (String name : candidates) {
                    if (random.nextBoolean()) {
                        weights.put(name, random.nextInt(3) == 0 ? 0 : random.nextInt(101));
                    }
                }
                RouteTable.TrackEntry entry = new RouteTable.TrackEntry(weights, maybe(random, candidates),
                        maybe(random, candidates), maybe(random, candidates), pick(random, candidates, 2));
                tables.merge(edge, RouteTable.empty().with(app + "-env", entry),
                        (a, b) -> a.with(app + "-env", entry));
            }
        }
        for (String edge : List.of("blue", "green")) {
            if (random.nextInt(5) != 0) {
                Map<String, String> before = random.nextBoolean() ? Map.of(EdgeManager.CONFIG, edge + "-config-p" + random.nextInt(3),
                        EdgeManager.SETTINGS, Cluster.settings(edge, edge + "-template-p" + random.nextInt(3))) : null;
                c.edge(edge, tables.getOrDefault(edge, RouteTable.empty()), edge + "-config-c" + random.nextInt(3),
                        random.nextBoolean() ? edge + "-template-c" + random.nextInt(3) : null, before);
                for (int i = 0; i < 3; i++) {
                    c.config(edge + "-config-c" + i, "envoy-config", edge, Duration.ofHours(random.nextInt(72)), 10);
                    c.config(edge + "-config-p" + i, "envoy-config", edge, Duration.ofHours(random.nextInt(72)), 10);
                    c.config(edge + "-template-c" + i, "envoy-template", edge, Duration.ofHours(random.nextInt(72)), 10);
                    c.config(edge + "-template-p" + i, "envoy-template", edge, Duration.ofHours(random.nextInt(72)), 10);
                }
            }
        }
        return new Scenario(c.state(), new PrunePolicy(keep, GRACE, null, null, null, images, null));
    }

    private static List<String> pick(Random random, List<String> from, int max) {
        List<String> picked = new ArrayList<>();
        int n = from.isEmpty() ? 0 : random.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            picked.add(from.get(random.nextInt(from.size())));
        }
        return List.copyOf(new HashSet<>(picked));
    }

    private static String maybe(Random random, List<String> from) {
        return random.nextBoolean() ? from.get(random.nextInt(from.size())) : null;
    }

    @Property(tries = 500)
    void neverRemovesAReleaseWithTrafficNorTheStableCanaryOrRollbackTarget(@ForAll("clusters") Scenario s) {
        PrunePlan plan = planner.plan(s.state(), s.policy());
        Set<String> removed = new HashSet<>();
        plan.remove().stream().filter(i -> i.kind().equals(PrunePlan.RELEASE)).forEach(i -> removed.add(i.name()));
        for (ServiceReferences edge : s.state().edges()) {
            RouteTable table = RouteTable.fromJson(edge.labels().get(EdgeManager.ROUTE_TABLE));
            table.tracks().forEach((track, entry) -> {
                entry.weights().forEach((name, w) -> {
                    if (w > 0) {
                        assertThat(removed).as("release %s at weight %d", name, w).doesNotContain(name);
                    }
                });
                assertThat(removed).as("canary/stable/previous of %s", track)
                        .doesNotContain(entry.canary(), entry.stable(), entry.previous());
                List<ServiceInfo> onEdge = releasesOn(s.state(), track, edge.name());
                Lifecycle.Phase phase = Lifecycle.phase(entry, onEdge);
                assertThat(removed).doesNotContain(phase.stable(), phase.canary(), phase.previous());
                EdgeManager.effectiveWeights(onEdge.stream().filter(r -> !entry.retiring().contains(r.name())).toList(), entry)
                        .forEach((name, w) -> {
                            if (w > 0) {
                                assertThat(removed).as("release %s the edge routes at %d", name, w).doesNotContain(name);
                            }
                        });
            });
        }
        // every track keeps at least one release unless a rollback retired it
        Map<String, List<ServiceReferences>> byTrack = new HashMap<>();
        s.state().releases().forEach(r -> byTrack.computeIfAbsent(r.labels().get(Labels.TRACK), k -> new ArrayList<>()).add(r));
        byTrack.forEach((track, releases) -> {
            boolean anyRetiring = s.state().edges().stream().anyMatch(e -> {
                RouteTable.TrackEntry entry = RouteTable.fromJson(e.labels().get(EdgeManager.ROUTE_TABLE)).tracks().get(track);
                return entry != null && !entry.retiring().isEmpty();
            });
            if (!anyRetiring) {
                assertThat(releases).as("track %s keeps a release", track).anyMatch(r -> !removed.contains(r.name()));
            }
        });
    }

    @Property(tries = 500)
    void neverRemovesASecretOrConfigThatARemainingSpecOrPreviousSpecReferences(@ForAll("clusters") Scenario s) {
        PrunePlan plan = planner.plan(s.state(), s.policy());
        Set<String> removedServices = new HashSet<>();
        plan.remove().stream().filter(i -> i.kind().equals(PrunePlan.RELEASE)).forEach(i -> removedServices.add(i.id()));
        Set<String> referenced = new HashSet<>();
        for (ServiceReferences svc : s.state().services()) {
            if (removedServices.contains(svc.id())) {
                continue;
            }
            for (ServiceReferences.Refs spec : svc.previous() == null ? List.of(svc.current()) : List.of(svc.current(), svc.previous())) {
                referenced.addAll(spec.secretIds());
                referenced.addAll(spec.secretNames());
                referenced.addAll(spec.configIds());
                referenced.addAll(spec.configNames());
                referenced.add(spec.labels().get(EdgeManager.CONFIG));
                String settings = spec.labels().get(EdgeManager.SETTINGS);
                if (settings != null) {
                    referenced.add(io.swarmcanary.edge.EdgeSettings.fromJson(settings).templateConfig());
                }
            }
        }
        for (PrunePlan.Item item : plan.remove()) {
            if (item.kind().equals(PrunePlan.RELEASE)) {
                continue;
            }
            assertThat(referenced).as("%s %s", item.kind(), item.name()).doesNotContain(item.id(), item.name());
            var created = s.state().secrets().stream().filter(x -> x.id().equals(item.id())).map(x -> x.createdAt())
                    .findFirst().orElseGet(() -> s.state().configs().stream().filter(x -> x.id().equals(item.id()))
                            .map(x -> x.createdAt()).findFirst().orElseThrow());
            assertThat(java.time.Instant.parse(created).plus(GRACE)).as("age of %s", item.name()).isBefore(s.state().now());
        }
    }

    @Property(tries = 200)
    void everyObjectIsEitherRemovedOrKeptWithAReason(@ForAll("clusters") Scenario s) {
        PrunePlan plan = planner.plan(s.state(), s.policy());
        int objects = s.state().releases().size() + s.state().secrets().size() + s.state().configs().size();
        assertThat(plan.remove().size() + plan.keep().size()).isEqualTo(objects);
        assertThat(plan.keep()).allMatch(i -> plan.remove().stream().noneMatch(r -> r.id().equals(i.id())));
        assertThat(plan.remove()).allMatch(i -> i.reason() != null && !i.reason().isBlank());
        // re-planning on the state after the removals removes nothing more of the releases (the plan is a fixed point)
        Set<String> gone = new HashSet<>();
        plan.remove().forEach(i -> gone.add(i.id()));
        ClusterState after = s.state().withServices(s.state().services().stream().filter(x -> !gone.contains(x.id())).toList(),
                s.state().now());
        assertThat(planner.plan(after, s.policy()).remove()).noneMatch(i -> i.kind().equals(PrunePlan.RELEASE));
    }

    private static List<ServiceInfo> releasesOn(ClusterState state, String track, String edge) {
        return state.releases().stream()
                .filter(r -> track.equals(r.labels().get(Labels.TRACK)) && edge.equals(r.labels().get(Labels.EDGE)))
                .sorted(java.util.Comparator.comparing(ServiceReferences::createdAt).thenComparing(ServiceReferences::name))
                .map(r -> new ServiceInfo(r.id(), r.name(), 0, r.labels(), null, 0, List.of(), List.of(), r.createdAt()))
                .toList();
    }
}
