package io.swarmcanary.analysis;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A latency histogram in milliseconds as bucket counts (not cumulative), keyed by the bucket's upper bound.
 * Envoy's detailed buckets are about 1% wide; Prometheus' are Envoy's default bounds (0.5, 1, 5, 10, 25, ...).
 */
public record Latency(NavigableMap<Double, Long> buckets) {
    public Latency {
        buckets = new TreeMap<>(buckets);
    }

    public static Latency empty() {
        return new Latency(new TreeMap<>());
    }

    public long count() {
        return buckets.values().stream().mapToLong(Long::longValue).sum();
    }

    public Latency plus(Latency other) {
        TreeMap<Double, Long> sum = new TreeMap<>(buckets);
        other.buckets.forEach((bound, n) -> sum.merge(bound, n, Long::sum));
        return new Latency(sum);
    }

    /** This minus an earlier reading of the same histogram: the requests in between. */
    public Latency minus(Latency earlier) {
        TreeMap<Double, Long> diff = new TreeMap<>();
        for (Map.Entry<Double, Long> e : buckets.entrySet()) {
            long n = e.getValue() - earlier.buckets.getOrDefault(e.getKey(), 0L);
            if (n > 0) {
                diff.put(e.getKey(), n);
            }
        }
        return new Latency(diff);
    }

    /**
     * The q-quantile (0..1) as the upper bound of the bucket holding that rank: never below the true value, so a
     * limit is never passed by rounding down. Null without samples.
     */
    public Double quantile(double q) {
        long total = count();
        if (total == 0) {
            return null;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (Map.Entry<Double, Long> e : buckets.entrySet()) {
            seen += e.getValue();
            if (seen >= Math.max(1, rank)) {
                return e.getKey();
            }
        }
        return buckets.lastKey();
    }
}
