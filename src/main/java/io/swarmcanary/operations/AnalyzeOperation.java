package io.swarmcanary.operations;

import io.swarmcanary.UserInputException;
import io.swarmcanary.analysis.Analysis;
import io.swarmcanary.analysis.EnvoySource;
import io.swarmcanary.analysis.Limits;
import io.swarmcanary.analysis.MetricsSource;
import io.swarmcanary.analysis.PrometheusSource;
import io.swarmcanary.analysis.ReleaseCounters;
import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.TaskInfo;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * analyze: the track's canary against its stable release over a window, judged against limits; on 'fail' and if asked,
 * rolled back at once.
 */
public final class AnalyzeOperation {
    private final Operations ops;

    AnalyzeOperation(Operations ops) {
        this.ops = ops;
    }

    public enum Source { envoy, prometheus }

    /** Which of the canary's requests are judged: its real ones (its weight, matches), or the copies {@code mirror} sends it. */
    public enum Traffic { real, mirrored }

    /** Where the moments of an analysis are recorded for the report. */
    @FunctionalInterface
    public interface Events {
        void record(String type, String track, Map<String, ?> fields);
    }

    /**
     * @param prometheus   the Prometheus to ask, with source prometheus
     * @param probeHost    the one host to read Envoy's stats on, or null for the node of every running Envoy task
     * @param fallbackHost a node's address when Swarm does not know it (the Docker host)
     */
    public record Request(Track track, Duration window, Limits limits, Source source, URI prometheus, boolean rollbackOnFail,
                          String probeHost, String fallbackHost, Traffic traffic) {}

