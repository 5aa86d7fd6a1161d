package io.swarmcanary.release;

import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads every managed release from the cluster and groups them by track. */
public final class StatusReader {
    private final SwarmGateway swarm;
    private final Clock clock;

    public StatusReader(SwarmGateway swarm, Clock clock) {
        this.swarm = swarm;
        this.clock = clock;
    }

    public record ReleaseStatus(String service, String version, String image, int running, int desired,
                                String health, String createdAt, long ageSeconds, int port, List<String> domains,
                                List<String> secrets, Integer weight) {}

    /** @param phase where the track is in its lifecycle on the edge ("stable", "canary at 25%", "promoted"); null without an edge */
    /**
     * @param match         the A/B matches sending requests to the canary (all must hold), as route --match specs
     * @param mirrorPercent the share of the weighted traffic mirrored to the canary, 0 for none
     * @param sticky        the sticky sessions in force ({@code shift --sticky}), absent for none
     */
    public record TrackStatus(String track, String app, String env, String phase, String stable, String canary,
                              String rollbackTarget, List<ReleaseStatus> releases, List<String> match, int mirrorPercent,
                              @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                              Sticky sticky) {}

    /** Sticky sessions: the cookie's name and its Max-Age. */
    public record Sticky(String cookie, long ttlSeconds) {}

    /** A track's lifecycle position as the edge records it, with what reaches its canary besides its weight. */
    public record Position(String phase, String stable, String canary, String rollbackTarget, List<String> match,
                           int mirrorPercent, Sticky sticky) {}

    /** @param trackFilter null for all tracks */
    public List<TrackStatus> read(Track trackFilter) {
        return read(trackFilter, Map.of(), Map.of());
    }

    /**
     * @param weights   the edge's weight per release service; releases not in it show no weight
     * @param positions the edge's lifecycle position per track; tracks not in it show none
     */
    public List<TrackStatus> read(Track trackFilter, Map<String, Integer> weights, Map<String, Position> positions) {
        List<ServiceInfo> services = swarm.services(trackFilter == null ? Labels.allReleases() : Labels.releasesOf(trackFilter));
        Map<String, List<ServiceInfo>> byTrack = Labels.byTrack(services, ServiceInfo::labels, ServiceInfo::createdAt,
                ServiceInfo::name);
        List<TrackStatus> result = new ArrayList<>();
        byTrack.forEach((track, list) -> {
            List<ReleaseStatus> releases = list.stream()
                    .map(s -> release(s, weights.get(s.name())))
                    .toList();
            ServiceInfo first = list.get(0);
            Position p = positions.getOrDefault(track, new Position(null, null, null, null, List.of(), 0, null));
            result.add(new TrackStatus(track, first.labels().get(Labels.APP), first.labels().get(Labels.ENV), p.phase(),
                    p.stable(), p.canary(), p.rollbackTarget(), releases, p.match(), p.mirrorPercent(), p.sticky()));
        });
        return result;
    }

    /** The release's port label; 0 when it is no port number (edited by hand: the edge leaves its track out and says so). */
    public static int port(ServiceInfo s) {
        String port = s.labels().getOrDefault(Labels.PORT, "0");
        return port.matches("[0-9]{1,5}") ? Integer.parseInt(port) : 0;
    }

    private ReleaseStatus release(ServiceInfo s, Integer weight) {
        List<TaskInfo> tasks = swarm.tasks(s.name());
        int running = (int) tasks.stream().filter(t -> t.wanted() && t.running()).count();
        boolean starting = tasks.stream().anyMatch(t -> t.wanted() && "starting".equals(t.state()));
        Instant oneMinuteAgo = clock.instant().minusSeconds(60);
        boolean failing = tasks.stream().anyMatch(t -> t.failed() && t.timestamp() != null
                && Instant.parse(t.timestamp()).isAfter(oneMinuteAgo));
        String health = running >= s.replicas() ? "healthy" : failing ? "failing" : starting ? "starting" : "degraded";
        long age = s.createdAt() == null ? 0 : Duration.between(Instant.parse(s.createdAt()), clock.instant()).toSeconds();
        return new ReleaseStatus(s.name(), s.labels().get(Labels.VERSION), s.image(), running, s.replicas(), health,
                s.createdAt(), age, port(s),
                Labels.domains(s.labels()), s.secretNames(), weight);
    }
}
