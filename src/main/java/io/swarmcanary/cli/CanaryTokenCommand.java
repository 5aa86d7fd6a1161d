package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.release.Track;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "canary-token",
        description = {"Print a short-lived token that sends a request to a track's canary whatever the weights, when the",
                "edge forces canaries ('edge ensure --force-canary on'): send it in the header '"
                        + EnvoyConfigRenderer.TOKEN_HEADER + "'. A request",
                "without it, or with a wrong, expired or other track's token, is routed by weight as usual and the header",
                "never reaches the application. Forced requests go to the cluster <release>"
                        + EnvoyConfigRenderer.FORCED_SUFFIX + ", so analysis never counts",
                "them. The token is signed with the cluster's edge key (a Swarm config, readable by Docker API users",
                "only); Envoy holds only its public half. The token goes to stdout only: treat it as a password until it expires."},
        footer = {"", "Examples:",
                "  curl -H \"" + EnvoyConfigRenderer.TOKEN_HEADER + ": $(swarm-canary canary-token --app files --env webdev)\" https://files.example.com/",
                "  swarm-canary canary-token --app files --env webdev --ttl 10m",
                "  # a token for Prometheus scraping the stats host (Host swarm-canary-stats, GET /stats/prometheus),",
                "  # as its bearer token; renew it before it expires (at most 31 days)",
                "  swarm-canary canary-token --stats --ttl 30d > /etc/prometheus/edge-token"})
public final class CanaryTokenCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;

    @Option(names = "--app", description = "The track's app (with --env).") String app;
    @Option(names = "--env", description = "The track's environment (with --app).") String env;
    @Option(names = "--stats", description = "A token that reads the stats host instead (for Prometheus).") boolean stats;
    @Option(names = "--ttl", defaultValue = "1h", converter = Durations.class, paramLabel = "DURATION",
            description = "How long the token works (default: ${DEFAULT-VALUE}; at most 31 days).") Duration ttl;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        if (stats == (app != null || env != null) || (!stats && (app == null || env == null))) {
            throw new UserInputException("give --app and --env (a token forcing that track's canary) or --stats, not both."
                    + " Nothing was changed.");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(EdgeKey.MAX_TTL) > 0) {
            throw new UserInputException("--ttl must be more than 0 and at most " + EdgeKey.MAX_TTL.toDays() + " days, got "
                    + ttl.toSeconds() + "s. Nothing was changed.");
        }
        String audience = stats ? EnvoyConfigRenderer.STATS_AUDIENCE : new Track(app, env).name();
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            var ops = edgeOptions.operations(cluster);
            EdgeKey key = EdgeKey.read(ops.swarm()).orElseThrow(() -> new UserInputException("this cluster has no edge key yet;"
                    + " run 'swarm-canary edge ensure' with this version first. Nothing was changed."));
            if (!stats) {
                ops.edges().read(edgeOptions.edge).filter(e -> !e.settings().forcesCanary()).ifPresent(e -> output.progress().info(
                        "warning: edge " + edgeOptions.edge + " does not force canaries: this token routes nothing until"
                                + " 'swarm-canary edge ensure --edge " + edgeOptions.edge + " --force-canary on'"));
            }
            Instant now = Instant.now();
            String token = key.mint(audience, ttl, now);
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("token", token);
                json.put("audience", audience);
                json.put("header", EnvoyConfigRenderer.TOKEN_HEADER);
                json.put("expires", now.plus(ttl).toString());
                output.printJson(out, json);
            } else {
                out.println(token);
            }
            return 0;
        }
    }
}