    public AnalyzeResult run(Request request, Events events, Progress progress) {
        Track track = request.track();
        Duration window = request.window();
        EdgeManager.EdgeState state = ops.edges().require(ops.edge());
        List<ServiceInfo> releases = ops.edges().releasesByTrack(ops.edge()).getOrDefault(track.name(), List.of());
        RouteTable.TrackEntry entry = state.routes().tracks().get(track.name());
        Lifecycle.Phase phase = Lifecycle.phase(entry, releases);
        if (phase.canary() == null || !phase.canaryDeployed() || phase.stable() == null) {
            throw new UserInputException("track " + track.name() + " on edge " + ops.edge() + " has no canary to analyze"
                    + " (phase: " + phase.describe() + "); deploy a new version and shift traffic to it first. Nothing was changed.");
        }
        // mirrored copies are counted by the mirror's cluster (the canary's endpoints under another name), real ones by its own
        String canaryCluster = phase.canary();
        if (request.traffic() == Traffic.mirrored) {
            if (entry == null || entry.mirror() == null) {
                throw new UserInputException("track " + track.name() + " mirrors nothing to its canary, so there are no mirrored"
                        + " requests to analyze; run 'swarm-canary mirror --app " + track.app() + " --env " + track.env()
                        + " --percent P' first, or analyze its real traffic (without --traffic mirrored). Nothing was changed.");
            }
            canaryCluster = phase.canary() + EnvoyConfigRenderer.MIRROR_SUFFIX;
        }
        Map<String, Integer> weights = EdgeManager.effectiveWeights(releases, entry);
        String canaryVersion = Lifecycle.versionOf(releases, phase.canary());
        String stableVersion = Lifecycle.versionOf(releases, phase.stable());
        MetricsSource metrics = switch (request.source()) {
            case envoy -> new EnvoySource(envoyEndpoints(state, request), EdgeKey.read(ops.swarm()).orElseThrow(() ->
                    new UserInputException("this cluster has no edge key, so the edge's stats host answers no one; run"
                            + " 'swarm-canary edge ensure --edge " + ops.edge() + "' with this version. Nothing was changed."))
                    ::statsToken);
            case prometheus -> new PrometheusSource(request.prometheus());
        };
        progress.info("analyzing " + track.name() + ": canary " + canaryVersion + (request.traffic() == Traffic.mirrored
                ? " (the " + entry.mirror() + "% of the traffic mirrored to it)" : " at " + weights.get(phase.canary()) + "%")
                + " against stable " + stableVersion + " for " + window.toSeconds() + "s (source " + request.source() + ")");
        Instant started = Instant.now();
        MetricsSource.Window measured = metrics.measure(List.of(canaryCluster, phase.stable()), window, progress);
        Analysis.ReleaseResult canary = result("canary", canaryVersion, phase.canary(), canaryCluster, weights, measured);
        Analysis.ReleaseResult stable = result("stable", stableVersion, phase.stable(), phase.stable(), weights, measured);
        Analysis.Result verdict = Analysis.judge(canary, stable, request.limits(), window.toSeconds());
        if (request.traffic() == Traffic.mirrored) {
            verdict = Analysis.judgeMirrored(verdict, counters(measured, canaryCluster).responses()[3],
                    counters(measured, phase.stable()).responses()[3], request.limits());
        }
        Instant ended = Instant.now();

        Map<String, Object> byVersion = new LinkedHashMap<>();
        byVersion.put(stableVersion, stable);
        byVersion.put(canaryVersion, canary);
        Map<String, Integer> versionWeights = new LinkedHashMap<>();
        weights.forEach((service, w) -> versionWeights.put(Lifecycle.versionOf(releases, service), w));
        events.record("analysis", track.name(), Map.of("verdict", verdict.verdict().name(), "reason", verdict.reason(),
                "canary", canaryVersion, "stable", stableVersion, "windowSeconds", window.toSeconds(),
                "source", request.source().name(), "traffic", request.traffic().name(), "releases", byVersion, "weights", versionWeights));
        measured.warnings().forEach(w -> progress.info("warning: " + w));

        AnalyzeResult.Rollback rollback = null;
        if (verdict.verdict() == Analysis.Verdict.fail && request.rollbackOnFail()) {
            progress.info("analysis failed (" + verdict.reason() + "): rolling back " + canaryVersion);
            Canary.Step step = ops.canary().rollback(track, progress);
            rollback = new AnalyzeResult.Rollback("rolled back", step.weights(), step.removed(), step.edge().revision(),
                    step.edge().seconds());
            events.record("rollback", track.name(), Map.of("reason", "analysis failed: " + verdict.reason(),
                    "weights", step.weights(), "removed", step.removed()));
        }
        Limits limits = request.limits();
        return new AnalyzeResult(track.name(), verdict.verdict().name(), verdict.reason(), verdict.breaches(), canary, stable,
                new AnalyzeResult.LimitsJson(limits.minRequests(), limits.maxErrorRate(), limits.maxP99().toMillis()),
                window.toSeconds(), request.source().name(), request.traffic().name(), measured.readers(), measured.warnings(), started.toString(),
                ended.toString(), rollback, verdict.verdict().exitCode());
    }

    private static Analysis.ReleaseResult result(String role, String version, String service, String cluster,
                                                 Map<String, Integer> weights, MetricsSource.Window measured) {
        ReleaseCounters c = counters(measured, cluster);
        return Analysis.ReleaseResult.of(role, version, service, weights.getOrDefault(service, 0), c);
    }

    private static ReleaseCounters counters(MetricsSource.Window measured, String cluster) {
        return measured.clusters().getOrDefault(cluster, ReleaseCounters.zero());
    }

    /** host:port of every node running an Envoy task of the edge (the port is published in host mode on each). */
    private List<String> envoyEndpoints(EdgeManager.EdgeState state, Request request) {
        int port = state.settings().port();
        if (request.probeHost() != null) {
            return List.of(request.probeHost() + ":" + port);
        }
        Map<String, String> nodes = ops.swarm().nodeAddresses();
        Set<String> endpoints = new LinkedHashSet<>();
        for (TaskInfo t : ops.swarm().tasks(ops.edge())) {
            if (t.wanted() && t.running()) {
                String address = nodes.get(t.nodeId());
                endpoints.add((address == null ? request.fallbackHost() : address) + ":" + port);
            }
        }
        if (endpoints.isEmpty()) {
            throw new IllegalStateException("edge " + ops.edge() + " has no running Envoy task to read stats from. Nothing was changed.");
        }
        return new ArrayList<>(endpoints);
    }
}
