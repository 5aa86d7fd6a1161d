package io.swarmcanary.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The verdict on a canary from what it and the stable release counted over the same window. */
public final class Analysis {
    private Analysis() {}

    public enum Verdict {
        pass, fail, inconclusive;

        /** 0 pass, 1 fail, 4 not enough data: the pipeline's gate reads these (2 and 3 are bad input and conflict). */
        public int exitCode() {
            return switch (this) {
                case pass -> 0;
                case fail -> 1;
                case inconclusive -> 4;
            };
        }
    }

    /** One release's numbers over the window, as reported. */
    public record ReleaseResult(String role, String version, String service, int weight, long requests, long attempts,
                                long failed, Double errorRate, Double successRate, Double p99Ms, long retries,
                                long connectFailures, long timeouts) {
        public static ReleaseResult of(String role, String version, String service, int weight, ReleaseCounters c) {
            Double rate = c.errorRate();
            return new ReleaseResult(role, version, service, weight, c.requests(), c.attempts(), c.failedAttempts(), rate,
                    rate == null ? null : 1 - rate, c.latency().quantile(0.99), c.retries(), c.connectFailures(), c.timeouts());
        }
    }

    /** A limit the canary broke: which, the measured value and the allowed one. */
    public record Breach(String limit, double measured, double allowed, String message) {}

    public record Result(Verdict verdict, String reason, List<Breach> breaches, ReleaseResult canary, ReleaseResult stable) {}

    public static Result judge(ReleaseResult canary, ReleaseResult stable, Limits limits, long windowSeconds) {
        if (canary.requests() < limits.minRequests()) {
            return new Result(Verdict.inconclusive, "not enough data: the canary " + canary.version() + " (weight "
                    + canary.weight() + "%) answered " + canary.requests() + " requests in " + windowSeconds
                    + "s, --min-requests is " + limits.minRequests() + " (too few requests is never a pass)", List.of(),
                    canary, stable);
        }
        List<Breach> breaches = new ArrayList<>();
        if (canary.errorRate() > limits.maxErrorRate()) {
            breaches.add(new Breach("max-error-rate", canary.errorRate(), limits.maxErrorRate(),
                    "error rate " + percent(canary.errorRate()) + " > allowed " + percent(limits.maxErrorRate()) + ": "
                    + canary.failed() + " of " + canary.attempts() + " attempts failed on the canary " + canary.version()
                    + compare(stable, stable == null || stable.errorRate() == null ? null : percent(stable.errorRate()))));
        }
        double maxP99 = limits.maxP99().toNanos() / 1e6;
        if (canary.p99Ms() != null && canary.p99Ms() > maxP99) {
            breaches.add(new Breach("max-p99", canary.p99Ms(), maxP99, "p99 latency " + ms(canary.p99Ms()) + " > allowed "
                    + ms(maxP99) + " on the canary " + canary.version()
                    + compare(stable, stable == null || stable.p99Ms() == null ? null : ms(stable.p99Ms()))));
        }
        if (breaches.isEmpty()) {
            return new Result(Verdict.pass, "canary " + canary.version() + ": error rate " + percent(canary.errorRate())
                    + " (allowed " + percent(limits.maxErrorRate()) + "), p99 " + (canary.p99Ms() == null ? "-" : ms(canary.p99Ms()))
                    + " (allowed " + ms(maxP99) + ") over " + canary.requests() + " requests", List.of(), canary, stable);
        }
        return new Result(Verdict.fail, String.join("; ", breaches.stream().map(Breach::message).toList()), breaches,
                canary, stable);
    }

    private static String compare(ReleaseResult stable, String value) {
        return stable == null || value == null ? "" : " (stable " + stable.version() + ": " + value + ")";
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", fraction * 100).replace(".00%", "%");
    }

    static String ms(double millis) {
        return String.format(Locale.ROOT, "%.0fms", millis);
    }
}
