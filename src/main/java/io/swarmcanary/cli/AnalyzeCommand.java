package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.analysis.Limits;
import io.swarmcanary.operations.AnalyzeOperation;
import io.swarmcanary.operations.AnalyzeResult;
import io.swarmcanary.release.Track;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "analyze",
        description = {
            "Compare a track's canary with its stable release over a window that starts now: requests, failed",
            "attempts (5xx, connect failures, timeouts, and the attempts Envoy retried, so retries do not hide",
            "the canary's errors), success rate and p99 latency per release, read from every Envoy task of the",
            "edge (summed) or from Prometheus. The canary passes when it answered at least --min-requests and",
            "stays within --max-error-rate and --max-p99; too few requests is 'not enough data', never a pass."},
        footer = {"", "Examples:",
            "  swarm-canary analyze --app files --env webdev                        # 60s, 1%% errors, p99 500ms",
            "  swarm-canary analyze --app files --env webdev --window 5m --min-requests 500 --max-error-rate 0.5%% --max-p99 300ms",
            "  swarm-canary analyze --app files --env webdev --rollback-on-fail --events run.jsonl --output json",
            "  swarm-canary analyze --app files --env webdev --source prometheus --prometheus-url http://prom:9090",
            "  swarm-canary analyze --app files --env webdev --traffic mirrored     # after 'mirror --percent 20'",
            "",
            "Exit codes: 0 pass, 1 fail (the reason names the limit, the measured and the allowed value; with",
            "--rollback-on-fail the canary is rolled back first) or the stats could not be read (then the JSON has",
            "\"error\" and no \"verdict\"), 2 bad input or no canary to analyze (nothing changed), 3 the rollback met",
            "a concurrent change (re-run 'swarm-canary rollback'), 4 not enough data (too few canary requests).",
            "The edge's stats are read through its public port with 'Host: swarm-canary-stats' (GET /stats only;",
            "the admin port stays on 127.0.0.1 inside the Envoy container)."})
public final class AnalyzeCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    public static final int EXIT_NOT_ENOUGH_DATA = 4;

    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;

    @Mixin TrackOptions trackOptions;
    @Option(names = "--window", defaultValue = "60s", converter = Durations.class, paramLabel = "DURATION",
            description = "How long to watch, from now (default: ${DEFAULT-VALUE}).") Duration window;
    @Option(names = "--min-requests", defaultValue = "100", paramLabel = "N",
            description = "Fewer canary requests in the window is 'not enough data' (default: ${DEFAULT-VALUE}).") long minRequests;
    @Option(names = "--max-error-rate", defaultValue = "1%", paramLabel = "PERCENT",
            description = "Most failed attempts allowed, in percent: 1%%, 0.5 (default: 1%%).") String maxErrorRate;
    @Option(names = "--max-p99", defaultValue = "500ms", converter = Durations.class, paramLabel = "DURATION",
            description = "Highest p99 upstream latency allowed, with its unit: 500ms, 2s (default: ${DEFAULT-VALUE}).") Duration maxP99;
    @Option(names = "--source", defaultValue = "envoy", paramLabel = "envoy|prometheus",
            description = "envoy: every Envoy task's stats, read before and after the window (default); prometheus:"
                    + " increase() over the window from --prometheus-url.") AnalyzeOperation.Source source;
    @Option(names = "--prometheus-url", paramLabel = "URL", description = "Prometheus scraping the edge's /stats/prometheus,"
            + " e.g. http://prometheus:9090.") String prometheusUrl;
    @Option(names = "--traffic", defaultValue = "real", paramLabel = "real|mirrored",
            description = "real: the requests the canary answers for users (its weight, 'route' audiences; default);"
                    + " mirrored: the copies 'mirror --percent' sends it, whose answers no user sees (a canary at 0%%,"
                    + " e.g. blue/green, judged under real load before it takes any).") AnalyzeOperation.Traffic traffic;
    @Option(names = "--rollback-on-fail", description = "On 'fail', roll the canary back at once (as 'swarm-canary rollback')"
            + " and say why.") boolean rollbackOnFail;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        Track track = trackOptions.track();
        Limits limits = new Limits(minRequests, Limits.parsePercent(maxErrorRate), maxP99);
        if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
            throw new UserInputException("--window must be between 1s and 1h, got " + window.toSeconds() + "s. Nothing was changed.");
        }
        URI prometheus = prometheusUri();
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            AnalyzeResult r = edgeOptions.operations(cluster).analyze().run(new AnalyzeOperation.Request(track, window, limits,
                    source, prometheus, rollbackOnFail, edgeOptions.probeHost, cluster.probeHost(), traffic),
                    events::record, output.progress());
            output.print(spec.commandLine().getOut(), r, r.text(track));
            return r.exitCode();
        }
    }

    private URI prometheusUri() {
        if (source != AnalyzeOperation.Source.prometheus) {
            if (prometheusUrl != null) {
                throw new UserInputException("--prometheus-url needs --source prometheus. Nothing was changed.");
            }
            return null;
        }
        if (prometheusUrl == null) {
            throw new UserInputException("--source prometheus needs --prometheus-url, e.g. http://prometheus:9090. Nothing was changed.");
        }
        try {
            URI uri = URI.create(prometheusUrl);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--prometheus-url '" + prometheusUrl + "' is not an http(s) URL, e.g. http://prometheus:9090."
                    + " Nothing was changed.");
        }
    }
}
