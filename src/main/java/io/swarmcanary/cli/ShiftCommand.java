package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.edge.TrafficShift;
import io.swarmcanary.envoy.StickySessions;
import java.time.Duration;
import io.swarmcanary.operations.ShiftOperation;
import io.swarmcanary.operations.ShiftPlan;
import io.swarmcanary.operations.ShiftResult;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "shift",
        description = {
            "Move a track's traffic by weight: the canary (the newest release) gets W percent and the stable",
            "release the rest; or set every version's weight. Returns once the live Envoy serves the new",
            "weights; if it does not converge, the previous config is put back and the command fails.",
            "",
            "--sticky keeps each client on the version the weights chose for it: the answer carries a cookie (a keyed",
            "hash that names no version; HttpOnly, SameSite=Lax, Secure over HTTPS, appended to the application's own",
            "Set-Cookie), and later requests with it go to that version while it has weight. New clients are split by",
            "the weights; later shifts keep it and keep every client where it is. At weight 0 (and after a rollback,",
            "a promote or a new canary, which end it) the canary's cookie holders go to the stable on their next",
            "request. It is an affinity, not access control: a client that got the canary's cookie can keep hitting",
            "the canary (as with any sticky canary) until its cookie expires or the canary's weight is 0."},
        footer = {"", "Examples:",
            "  swarm-canary shift --app files --env webdev --weight 25        # canary 25%%, stable 75%%",
            "  swarm-canary shift --app files --env webdev --weights 1.0.9=90,1.0.10=10",
            "  swarm-canary shift --app files --env webdev --weight 50 --dry-run   # the weights it would set",
            "  swarm-canary shift --app files --env webdev --weight 20 --sticky   # clients keep their version",
            "  swarm-canary shift --app files --env webdev --weight 50 --sticky --cookie shop-v --ttl 30m",
            "  swarm-canary shift --app files --env webdev --no-sticky            # weights as they are, not sticky",
            "", "Exit codes: 0 shifted (or already so), 1 the edge did not converge (rolled back), 2 bad input",
            "(nothing changed), 3 someone else changed the edge meanwhile (re-run)."})
public final class ShiftCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;
    @Mixin DryRunOption dryRun;

    @Mixin TrackOptions trackOptions;
    @Option(names = "--weight", paramLabel = "W", description = "The canary's share, 0-100; the stable release gets 100-W.") Integer weight;
    @Option(names = "--weights", paramLabel = "VERSION=W,...", description = "Every version's weight; versions not named get 0.") String weights;
    @Option(names = "--sticky", negatable = true, description = {"Keep each client on the version the weights chose for it"
            + " (--no-sticky: stop). Without either, the track keeps what it has. Alone, the weights stay as they are."})
    Boolean sticky;
    @Option(names = "--cookie", paramLabel = "NAME", description = "The sticky cookie's name (with --sticky; default "
            + StickySessions.DEFAULT_COOKIE + ").") String cookie;
    @Option(names = "--ttl", paramLabel = "DURATION", converter = Durations.class, description = "How long a client keeps its"
            + " version: the cookie's Max-Age from the answer that set it, 1m-7d (with --sticky; default 1h); then the"
            + " weights choose again.") Duration ttl;

    /** What to make of the track's stickiness, checked before the cluster is read; null keeps it. */
    private TrafficShift.StickyChange stickyChange() {
        if (sticky == null || !sticky) {
            if (cookie != null || ttl != null) {
                throw new UserInputException("--cookie and --ttl go with --sticky. Nothing was changed.");
            }
            return sticky == null ? null : TrafficShift.StickyChange.OFF;
        }
        String name = cookie == null ? StickySessions.DEFAULT_COOKIE : cookie;
        long seconds = (ttl == null ? StickySessions.DEFAULT_TTL : ttl).toSeconds();
        StickySessions.check(name, seconds);
        return new TrafficShift.StickyChange(new RouteTable.Sticky(name, seconds));
    }

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        ShiftOperation.Request request = new ShiftOperation.Request(trackOptions.track(), weight,
                weights == null ? null : TrafficShift.parseWeights(weights), stickyChange());
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            ShiftOperation shift = edgeOptions.operations(cluster).shift();
            PrintWriter out = spec.commandLine().getOut();
            if (dryRun.dryRun) {
                ShiftPlan plan = shift.plan(request, output.progress());
                output.print(out, plan, plan.text());
                return 0;
            }
            ShiftResult r = shift.apply(request, output.progress());
            Map<String, Object> event = new java.util.HashMap<>(Map.of("command", "shift", "weights", r.weights()));
            if (sticky != null) {
                event.put("sticky", r.sticky() == null ? Map.of() : r.sticky());
            }
            events.record("weights", r.track(), event);
            output.print(out, r, r.text());
            return 0;
        }
    }
}
