package io.swarmcanary.analysis;

import io.swarmcanary.HttpAnswer;
import io.swarmcanary.envoy.StatsHost;
import io.swarmcanary.release.Progress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Reads every Envoy task of the edge through its public listener's stats-only virtual host (never the admin port),
 * once before and once after the window, and sums the differences across tasks.
 */
public final class EnvoySource implements MetricsSource {
    // With stats_flush_on_admin a read returns the histograms of the previous flush and starts a new one: the
    // second read, a moment later, has every request up to the first.
    private static final long FLUSH_SETTLE_MILLIS = 300;

    private final List<String> endpoints;
    private final Supplier<String> statsToken;

    /**
     * @param endpoints  host:port of each Envoy task's published listener
     * @param statsToken a fresh token for the stats host each call
     */
    public EnvoySource(List<String> endpoints, Supplier<String> statsToken) {
        this.statsToken = statsToken;
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no Envoy task to read");
        }
        this.endpoints = List.copyOf(endpoints);
    }

    @Override
    public Window measure(List<String> clusters, Duration window, Progress progress) {
        Map<String, EnvoyStats> before = readAll();
        long started = System.nanoTime();
        MetricsSource.await(window, "analysis window", progress);
        Map<String, EnvoyStats> after = readAll();
        long elapsedSeconds = (System.nanoTime() - started) / 1_000_000_000L;
        Map<String, ReleaseCounters> sums = new LinkedHashMap<>();
        clusters.forEach(c -> sums.put(c, ReleaseCounters.zero()));
        List<String> warnings = new ArrayList<>();
        for (String endpoint : endpoints) {
            EnvoyStats a = before.get(endpoint);
            EnvoyStats b = after.get(endpoint);
            // uptime is whole seconds; a restarted Envoy has been up for less than the window
            boolean restarted = b.uptimeSeconds() >= 0 && b.uptimeSeconds() + 1 < elapsedSeconds;
            for (String c : clusters) {
                ReleaseCounters diff = b.of(c).minus(a.of(c));
                if (restarted || diff.anyNegative()) {
                    diff = b.of(c);
                    restarted = true;
                }
                sums.merge(c, diff, ReleaseCounters::plus);
            }
            if (restarted) {
                warnings.add("the Envoy at " + endpoint + " restarted during the window (a config change); only its last "
                        + b.uptimeSeconds() + "s are counted");
            }
        }
        return new Window(sums, endpoints.size(), warnings);
    }

    private Map<String, EnvoyStats> readAll() {
        endpoints.forEach(this::fetch);
        try {
            Thread.sleep(FLUSH_SETTLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Map<String, EnvoyStats> stats = new LinkedHashMap<>();
        endpoints.forEach(e -> stats.put(e, EnvoyStats.parse(fetch(e))));
        return stats;
    }

    String fetch(String endpoint) {
        int colon = endpoint.lastIndexOf(':');
        String host = endpoint.substring(0, colon);
        int port = Integer.parseInt(endpoint.substring(colon + 1));
        URI uri = StatsHost.uri(port, StatsHost.ANALYSIS_PATH);
        try {
            HttpAnswer r = StatsHost.get(host, port, StatsHost.ANALYSIS_PATH, statsToken.get(), Duration.ofSeconds(3), Duration.ofSeconds(10));
            if (r.statusCode() != 200) {
                throw new IllegalStateException("reading Envoy's stats at " + endpoint + " (" + uri + ") answered HTTP " + r.statusCode() + (r.statusCode() == 404 || r.statusCode() == 401
                        ? ": the edge's config has no stats host, or one without this cluster's edge key; run 'swarm-canary"
                        + " edge ensure' with this version to add it" : "") + ". Nothing was changed.");
            }
            return r.body();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read Envoy's stats at " + endpoint + " (" + uri + "): " + e + "; is the edge's port published"
                    + " on that host (--probe-host)? Nothing was changed.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
