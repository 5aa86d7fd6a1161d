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

    /**
     * For mirrored copies, a passing verdict also needs the canary's share of 4xx answers within the error limit of the
     * stable's: Envoy sends a copy with its Host suffixed {@code -shadow}, and an app that checks its host names answers
     * every copy 4xx, which the 5xx-based error rate would let pass.
     *
     * @param canary4xx the canary's 4xx answers, of {@code canary.requests()}; {@code stable4xx} likewise
     */
    public static Result judgeMirrored(Result verdict, long canary4xx, long stable4xx, Limits limits) {
        ReleaseResult canary = verdict.canary();
        ReleaseResult stable = verdict.stable();
        if (verdict.verdict() != Verdict.pass || canary.requests() == 0) {
            return verdict;
        }
        double mine = (double) canary4xx / canary.requests();
        double theirs = stable == null || stable.requests() == 0 ? 0 : (double) stable4xx / stable.requests();
        if (mine - theirs <= limits.maxErrorRate()) {
            return verdict;
        }
        Breach breach = new Breach("mirrored-4xx", mine, theirs + limits.maxErrorRate(), "the canary " + canary.version()
                + " answered 4xx to " + percent(mine) + " of the mirrored copies" + compare(stable, percent(theirs))
                + ": copies reach it with the Host suffixed '-shadow', so an app that checks its host names refuses them;"
                + " let it answer that host, or judge it on real traffic");
        return new Result(Verdict.fail, breach.message(), List.of(breach), canary, stable);
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
