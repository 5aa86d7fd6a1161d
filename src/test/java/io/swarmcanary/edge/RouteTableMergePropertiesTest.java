package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.ConflictException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The route-table merge under any interleaving: updates of several tracks, each possibly overtaken between its read and
 * its write by another track's update (re-read and re-applied) or by its own track's (a conflict, its change dropped).
 * Whatever the order, the final table holds every track's last change that was not refused.
 */
class RouteTableMergePropertiesTest {
    static final List<String> TRACKS = List.of("a-prod", "b-prod", "c-prod");

    /** Who gets in between an update's read and its write. */
    enum Overtaken { NOBODY, ANOTHER_TRACK, SAME_TRACK, TWO_OTHER_TRACKS }

    record Update(int track, int weight, Overtaken by, int otherTrack, int otherWeight) {}

    @Provide
    Arbitrary<List<Update>> updates() {
        Arbitrary<Update> update = Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(1, 99),
                Arbitraries.of(Overtaken.class), Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 99))
                .as(Update::new);
        return update.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 50)
    void theFinalTableIsEveryTracksLastAcceptedChange(@ForAll("updates") List<Update> updates) {
        FakeSwarm swarm = new FakeSwarm();
        EdgeProbe envoy = new EdgeProbe() {
            @Override
            public Optional<String> revision(int port) {
                return Optional.of(swarm.services.get("edge").labels().get(EdgeManager.REVISION));
            }

            @Override
            public Optional<Map<String, Long>> healthyHosts(int port, Collection<String> clusters) {
                return Optional.of(clusters.stream().collect(Collectors.toMap(c -> c, c -> 1L)));
            }
        };
        EdgeManager edges = new EdgeManager(swarm, envoy, Clock.systemUTC(), Duration.ofSeconds(2));
        edges.retryBase = Duration.ofMillis(1);
        swarm.images.add("envoy");
        edges.ensure(new EdgeSettings("edge", "envoy", 10000, List.of("edge-net"), List.of(), null, null),
                Optional.empty(), false, Progress.SILENT);
        for (String track : TRACKS) {
            String app = track.substring(0, 1);
            for (String version : List.of("1", "2")) {
                Map<String, String> labels = Labels.ofTrack(new Track(app, "prod"), "release");
                labels.put(Labels.VERSION, version);
                labels.put(Labels.PORT, "8080");
                labels.put(Labels.DOMAINS, app + ".example.com");
                labels.put(Labels.EDGE, "edge");
                swarm.createService(ServiceDefinition.replicated(track + "-" + version, "img", 1, labels, Map.of(), List.of(),
                        List.of("edge-net"), List.of(), List.of(), null, List.of()));
            }
        }

        Map<String, RouteTable.TrackEntry> intended = new HashMap<>();
        for (Update u : updates) {
            String track = TRACKS.get(u.track());
            String other = TRACKS.get((u.track() + u.otherTrack()) % TRACKS.size());
            String third = TRACKS.get((u.track() + 3 - u.otherTrack()) % TRACKS.size());
            RouteTable.TrackEntry mine = split(track, u.weight());
            Runnable between = switch (u.by()) {
                case NOBODY -> () -> {};
                case ANOTHER_TRACK -> () -> write(edges, other, split(other, u.otherWeight()), intended);
                case SAME_TRACK -> () -> write(edges, track, split(track, u.otherWeight()), intended);
                case TWO_OTHER_TRACKS -> () -> {
                    write(edges, other, split(other, u.otherWeight()), intended);
                    write(edges, third, split(third, 100 - u.otherWeight()), intended);
                };
            };
            RouteTable.TrackEntry before = intended.get(track);
            boolean[] overtaken = {false};
            swarm.beforeUpdate = SharedEdgeTest.once(() -> {
                swarm.beforeUpdate = () -> {};
                overtaken[0] = true;
                between.run();
            });
            // a change of this very track in between is a real conflict, unless it changed nothing or did the same
            boolean conflicting = u.by() == Overtaken.SAME_TRACK && !split(track, u.otherWeight()).equals(before)
                    && !split(track, u.otherWeight()).equals(mine);
            try {
                edges.updateTrack("edge", track, (current, releases) -> mine, Progress.SILENT);
                intended.put(track, mine);
                assertThat(overtaken[0] && conflicting).as("a conflicting write of the same track went unnoticed").isFalse();
            } catch (ConflictException sameTrack) {
                assertThat(overtaken[0] && conflicting).as("a conflict without a write of the same track: " + sameTrack.getMessage()).isTrue();
            }
            swarm.beforeUpdate = () -> {};
        }

        RouteTable table = RouteTable.fromJson(swarm.services.get("edge").labels().get(EdgeManager.ROUTE_TABLE));
        assertThat(table.tracks()).isEqualTo(intended);
        // and the edge serves exactly that table
        assertThat(swarm.services.get("edge").labels().get(EdgeManager.REVISION)).isEqualTo(edges.currentPlan("edge").revision());
    }

    private static void write(EdgeManager edges, String track, RouteTable.TrackEntry entry,
                              Map<String, RouteTable.TrackEntry> intended) {
        edges.updateTrack("edge", track, (current, releases) -> entry, Progress.SILENT);
        intended.put(track, entry);
    }

    private static RouteTable.TrackEntry split(String track, int canaryWeight) {
        return new RouteTable.TrackEntry(Map.of(track + "-1", 100 - canaryWeight, track + "-2", canaryWeight), track + "-2",
                track + "-1", null, List.of());
    }
}
