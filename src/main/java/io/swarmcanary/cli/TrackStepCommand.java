package io.swarmcanary.cli;

import io.swarmcanary.edge.Canary;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A lifecycle step on one track (promote, rollback): same options, same output. */
abstract class TrackStepCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;

    @Option(names = "--app", required = true, description = "Application, e.g. files.") String app;
    @Option(names = "--env", required = true, description = "Environment, e.g. webdev.") String env;

    abstract Canary.Step run(Canary canary, Track track, Progress progress);

    /** e.g. "promoted", "rolled back" */
    abstract String done();

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        Track track = new Track(app, env);
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            Canary canary = new Canary(new DockerSwarmGateway(docker), edgeOptions.manager(docker), edgeOptions.edge);
            Canary.Step step = run(canary, track, output.progress());
            PrintWriter out = spec.commandLine().getOut();
            boolean unchanged = "unchanged".equals(step.outcome()) && step.removed().isEmpty();
            // a rollback line also marks the moment in the report's table; a promote is a change of weights
            events.record(spec.name().equals("rollback") ? "rollback" : "weights", track.name(), Map.of(
                    "command", spec.name(), "weights", step.weights(), "removed", step.removed()));
            if (output.json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("track", step.track());
                json.put("outcome", unchanged ? "unchanged" : done());
                json.put("phase", step.phase().describe());
                json.put("stable", step.phase().stable());
                json.put("previous", step.phase().previous());
                json.put("weights", step.weights());
                json.put("removed", step.removed());
                json.put("edge", step.edge().edge());
                json.put("revision", step.edge().revision());
                json.put("seconds", step.edge().seconds());
                output.printJson(out, json);
            } else {
                out.println((unchanged ? "already " + done() + ": " : done() + " ") + step.track() + ": " + step.weights()
                        + " (phase " + step.phase().describe() + ", edge " + step.edge().edge() + ", revision "
                        + step.edge().revision() + ", " + step.edge().seconds() + "s)");
                step.removed().forEach(r -> out.println("  removed release " + r + " (its secrets stay until 'swarm-canary prune')"));
                if (step.phase().previous() != null) {
                    out.println("  rollback target: " + step.phase().previous() + " (weight 0; 'swarm-canary rollback"
                            + ("envoy".equals(edgeOptions.edge) ? "" : " --edge " + edgeOptions.edge)
                            + " --app " + app + " --env " + env + "' puts it back)");
                }
            }
            return 0;
        }
    }
}
