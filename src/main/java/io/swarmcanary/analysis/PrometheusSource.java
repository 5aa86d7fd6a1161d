package io.swarmcanary.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.HttpAnswer;
import io.swarmcanary.release.Progress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Reads the same counters from Prometheus, which scrapes every Envoy task's {@code /stats/prometheus}: waits the
 * window, then asks for {@code increase(...[window])} at its end, summed over all scraped Envoy tasks.
 */
public final class PrometheusSource implements MetricsSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;

    public PrometheusSource(URI base) {
        this.base = base;
    }

    @Override
    public Window measure(List<String> clusters, Duration window, Progress progress) {
        query("vector(1)", Instant.now()); // reachable before we wait, not after
        MetricsSource.await(window, "analysis window", progress);
        Instant end = Instant.now();
        String range = "[" + Math.max(1, window.toSeconds()) + "s]";
        String selector = "{envoy_cluster_name=~\"" + String.join("|", clusters.stream().map(PrometheusSource::quoteRegex).toList())
                + "\"}";
        Map<String, long[]> responses = new TreeMap<>();
        Map<String, long[]> retried = new TreeMap<>();
        Map<String, long[]> scalars = new TreeMap<>(); // retries, connect failures, timeouts
        Map<String, TreeMap<Double, Double>> cumulative = new TreeMap<>();
        clusters.forEach(c -> {
            responses.put(c, new long[5]);
            retried.put(c, new long[5]);
            scalars.put(c, new long[3]);
            cumulative.put(c, new TreeMap<>());
        });
        BiConsumer<String, Map<String, long[]>> byClass = (metric, into) -> each(query(
                "sum by (envoy_cluster_name, envoy_response_code_class) (increase(" + metric + selector + range + "))", end),
                (labels, v) -> {
                    int k = labels.path("envoy_response_code_class").asInt(0);
                    long[] row = into.get(labels.path("envoy_cluster_name").asText());
                    if (row != null && k >= 1 && k <= 5) {
                        row[k - 1] += Math.round(v);
                    }
                });
        byClass.accept("envoy_cluster_upstream_rq_xx", responses);
        byClass.accept("envoy_cluster_retry_upstream_rq_xx", retried);
        // one query per metric: increase() drops the names, so two metrics in one vector would clash
        String[][] scalarMetrics = {{"envoy_cluster_upstream_rq_retry"}, {"envoy_cluster_upstream_cx_connect_fail"},
            {"envoy_cluster_upstream_rq_timeout", "envoy_cluster_upstream_rq_per_try_timeout"}};
        for (int i = 0; i < scalarMetrics.length; i++) {
            int index = i;
            for (String metric : scalarMetrics[i]) {
                each(query("sum by (envoy_cluster_name) (increase(" + metric + selector + range + "))", end), (labels, v) -> {
                    long[] row = scalars.get(labels.path("envoy_cluster_name").asText());
                    if (row != null) {
                        row[index] += Math.round(v);
                    }
                });
            }
        }
        each(query("sum by (envoy_cluster_name, le) (increase(envoy_cluster_upstream_rq_time_bucket" + selector + range + "))", end),
                (labels, v) -> {
                    TreeMap<Double, Double> row = cumulative.get(labels.path("envoy_cluster_name").asText());
                    String le = labels.path("le").asText();
                    if (row != null) {
                        row.put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), v);
                    }
                });
        Map<String, ReleaseCounters> result = new LinkedHashMap<>();
        for (String c : clusters) {
            long[] s = scalars.get(c);
            result.put(c, new ReleaseCounters(responses.get(c), retried.get(c), s[0], s[1], s[2], buckets(cumulative.get(c))));
        }
        List<String> warnings = new ArrayList<>();
        warnings.add("Prometheus: increase() extrapolates between scrapes, and latency buckets are Envoy's default ones"
                + " (..., 100, 250, 500, 1000 ms): p99 is the upper bound of its bucket");
        return new Window(result, 1, warnings);
    }

    /** Cumulative "le" buckets to counts per bucket. */
    private static Latency buckets(TreeMap<Double, Double> cumulative) {
        TreeMap<Double, Long> counts = new TreeMap<>();
        double previous = 0;
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            long n = Math.round(e.getValue() - previous);
            previous = Math.max(previous, e.getValue());
            if (n > 0) {
                counts.put(e.getKey().isInfinite() ? Double.MAX_VALUE : e.getKey(), n);
            }
        }
        return new Latency(counts);
    }

    /** Release names are Swarm service names: nothing in them is special in a PromQL regex but '.'. */
    private static String quoteRegex(String s) {
        if (!s.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("unexpected cluster name " + s);
        }
        return s.replace(".", "\\\\.");
    }

    private static void each(JsonNode result, BiConsumer<JsonNode, Double> sample) {
        for (JsonNode series : result) {
            double v = Double.parseDouble(series.path("value").path(1).asText("0"));
            if (!Double.isNaN(v)) {
                sample.accept(series.path("metric"), v);
            }
        }
    }

    JsonNode query(String promql, Instant at) {
        URI uri = base.resolve("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&time=" + at.getEpochSecond() + "." + String.format("%03d", at.getNano() / 1_000_000));
        try {
            // HttpURLConnection, not java.net.http (see HttpAnswer); the JVM's proxy settings apply, as they did, and a
            // redirect is an answer, as it was
            java.net.HttpURLConnection http = (java.net.HttpURLConnection) uri.toURL().openConnection();
            http.setConnectTimeout(5_000);
            http.setReadTimeout(15_000);
            http.setInstanceFollowRedirects(false);
            HttpAnswer answer = HttpAnswer.read(http);
            int status = answer.statusCode();
            String text = answer.body();
            JsonNode body = JSON.readTree(text);
            if (status != 200 || !"success".equals(body.path("status").asText())) {
                throw new IllegalStateException("Prometheus at " + base + " answered HTTP " + status + ": "
                        + body.path("error").asText(text) + " (query " + promql + "). Nothing was changed.");
            }
            return body.path("data").path("result");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot query Prometheus at " + base + ": " + e + ". Nothing was changed.");
        }
    }
}
