package io.swarmcanary.cli;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.pipeline.NextStep;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "next",
        description = {
            "Say what a pipeline releasing VERSION of a track does next, from the cluster as it is now; changes nothing.",
            "",
            "It reads the edge's route table and the track's releases and answers: the track's phase, whether its canary",
            "is this version (claimed or running), every release's weight, and the actions left in order: 'deploy',",
            "'gate' (ask a human at the canary's weight), 'shift' (to the weight), 'promote', 'done' (nothing to do:",
            "e.g. the track's first release takes all traffic) or 'unrouted' (the edge does not route the track).",
            "A re-run of a pipeline that died resumes here: a canary left at 25% gets its 25% gate first."},
        footer = {"", "Examples:",
            "  swarm-canary next --app files --env webdev --version 1.0.10",
            "  swarm-canary next --app files --env webdev --version 1.0.10 --steps 10,50,100 --no-gates --output json",
            "", "Exit codes: 0 answered, 1 the cluster could not be read, 2 bad input."})
public final class NextCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;

    @Mixin TrackOptions trackOptions;
    @Option(names = "--version", required = true, description = "The version the pipeline releases, e.g. 1.0.10.") String version;
    @Option(names = "--steps", split = ",", defaultValue = "5,25,50,100", paramLabel = "W,W,...",
            description = "The canary's weights in percent, rising (default: ${DEFAULT-VALUE}).") List<Integer> steps = new ArrayList<>();
    @Option(names = "--no-gates", negatable = false, description = "No approval between the steps (no 'gate' actions).") boolean noGates;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        Track track = trackOptions.track();
        NextStep.steps(steps); // bad input fails before Docker is asked
        io.swarmcanary.release.Names.serviceName(track, version);
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            EdgeManager edges = edgeOptions.operations(cluster).edges();
            NextStep.Decision d = decide(edges, track);
            print(d);
            return 0;
        }
    }

    NextStep.Decision decide(EdgeManager edges, Track track) {
        var edge = edges.read(edgeOptions.edge);
        // one read of the edge and one of its releases serve this track's releases and the unrouted tracks
        java.util.Map<String, List<ServiceInfo>> releasesByTrack = edges.releasesByTrack(edgeOptions.edge);
        List<ServiceInfo> releases = releasesByTrack.getOrDefault(track.name(), List.of());
        String unrouted = edge.isEmpty() || releases.isEmpty() ? null : edges.unrouted(edge.get(), releasesByTrack).get(track.name());
        return NextStep.decide(track, version, steps, !noGates, edgeOptions.edge, edge.isPresent(),
                edge.map(e -> e.routes().tracks().get(track.name())).orElse(null), releases, unrouted);
    }

    void print(NextStep.Decision d) {
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            output.printJson(out, d);
            return;
        }
        out.println("track " + d.track() + ": " + d.phase() + (d.stable() == null ? "" : ", stable " + d.stable())
                + (d.canary() == null ? "" : ", canary " + d.canary()) + (d.weights().isEmpty() ? "" : ", weights " + d.weights()));
        out.println(d.service() + (d.canaryIsThisVersion() ? " is the track's canary" : " is not the track's canary")
                + (d.deployed() ? ", at " + d.weight() + "%" : ", not deployed"));
        out.println("next:");
        for (NextStep.Action a : d.actions()) {
            out.println("  " + a.action() + (a.weight() == null ? "" : " " + a.weight() + "%") + (a.reason() == null ? "" : "  (" + a.reason() + ")"));
        }
    }
}
