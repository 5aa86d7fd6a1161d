package io.swarmcanary.cli;

import io.swarmcanary.release.StatusReader;
import io.swarmcanary.release.StatusReader.ReleaseStatus;
import io.swarmcanary.release.StatusReader.TrackStatus;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import java.io.PrintWriter;
import java.time.Clock;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status",
        description = {"Show every track (or one): its lifecycle phase on the edge (stable, canary at W%%, promoted),",
                "and per release: version, weight, replicas running/desired, health, age, secrets."},
        footer = {"", "Examples:", "  swarm-canary status", "  swarm-canary status --app files --env webdev --output json"})
public final class StatusCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;

    @Option(names = "--app", description = "Only this app (requires --env).") String app;
    @Option(names = "--env", description = "Only this environment (requires --app).") String env;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        if ((app == null) != (env == null)) {
            throw new io.swarmcanary.UserInputException("--app and --env go together: give both to select one track, or neither");
        }
        Track track = app == null ? null : new Track(app, env);
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            Map<String, Integer> weights = new HashMap<>();
            Map<String, StatusReader.Position> positions = new HashMap<>();
            var edgeManager = edgeOptions.manager(docker);
            var edge = edgeManager.read(edgeOptions.edge);
            edge.ifPresent(e -> edgeManager.releasesByTrack(edgeOptions.edge).forEach((t, releases) -> {
                RouteTable.TrackEntry entry = e.routes().tracks().get(t);
                weights.putAll(EdgeManager.effectiveWeights(Lifecycle.live(entry, releases), entry));
                Lifecycle.Phase phase = Lifecycle.phase(entry, releases);
                positions.put(t, new StatusReader.Position(phase.describe(), phase.stable(), phase.canary(), phase.previous()));
            }));
            List<TrackStatus> tracks = new StatusReader(new DockerSwarmGateway(docker), Clock.systemUTC())
                    .read(track, weights, positions);
            PrintWriter out = spec.commandLine().getOut();
            var delivery = edge.map(edgeManager::deliveryStatus);
            // tracks the edge leaves out of its config (a domain another track had first, a reserved host...)
            Map<String, String> unrouted = new java.util.TreeMap<>(edge.isEmpty() ? Map.of()
                    : edgeManager.currentPlan(edgeOptions.edge).unrouted());
            if (track != null) {
                unrouted.keySet().retainAll(List.of(track.name()));
            }
            if (output.json()) {
                Map<String, Object> json = new java.util.LinkedHashMap<>();
                json.put("tracks", tracks);
                delivery.ifPresent(d -> json.put("edge", d));
                edge.ifPresent(e -> json.put("forceCanary", e.settings().forcesCanary()));
                json.put("unrouted", unrouted);
                output.printJson(out, json);
                return 0;
            }
            delivery.ifPresent(d -> out.println(d.describe()));
            edge.ifPresent(e -> out.println("edge " + edgeOptions.edge + ": forcing the canary with a token is "
                    + (e.settings().forcesCanary() ? "on (swarm-canary canary-token)" : "off")));
            unrouted.forEach((t, why) -> out.println("track " + t + " is NOT ROUTED by edge " + edgeOptions.edge + ": " + why
                    + " (every other track is served; fix it by rolling that track back or redeploying it with other domains)"));
            if (tracks.isEmpty()) {
                out.println(track == null ? "no releases managed by swarm-canary" : "no releases of track " + track.name());
                return 0;
            }
            for (TrackStatus t : tracks) {
                out.println("track " + t.track() + " (app " + t.app() + ", env " + t.env() + ")"
                        + (edge.isPresent() ? ", edge " + edgeOptions.edge + " (delivery " + edge.get().settings().delivery() + ")" : ", no edge " + edgeOptions.edge)
                        + (t.phase() == null ? "" : ": " + t.phase()));
                out.printf("  %-32s %-12s %-7s %-9s %-9s %-8s %s%n", "RELEASE", "VERSION", "WEIGHT", "REPLICAS", "HEALTH", "AGE", "SECRETS");
                for (ReleaseStatus r : t.releases()) {
                    out.printf("  %-32s %-12s %-7s %-9s %-9s %-8s %s%n", r.service(), r.version(),
                            r.weight() == null ? "-" : r.weight() + "%",
                            r.running() + "/" + r.desired(), r.health(), age(r.ageSeconds()),
                            r.secrets().isEmpty() ? "-" : String.join(",", r.secrets()));
                }
            }
            return 0;
        }
    }

    static String age(long seconds) {
        if (seconds < 120) return seconds + "s";
        if (seconds < 7200) return seconds / 60 + "m";
        if (seconds < 172800) return seconds / 3600 + "h";
        return seconds / 86400 + "d";
    }
}
