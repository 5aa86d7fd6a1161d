package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.analysis.Analysis;
import io.swarmcanary.analysis.EnvoySource;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.analysis.Limits;
import io.swarmcanary.analysis.MetricsSource;
import io.swarmcanary.analysis.PrometheusSource;
import io.swarmcanary.analysis.ReleaseCounters;
import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.TaskInfo;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
            "",
            "Exit codes: 0 pass, 1 fail (the reason names the limit, the measured and the allowed value; with",
            "--rollback-on-fail the canary is rolled back first) or the stats could not be read (then the JSON has",
            "\"error\" and no \"verdict\"), 2 bad input or no canary to analyze (nothing changed), 3 the rollback met",
            "a concurrent change (re-run 'swarm-canary rollback'), 4 not enough data (too few canary requests).",
            "The edge's stats are read through its public port with 'Host: swarm-canary-stats' (GET /stats only;",
            "the admin port stays on 127.0.0.1 inside the Envoy container)."})
public final class AnalyzeCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    public static final int EXIT_NOT_ENOUGH_DATA = 4;

    enum Source { envoy, prometheus }

    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin EventsOption events;

    @Option(names = "--app", required = true, description = "Application, e.g. files.") String app;
    @Option(names = "--env", required = true, description = "Environment, e.g. webdev.") String env;
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
                    + " increase() over the window from --prometheus-url.") Source source;
    @Option(names = "--prometheus-url", paramLabel = "URL", description = "Prometheus scraping the edge's /stats/prometheus,"
            + " e.g. http://prometheus:9090.") String prometheusUrl;
    @Option(names = "--rollback-on-fail", description = "On 'fail', roll the canary back at once (as 'swarm-canary rollback')"
            + " and say why.") boolean rollbackOnFail;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        Track track = new Track(app, env);
        Limits limits = new Limits(minRequests, Limits.parsePercent(maxErrorRate), maxP99);
        if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
            throw new UserInputException("--window must be between 1s and 1h, got " + window.toSeconds() + "s. Nothing was changed.");
        }
        URI prometheus = prometheusUri();
        Progress progress = output.progress();
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            DockerSwarmGateway swarm = new DockerSwarmGateway(docker);
            EdgeManager edges = edgeOptions.manager(docker);
            EdgeManager.EdgeState state = edges.require(edgeOptions.edge);
            List<ServiceInfo> releases = edges.releasesByTrack(edgeOptions.edge).getOrDefault(track.name(), List.of());
            RouteTable.TrackEntry entry = state.routes().tracks().get(track.name());
            Lifecycle.Phase phase = Lifecycle.phase(entry, releases);
            if (phase.canary() == null || !phase.canaryDeployed() || phase.stable() == null) {
                throw new UserInputException("track " + track.name() + " on edge " + edgeOptions.edge + " has no canary to analyze"
                        + " (phase: " + phase.describe() + "); deploy a new version and shift traffic to it first. Nothing was changed.");
            }
            Map<String, Integer> weights = EdgeManager.effectiveWeights(releases, entry);
            String canaryVersion = Lifecycle.versionOf(releases, phase.canary());
            String stableVersion = Lifecycle.versionOf(releases, phase.stable());
            MetricsSource metrics = switch (source) {
                case envoy -> new EnvoySource(envoyEndpoints(swarm, docker, state), EdgeKey.read(swarm).orElseThrow(() ->
                        new UserInputException("this cluster has no edge key, so the edge's stats host answers no one; run"
                                + " 'swarm-canary edge ensure --edge " + edgeOptions.edge + "' with this version. Nothing was changed."))
                        ::statsToken);
                case prometheus -> new PrometheusSource(prometheus);
            };
            progress.info("analyzing " + track.name() + ": canary " + canaryVersion + " at " + weights.get(phase.canary())
                    + "% against stable " + stableVersion + " for " + window.toSeconds() + "s (source " + source + ")");
            Instant started = Instant.now();
            MetricsSource.Window measured = metrics.measure(List.of(phase.canary(), phase.stable()), window, progress);
            Analysis.ReleaseResult canary = result("canary", canaryVersion, phase.canary(), weights, measured);
            Analysis.ReleaseResult stable = result("stable", stableVersion, phase.stable(), weights, measured);
            Analysis.Result verdict = Analysis.judge(canary, stable, limits, window.toSeconds());

            Map<String, Object> json = new LinkedHashMap<>();
            json.put("track", track.name());
            json.put("verdict", verdict.verdict().name());
            json.put("reason", verdict.reason());
            json.put("breaches", verdict.breaches());
            json.put("canary", canary);
            json.put("stable", stable);
            json.put("limits", Map.of("minRequests", limits.minRequests(), "maxErrorRate", limits.maxErrorRate(),
                    "maxP99Ms", limits.maxP99().toMillis()));
            json.put("windowSeconds", window.toSeconds());
            json.put("source", source.name());
            json.put("readers", measured.readers());
            json.put("warnings", measured.warnings());
            json.put("startedAt", started.toString());
            json.put("endedAt", Instant.now().toString());
            Map<String, Object> byVersion = new LinkedHashMap<>();
            byVersion.put(stableVersion, stable);
            byVersion.put(canaryVersion, canary);
            Map<String, Integer> versionWeights = new LinkedHashMap<>();
            weights.forEach((service, w) -> versionWeights.put(Lifecycle.versionOf(releases, service), w));
            events.record("analysis", track.name(), Map.of("verdict", verdict.verdict().name(), "reason", verdict.reason(),
                    "canary", canaryVersion, "stable", stableVersion, "windowSeconds", window.toSeconds(), "source", source.name(),
                    "releases", byVersion, "weights", versionWeights));
            measured.warnings().forEach(w -> progress.info("warning: " + w));

            Canary.Step rolledBack = null;
            if (verdict.verdict() == Analysis.Verdict.fail && rollbackOnFail) {
                progress.info("analysis failed (" + verdict.reason() + "): rolling back " + canaryVersion);
                rolledBack = new Canary(swarm, edges, edgeOptions.edge).rollback(track, progress);
                Map<String, Object> rb = new LinkedHashMap<>();
                rb.put("outcome", "rolled back");
                rb.put("weights", rolledBack.weights());
                rb.put("removed", rolledBack.removed());
                rb.put("revision", rolledBack.edge().revision());
                rb.put("seconds", rolledBack.edge().seconds());
                json.put("rollback", rb);
                events.record("rollback", track.name(), Map.of("reason", "analysis failed: " + verdict.reason(),
                        "weights", rolledBack.weights(), "removed", rolledBack.removed()));
            }
            print(json, verdict, canary, stable, rolledBack, measured);
            return verdict.verdict().exitCode();
        }
    }

    private void print(Map<String, Object> json, Analysis.Result verdict, Analysis.ReleaseResult canary,
                       Analysis.ReleaseResult stable, Canary.Step rolledBack, MetricsSource.Window measured) {
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            output.printJson(out, json);
            return;
        }
        out.println(verdict.verdict().name().toUpperCase() + " " + json.get("track") + ": " + verdict.reason());
        for (Analysis.ReleaseResult r : List.of(stable, canary)) {
            out.printf("  %-6s %-12s weight %3d%%  requests %6d  failed %5d of %6d attempts  success %s  p99 %s%n",
                    r.role(), r.version(), r.weight(), r.requests(), r.failed(), r.attempts(),
                    r.successRate() == null ? "-" : String.format("%.2f%%", r.successRate() * 100),
                    r.p99Ms() == null ? "-" : String.format("%.0fms", r.p99Ms()));
        }
        if (rolledBack != null) {
            out.println("  rolled back: " + rolledBack.weights() + (rolledBack.removed().isEmpty() ? ""
                    : ", removed " + String.join(", ", rolledBack.removed())));
        } else if (verdict.verdict() == Analysis.Verdict.fail) {
            out.println("  not rolled back (no --rollback-on-fail): 'swarm-canary rollback --app " + app + " --env " + env + "'");
        }
        measured.warnings().forEach(w -> out.println("  note: " + w));
    }

    private static Analysis.ReleaseResult result(String role, String version, String service, Map<String, Integer> weights,
                                                 MetricsSource.Window measured) {
        ReleaseCounters c = measured.clusters().getOrDefault(service, ReleaseCounters.zero());
        return Analysis.ReleaseResult.of(role, version, service, weights.getOrDefault(service, 0), c);
    }

    private URI prometheusUri() {
        if (source != Source.prometheus) {
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

    /** host:port of every node running an Envoy task of the edge (the port is published in host mode on each). */
    private List<String> envoyEndpoints(DockerSwarmGateway swarm, DockerConnection docker, EdgeManager.EdgeState state) {
        int port = state.settings().port();
        if (edgeOptions.probeHost != null) {
            return List.of(edgeOptions.probeHost + ":" + port);
        }
        Map<String, String> nodes = swarm.nodeAddresses();
        String fallback = EdgeProbe.hostOf(docker.dockerHost());
        Set<String> endpoints = new LinkedHashSet<>();
        for (TaskInfo t : swarm.tasks(edgeOptions.edge)) {
            if (t.wanted() && t.running()) {
                String address = nodes.get(t.nodeId());
                endpoints.add((address == null || address.isBlank() || address.equals("0.0.0.0") ? fallback : address) + ":" + port);
            }
        }
        if (endpoints.isEmpty()) {
            throw new IllegalStateException("edge " + edgeOptions.edge + " has no running Envoy task to read stats from. Nothing was changed.");
        }
        return new ArrayList<>(endpoints);
    }
}
