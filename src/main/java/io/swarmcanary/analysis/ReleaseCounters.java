package io.swarmcanary.analysis;

/**
 * What Envoy counted for one release (one upstream cluster) over some time.
 *
 * <p>Envoy charges a response code once per request, in {@code upstream_rq_<code>}, for the attempt that answered the
 * client; an attempt that was retried is charged in {@code retry.upstream_rq_<code>} instead (if it got a response) or
 * only in {@code upstream_rq_retry} (connect failure, reset). So the failed attempts are the final 5xx (Envoy's own
 * 503/504 for an unreachable or timed-out release included) plus every retried attempt that did not get a 1xx-4xx
 * response. Without the retried ones, retries would hide a failing canary behind the attempt that then succeeded.
 *
 * @param responses       final responses per class: index 0 = 1xx ... 4 = 5xx
 * @param retried         retried responses per class ({@code retry.upstream_rq_<N>xx})
 * @param retries         {@code upstream_rq_retry}: attempts that failed and were tried again
 * @param connectFailures {@code upstream_cx_connect_fail}
 * @param timeouts        {@code upstream_rq_timeout} + {@code upstream_rq_per_try_timeout}
 */
public record ReleaseCounters(long[] responses, long[] retried, long retries, long connectFailures, long timeouts,
                              Latency latency) {
    public ReleaseCounters {
        responses = responses.clone();
        retried = retried.clone();
        if (responses.length != 5 || retried.length != 5) {
            throw new IllegalArgumentException("five response classes, 1xx to 5xx");
        }
    }

    public static ReleaseCounters zero() {
        return new ReleaseCounters(new long[5], new long[5], 0, 0, 0, Latency.empty());
    }

    /** Client requests this release answered (or Envoy answered for it). */
    public long requests() {
        long n = 0;
        for (long r : responses) {
            n += r;
        }
        return n;
    }

    /** Every attempt Envoy made: one per request plus one per retry. */
    public long attempts() {
        return requests() + retries;
    }

    public long failedAttempts() {
        long retriedOk = retried[0] + retried[1] + retried[2] + retried[3];
        return responses[4] + Math.max(0, retries - retriedOk);
    }

    /** Failed attempts / attempts, or null without any. */
    public Double errorRate() {
        return attempts() == 0 ? null : (double) failedAttempts() / attempts();
    }

    public ReleaseCounters plus(ReleaseCounters o) {
        long[] r = new long[5];
        long[] t = new long[5];
        for (int i = 0; i < 5; i++) {
            r[i] = responses[i] + o.responses[i];
            t[i] = retried[i] + o.retried[i];
        }
        return new ReleaseCounters(r, t, retries + o.retries, connectFailures + o.connectFailures, timeouts + o.timeouts,
                latency.plus(o.latency));
    }

    /** This minus an earlier reading of the same Envoy: what happened in between. */
    public ReleaseCounters minus(ReleaseCounters earlier) {
        long[] r = new long[5];
        long[] t = new long[5];
        for (int i = 0; i < 5; i++) {
            r[i] = responses[i] - earlier.responses[i];
            t[i] = retried[i] - earlier.retried[i];
        }
        return new ReleaseCounters(r, t, retries - earlier.retries, connectFailures - earlier.connectFailures,
                timeouts - earlier.timeouts, latency.minus(earlier.latency));
    }

    /** A counter that went down: Envoy restarted in between, so a difference means nothing. */
    public boolean anyNegative() {
        for (int i = 0; i < 5; i++) {
            if (responses[i] < 0 || retried[i] < 0) {
                return true;
            }
        }
        return retries < 0 || connectFailures < 0 || timeouts < 0;
    }
}
