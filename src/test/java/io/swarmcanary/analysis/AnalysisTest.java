package io.swarmcanary.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The calculator on stats recorded from the real Envoy 1.40 of the test bed: stable 1.0.0 and canary 2.0.0 (ERROR_RATE=20)
 * at 50/50; between the two readings curl sent 200 requests and saw 107 answers from 1.0.0, 80 from 2.0.0 and 13
 * injected 500s from 2.0.0.
 */
class AnalysisTest {
    private static final String STABLE = "sctest-an-man-webdev-1_0_0";
    private static final String CANARY = "sctest-an-man-webdev-2_0_0";
    private static final Limits LIMITS = new Limits(50, 0.01, Duration.ofMillis(500));

    static String resource(String name) {
        try (InputStream in = AnalysisTest.class.getResourceAsStream("/analysis/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ReleaseCounters window(String cluster) {
        return EnvoyStats.parse(resource("envoy-1.40-after.json")).of(cluster)
                .minus(EnvoyStats.parse(resource("envoy-1.40-before.json")).of(cluster));
    }

    private static Analysis.ReleaseResult result(String role, String cluster, int weight) {
        return Analysis.ReleaseResult.of(role, cluster.endsWith("1_0_0") ? "1.0.0" : "2.0.0", cluster, weight, window(cluster));
    }

    @Test
    void theDifferenceOfTwoReadingsIsWhatTheClientsSaw() {
        ReleaseCounters stable = window(STABLE);
        ReleaseCounters canary = window(CANARY);
        assertThat(stable.requests()).isEqualTo(107);
        assertThat(stable.failedAttempts()).isZero();
        assertThat(canary.requests()).isEqualTo(93);
        assertThat(canary.failedAttempts()).isEqualTo(13);
        assertThat(canary.errorRate()).isEqualTo(13.0 / 93);
        assertThat(canary.latency().count()).isEqualTo(93);
        assertThat(stable.latency().count()).isEqualTo(107);
        assertThat(canary.latency().quantile(0.99)).isBetween(1.0, 100.0);
    }

    @Test
    void aCanaryOverTheErrorLimitFailsNamingTheLimitTheMeasuredAndTheAllowed() {
        Analysis.Result r = Analysis.judge(result("canary", CANARY, 50), result("stable", STABLE, 50), LIMITS, 10);
        assertThat(r.verdict()).isEqualTo(Analysis.Verdict.fail);
        assertThat(r.verdict().exitCode()).isEqualTo(1);
        assertThat(r.breaches()).extracting(Analysis.Breach::limit).containsExactly("max-error-rate");
        assertThat(r.reason()).contains("error rate 13.98% > allowed 1%").contains("13 of 93 attempts")
                .contains("stable 1.0.0: 0%");
    }

    @Test
    void tooFewCanaryRequestsIsNotEnoughDataEvenWhenEverythingFailed() {
        Analysis.Result r = Analysis.judge(result("canary", CANARY, 50), result("stable", STABLE, 50),
                new Limits(100, 0.01, Duration.ofMillis(500)), 10);
        assertThat(r.verdict()).isEqualTo(Analysis.Verdict.inconclusive);
        assertThat(r.verdict().exitCode()).isEqualTo(4);
        assertThat(r.reason()).startsWith("not enough data").contains("93 requests").contains("--min-requests is 100");
        ReleaseCounters none = ReleaseCounters.zero();
        Analysis.Result empty = Analysis.judge(Analysis.ReleaseResult.of("canary", "2", "c", 0, none),
                Analysis.ReleaseResult.of("stable", "1", "s", 100, none), LIMITS, 10);
        assertThat(empty.verdict()).isEqualTo(Analysis.Verdict.inconclusive);
    }

    @Test
    void withinTheLimitsItPasses() {
        Analysis.Result r = Analysis.judge(result("canary", CANARY, 50), result("stable", STABLE, 50),
                new Limits(50, 0.20, Duration.ofMillis(500)), 10);
        assertThat(r.verdict()).isEqualTo(Analysis.Verdict.pass);
        assertThat(r.verdict().exitCode()).isZero();
    }

    @Test
    void mirroredCopiesAnswered4xxFailAPassingCanaryAndNameTheShadowHost() {
        Limits limits = new Limits(50, 0.20, Duration.ofMillis(500));
        Analysis.Result pass = Analysis.judge(result("canary", CANARY, 0), result("stable", STABLE, 50), limits, 10);
        long requests = pass.canary().requests();
        // within the limit of the stable's own 4xx share: still a pass
        assertThat(Analysis.judgeMirrored(pass, requests / 10, 0, limits).verdict()).isEqualTo(Analysis.Verdict.pass);
        Analysis.Result refused = Analysis.judgeMirrored(pass, requests, 0, limits);
        assertThat(refused.verdict()).isEqualTo(Analysis.Verdict.fail);
        assertThat(refused.reason()).contains("answered 4xx to 100% of the mirrored copies").contains("-shadow");
        assertThat(refused.breaches()).extracting(Analysis.Breach::limit).containsExactly("mirrored-4xx");
        // a fail or not enough data stays what it was
        Analysis.Result fail = Analysis.judge(result("canary", CANARY, 0), result("stable", STABLE, 50), LIMITS, 10);
        assertThat(Analysis.judgeMirrored(fail, 0, 0, LIMITS)).isSameAs(fail);
    }

    @Test
    void aSlowCanaryFailsOnP99() {
        Analysis.Result r = Analysis.judge(result("canary", CANARY, 50), result("stable", STABLE, 50),
                new Limits(50, 0.20, Duration.ofMillis(2)), 10);
        assertThat(r.verdict()).isEqualTo(Analysis.Verdict.fail);
        assertThat(r.breaches()).extracting(Analysis.Breach::limit).containsExactly("max-p99");
        assertThat(r.reason()).contains("p99 latency").contains("> allowed 2ms");
    }

    @Test
    void retriedAttemptsCountAsFailuresSoRetriesDoNotHideTheCanary() {
        // Every client got a 200 (after a retry), but 30 attempts failed first: 20 connect failures/resets and 10
        // 5xx responses that a 5xx retry policy retried (Envoy counts those only under retry.).
        String json = """
                {"stats":[
                 {"name":"server.uptime","value":100},
                 {"name":"cluster.c.upstream_rq_2xx","value":100},
                 {"name":"cluster.c.retry.upstream_rq_5xx","value":10},
                 {"name":"cluster.c.upstream_rq_retry","value":30},
                 {"name":"cluster.c.upstream_cx_connect_fail","value":20},
                 {"name":"cluster.c.upstream_rq_timeout","value":1},
                 {"name":"cluster.c.upstream_rq_per_try_timeout","value":2},
                 {"name":"cluster.c.external.upstream_rq_2xx","value":100},
                 {"histograms":{"details":[{"name":"cluster.c.upstream_rq_time","totals":[{"lower_bound":3,"width":0.1,"count":99},{"lower_bound":700,"width":10,"count":1}]}]}}
                ]}""";
        ReleaseCounters c = EnvoyStats.parse(json).of("c");
        assertThat(c.requests()).isEqualTo(100);
        assertThat(c.attempts()).isEqualTo(130);
        assertThat(c.failedAttempts()).isEqualTo(30);
        assertThat(c.connectFailures()).isEqualTo(20);
        assertThat(c.timeouts()).isEqualTo(3);
        assertThat(c.latency().quantile(0.99)).isEqualTo(3.1, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(c.latency().quantile(1.0)).isEqualTo(710.0);
        Analysis.Result r = Analysis.judge(Analysis.ReleaseResult.of("canary", "2", "c", 50, c), null, LIMITS, 60);
        assertThat(r.verdict()).isEqualTo(Analysis.Verdict.fail);
        assertThat(r.reason()).contains("30 of 130 attempts");
    }

    @Test
    void aCounterGoingDownMeansEnvoyRestarted() {
        assertThat(window(CANARY).anyNegative()).isFalse();
        ReleaseCounters backwards = EnvoyStats.parse(resource("envoy-1.40-before.json")).of(CANARY)
                .minus(EnvoyStats.parse(resource("envoy-1.40-after.json")).of(CANARY));
        assertThat(backwards.anyNegative()).isTrue();
    }

    @Test
    void quantilesAreTheUpperBoundOfTheirBucketNeverBelow() {
        TreeMap<Double, Long> b = new TreeMap<>(Map.of(10.0, 98L, 250.0, 1L, 1000.0, 1L));
        Latency l = new Latency(b);
        assertThat(l.quantile(0.5)).isEqualTo(10.0);
        assertThat(l.quantile(0.99)).isEqualTo(250.0);
        assertThat(l.quantile(0.999)).isEqualTo(1000.0);
        assertThat(Latency.empty().quantile(0.99)).isNull();
    }

    @Test
    void errorRatesArePercentWithOrWithoutTheSign() {
        assertThat(Limits.parsePercent("1%")).isEqualTo(0.01);
        assertThat(Limits.parsePercent("1")).isEqualTo(0.01);
        assertThat(Limits.parsePercent("0.5 %")).isEqualTo(0.005);
        assertThatThrownBy(() -> Limits.parsePercent("1.5x")).isInstanceOf(UserInputException.class).hasMessageContaining("1.5x");
        assertThatThrownBy(() -> Limits.parsePercent("120%")).isInstanceOf(UserInputException.class);
        assertThatThrownBy(() -> new Limits(0, 0.01, Duration.ofMillis(1))).isInstanceOf(UserInputException.class)
                .hasMessageContaining("never a pass");
    }
}
