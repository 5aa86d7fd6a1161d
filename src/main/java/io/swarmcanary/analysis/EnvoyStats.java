package io.swarmcanary.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One reading of one Envoy's stats ({@code /stats?format=json&histogram_buckets=detailed}), per upstream cluster
 * (a release's service name is its cluster name).
 *
 * @param uptimeSeconds {@code server.uptime}: a smaller value in a later reading means Envoy restarted in between
 */
public record EnvoyStats(Map<String, ReleaseCounters> clusters, long uptimeSeconds) {
    /** The stats the analysis needs, so a reading stays small on an edge with many tracks. */
    public static final String FILTER = io.swarmcanary.envoy.StatsHost.ANALYSIS_FILTER;
    private static final ObjectMapper JSON = new ObjectMapper();

    public EnvoyStats {
        clusters = Map.copyOf(clusters);
    }

    public ReleaseCounters of(String cluster) {
        return clusters.getOrDefault(cluster, ReleaseCounters.zero());
    }

    public static EnvoyStats parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException("Envoy's stats are not JSON: " + e.getMessage());
        }
        if (!root.path("stats").isArray()) {
            throw new IllegalStateException("Envoy's stats JSON has no \"stats\" list");
        }
        Map<String, Builder> byCluster = new HashMap<>();
        long uptime = -1;
        for (JsonNode stat : root.path("stats")) {
            if (stat.has("histograms")) {
                for (JsonNode h : stat.path("histograms").path("details")) {
                    String name = h.path("name").asText();
                    if (name.startsWith("cluster.") && name.endsWith(".upstream_rq_time")) {
                        String cluster = name.substring("cluster.".length(), name.length() - ".upstream_rq_time".length());
                        TreeMap<Double, Long> buckets = new TreeMap<>();
                        for (JsonNode b : h.path("totals")) {
                            // a detailed bucket is [lower_bound, lower_bound + width): its upper end bounds its samples
                            buckets.merge(b.path("lower_bound").asDouble() + b.path("width").asDouble(),
                                    b.path("count").asLong(), Long::sum);
                        }
                        byCluster.computeIfAbsent(cluster, k -> new Builder()).latency = new Latency(buckets);
                    }
                }
                continue;
            }
            String name = stat.path("name").asText();
            long value = stat.path("value").asLong();
            if (name.equals("server.uptime")) {
                uptime = value;
                continue;
            }
            if (!name.startsWith("cluster.")) {
                continue;
            }
            String rest = name.substring("cluster.".length());
            int dot = rest.indexOf('.');
            if (dot < 0) {
                continue;
            }
            Builder b = byCluster.computeIfAbsent(rest.substring(0, dot), k -> new Builder());
            b.add(rest.substring(dot + 1), value);
        }
        Map<String, ReleaseCounters> clusters = new TreeMap<>();
        byCluster.forEach((k, v) -> clusters.put(k, v.build()));
        return new EnvoyStats(clusters, uptime);
    }

    private static final class Builder {
        final long[] responses = new long[5];
        final long[] retried = new long[5];
        long retries;
        long connectFailures;
        long timeouts;
        Latency latency = Latency.empty();

        void add(String stat, long value) {
            if (stat.matches("upstream_rq_[1-5]xx")) {
                responses[stat.charAt("upstream_rq_".length()) - '1'] += value;
            } else if (stat.matches("retry\\.upstream_rq_[1-5]xx")) {
                retried[stat.charAt("retry.upstream_rq_".length()) - '1'] += value;
            } else {
                switch (stat) {
                    case "upstream_rq_retry" -> retries += value;
                    case "upstream_cx_connect_fail" -> connectFailures += value;
                    case "upstream_rq_timeout", "upstream_rq_per_try_timeout" -> timeouts += value;
                    default -> { }
                }
            }
        }

        ReleaseCounters build() {
            return new ReleaseCounters(responses, retried, retries, connectFailures, timeouts, latency);
        }
    }
}
