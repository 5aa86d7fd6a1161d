package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.HttpAnswer;
import io.swarmcanary.analysis.EnvoyStats;
import io.swarmcanary.envoy.StatsHost;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * route --match, mirror and shift --sticky on the real swarm and the real Envoy, on a redeploy edge ({@link CanaryRoutingIT}) and an xds
 * one ({@link CanaryRoutingXdsIT}): exact counts of who reaches which release, a clear and a rollback that take matched clients back at
 * once, and mirrored requests counted by the canary's mirror cluster while clients see only the stable; sticky clients
 * that never flip versions (through a shift, back at weight 0, and to the stable at a rollback) while new ones are split
 * by the weights, the application's own Set-Cookie kept.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CanaryRouting {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int N = 1000;
    static final TestSwarm swarm = new TestSwarm();

    /** One edge per class: its port and names. */
    static final class Bedding {
        final int port;
        final String app;
        final String edge;
        final String track;
        final String host;

        Bedding(int port, String prefix) {
            this.port = port;
            this.app = TestSwarm.uniqueApp(prefix);
            this.edge = app + "-edge";
            this.track = app + "-webdev";
            this.host = app + ".webdev.test";
        }
    }

    final Bedding bed;
    /** edge ensure's options for this delivery */
    private final List<String> delivery;

    CanaryRouting(Bedding bed, List<String> delivery) {
        this.bed = bed;
        this.delivery = delivery;
    }

    private static final Map<String, String> BETA = Map.of("x-beta", "1", "cookie", "lang=en; beta=yes");
    private static final String STABLE = "version=1.0.0";
    private static final String CANARY = "version=1.0.1";

    @BeforeAll
    void anEdgeWithAStableAndACanaryAtZero() {
        ensureEdge(delivery);
        ok(deploy("1.0.0"));
        ok(deploy("1.0.1"));
    }

    /** The edge, forcing canaries with a token (the A/B route must leave that rule alone). */
    void ensureEdge(List<String> extra) {
        List<String> args = new ArrayList<>(List.of("edge", "ensure", "--edge", bed.edge, "--port", String.valueOf(bed.port),
                "--image", TestSwarm.ENVOY, "--force-canary", "on", "-q"));
        args.addAll(extra);
        ok(cli().run(args.toArray(String[]::new)));
    }

    @AfterAll
    void cleanUp() {
        swarm.removeTrack(bed.track);
        swarm.removeEdge(bed.edge);
    }

    Cli.Result deploy(String version, String... env) {
        List<String> args = new ArrayList<>(List.of("deploy", "--edge", bed.edge, "--app", bed.app, "--env", "webdev",
                "--version", version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--domain", bed.host, "-q"));
        for (String e : env) {
            args.addAll(List.of("--env", e));
        }
        return cli().run(args.toArray(String[]::new));
    }

    Cli.Result run(String verb, String... extra) {
        List<String> args = new ArrayList<>(List.of(verb, "--edge", bed.edge, "--app", bed.app, "--env", "webdev", "-o", "json"));
        args.addAll(List.of(extra));
        return cli().run(args.toArray(String[]::new));
    }

    static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    Map<String, Integer> sample(int n, Map<String, String> headers) throws Exception {
        return Traffic.sample(bed.port, bed.host, n, headers);
    }

    private long edgeVersion() {
        return swarm.service(bed.edge).orElseThrow().getVersion().getIndex();
    }

    @Order(1)
    @Test
    void badMatchesAreExitTwoAndChangeNothing() throws Exception {
        long before = edgeVersion();
        for (String[] bad : List.of(new String[] {"--match", "header:x-r~(unclosed"}, new String[] {"--match", "header:x-r~(a)\\1"},
                new String[] {"--match", "header::status=200"}, new String[] {"--match", "header:x beta=1"},
                new String[] {"--match", "header:x-canary-token=t"}, new String[] {"--match", "cookie:beta=a;b"},
                new String[] {"--match", "query:x=1"}, new String[] {}, new String[] {"--clear", "--match", "header:x=1"})) {
            Cli.Result r = run("route", bad);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
            assertThat(r.stdout()).contains("\"bad-input\"");
        }
        for (String[] bad : List.of(new String[] {"--percent", "0"}, new String[] {"--percent", "101"}, new String[] {},
                new String[] {"--off", "--percent", "5"})) {
            Cli.Result r = run("mirror", bad);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        }
        JsonNode dry = JSON.readTree(ok(run("route", "--match", "header:x-beta=1", "--dry-run")).stdout());
        assertThat(dry.path("dryRun").asBoolean()).isTrue();
        assertThat(dry.path("outcome").asText()).isEqualTo("planned");
        assertThat(edgeVersion()).isEqualTo(before);
    }

    @Order(2)
    @Test
    void requestsMeetingEveryMatchReachOnlyTheCanaryAndAllOthersOnlyTheStable() throws Exception {
        JsonNode r = JSON.readTree(ok(run("route", "--match", "header:x-beta=1", "--match", "cookie:beta=yes")).stdout());
        assertThat(r.path("outcome").asText()).isEqualTo("routed");
        assertThat(r.path("canary").asText()).isEqualTo("1.0.1");
        assertThat(r.path("match").toString()).isEqualTo("[\"cookie:beta=yes\",\"header:x-beta=1\"]");
        assertThat(sample(N, BETA)).containsExactlyEntriesOf(Map.of(CANARY, N));
        assertThat(sample(N, Map.of())).containsExactlyEntriesOf(Map.of(STABLE, N));
        // AND: one of the two is not enough; a neighbouring cookie's name or a longer value is not the cookie
        assertThat(sample(100, Map.of("x-beta", "1"))).containsExactlyEntriesOf(Map.of(STABLE, 100));
        assertThat(sample(100, Map.of("cookie", "beta=yes"))).containsExactlyEntriesOf(Map.of(STABLE, 100));
        assertThat(sample(100, Map.of("x-beta", "1", "cookie", "xbeta=yes; beta=yess"))).containsExactlyEntriesOf(Map.of(STABLE, 100));
        assertThat(sample(100, Map.of("x-beta", "2", "cookie", "beta=yes"))).containsExactlyEntriesOf(Map.of(STABLE, 100));
        // the forcing token's rule is untouched: it still reaches the canary, and a request without one is not forced
        String token = ok(cli().run("canary-token", "--edge", bed.edge, "--app", bed.app, "--env", "webdev")).stdout().strip();
        assertThat(sample(50, Map.of("x-canary-token", token))).containsExactlyEntriesOf(Map.of(CANARY, 50));
        // a shift keeps the audience; status shows it
        ok(run("shift", "--weight", "0"));
        assertThat(sample(100, BETA)).containsExactlyEntriesOf(Map.of(CANARY, 100));
        JsonNode status = JSON.readTree(ok(cli().run("status", "--edge", bed.edge, "--app", bed.app, "--env", "webdev",
                "-o", "json")).stdout()).path("tracks").get(0);
        assertThat(status.path("match").toString()).isEqualTo("[\"cookie:beta=yes\",\"header:x-beta=1\"]");
        // the same again changes nothing
        assertThat(JSON.readTree(ok(run("route", "--match", "cookie:beta=yes", "--match", "header:x-beta=1")).stdout())
                .path("outcome").asText()).isEqualTo("unchanged");
    }

    @Order(3)
    @Test
    void routeClearPutsMatchedClientsBackOnTheStableAtOnce() throws Exception {
        ok(run("route", "--clear"));
        // the first request after the command returns is already the stable's
        assertThat(sample(200, BETA)).containsExactlyEntriesOf(Map.of(STABLE, 200));
        ok(run("route", "--match", "header:x-beta~[0-9]+", "--match", "cookie:beta=yes"));
        assertThat(sample(200, BETA)).containsExactlyEntriesOf(Map.of(CANARY, 200));
        assertThat(sample(200, Map.of("x-beta", "one", "cookie", "beta=yes"))).containsExactlyEntriesOf(Map.of(STABLE, 200));
    }

    @Order(4)
    @Test
    void mirroredRequestsReachTheCanaryAtThePercentageWhileClientsGetOnlyStableAnswers() throws Exception {
        int percent = 30;
        JsonNode r = JSON.readTree(ok(run("mirror", "--percent", String.valueOf(percent))).stdout());
        assertThat(r.path("mirrorPercent").asInt()).isEqualTo(percent);
        String canary = bed.track + "-1_0_1";
        String token = ok(cli().run("canary-token", "--stats", "--ttl", "5m")).stdout().strip();
        // the load goes round every node's Envoy: each counts its own share, so the counts are summed over the nodes
        long mirroredBefore = requests(token, canary + "--mirror");
        long realBefore = requests(token, canary);
        assertThat(sample(N, Map.of())).containsExactlyEntriesOf(Map.of(STABLE, N));
        long mirrored = awaitMirrored(token, canary) - mirroredBefore;
        long real = requests(token, canary) - realBefore;
        double mean = N * percent / 100.0;
        double sigma = Math.sqrt(N * (percent / 100.0) * (1 - percent / 100.0));
        System.out.printf("mirror %d%%: %d of %d requests mirrored (expected %.0f, 3 sigma %.1f); canary's own cluster %d%n",
                percent, mirrored, N, mean, 3 * sigma, real);
        assertThat((double) mirrored).isBetween(mean - 3 * sigma, mean + 3 * sigma);
        // mirrored requests are not the canary's real traffic: its own cluster, which analyze reads, got none
        assertThat(real).isZero();
        JsonNode status = JSON.readTree(ok(cli().run("status", "--edge", bed.edge, "--app", bed.app, "--env", "webdev",
                "-o", "json")).stdout()).path("tracks").get(0);
        assertThat(status.path("mirrorPercent").asInt()).isEqualTo(percent);
    }

    /** Mirrored requests are sent after the client's answer: wait until the counters stop moving. */
    /** The mirror cluster's request count once it stops growing (mirrored requests are sent after the answer). */
    private long awaitMirrored(String token, String canary) throws Exception {
        long last = requests(token, canary + "--mirror");
        for (int i = 0; i < 20; i++) {
            TestSwarm.sleep(500);
            long now = requests(token, canary + "--mirror");
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** A cluster's requests, summed over every node's Envoy. */
    private long requests(String token, String cluster) throws Exception {
        long sum = 0;
        for (String node : Bed.NODE_HOSTS) {
            HttpAnswer r = StatsHost.get(node, bed.port, StatsHost.ANALYSIS_PATH, token, Duration.ofSeconds(2),
                    Duration.ofSeconds(10));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            sum += EnvoyStats.parse(r.body()).of(cluster).requests();
        }
        return sum;
    }

    @Order(5)
    @Test
    void aRollbackPutsMatchedClientsOnTheStableAtOnceAndEndsMirroring() throws Exception {
        ok(run("rollback"));
        assertThat(sample(200, BETA)).containsExactlyEntriesOf(Map.of(STABLE, 200));
        JsonNode status = JSON.readTree(ok(cli().run("status", "--edge", bed.edge, "--app", bed.app, "--env", "webdev",
                "-o", "json")).stdout()).path("tracks").get(0);
        assertThat(status.path("match").isMissingNode() || status.path("match").isEmpty()).isTrue();
        // no canary: nothing to route or mirror to
        long before = edgeVersion();
        Cli.Result r = run("route", "--match", "header:x-beta=1");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stdout()).contains("has no canary");
        assertThat(run("mirror", "--percent", "5").exitCode()).isEqualTo(2);
        assertThat(edgeVersion()).isEqualTo(before);
    }

    // ---- shift --sticky (a new canary after the rollback above; its app sets a cookie of its own)

    private static final String STICKY = "sc-sticky";
    private static final String NEXT = "version=1.0.2";
    private static final java.util.regex.Pattern STICKY_COOKIE = java.util.regex.Pattern.compile(
            STICKY + "=([0-9a-f]{20}); Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
    private static final int CLIENTS = 50;
    private static final int REQUESTS = 20;
    /** Clients that keep their cookie, by the version they were first sent to (each holds that version's cookie value). */
    private final Map<String, String> cookieOf = new java.util.TreeMap<>();

    /** One request as a client with this cookie header (none: a new client): the version and the Set-Cookie values. */
    private static Answer request(Bedding bed, String cookie) throws Exception {
        HttpResponse<String> r = Traffic.get(bed.port, bed.host, cookie == null ? Map.of() : Map.of("cookie", cookie));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new Answer(r.body().trim().split(" ")[0], r.headers().allValues("set-cookie"));
    }

    private record Answer(String version, List<String> setCookies) {
        /** The sticky cookie's value this answer set, or null. */
        String sticky() {
            return setCookies.stream().map(STICKY_COOKIE::matcher).filter(java.util.regex.Matcher::matches)
                    .map(m -> m.group(1)).findFirst().orElse(null);
        }
    }

    /** Every kept-cookie client makes REQUESTS requests: the versions each got (exact: one version per client). */
    private Map<String, java.util.Set<String>> stickyClientsVersions(int requests) throws Exception {
        Map<String, java.util.Set<String>> seen = new java.util.TreeMap<>();
        for (Map.Entry<String, String> c : cookieOf.entrySet()) {
            for (int i = 0; i < requests; i++) {
                // the client's other cookies around it, as a browser sends them
                Answer a = request(bed, "app-session=42; " + STICKY + "=" + c.getValue() + "; lang=en");
                seen.computeIfAbsent(c.getKey(), k -> new java.util.TreeSet<>()).add(a.version());
                // a kept client gets no new cookie; at weight 0 or after a rollback nobody gets one
                assertThat(a.sticky()).as("a sticky client gets no new cookie").isNull();
            }
        }
        return seen;
    }

    @Order(6)
    @Test
    void stickyBadInputIsExitTwoAndChangesNothing() throws Exception {
        ok(deploy("1.0.2", "APP_SET_COOKIE=app-session=42; Path=/"));
        long before = edgeVersion();
        for (String[] bad : List.of(new String[] {"--weight", "20", "--sticky", "--cookie", "a;b"},
                new String[] {"--weight", "20", "--sticky", "--cookie", "s".repeat(29)},
                new String[] {"--weight", "20", "--sticky", "--ttl", "30s"}, new String[] {"--weight", "20", "--sticky", "--ttl", "8d"},
                new String[] {"--weight", "20", "--cookie", STICKY}, new String[] {"--sticky", "--no-sticky"})) {
            Cli.Result r = run("shift", bad);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        }
        JsonNode dry = JSON.readTree(ok(run("shift", "--weight", "20", "--sticky", "--cookie", STICKY, "--dry-run")).stdout());
        assertThat(dry.path("outcome").asText()).isEqualTo("planned");
        assertThat(dry.path("sticky").path("cookie").asText()).isEqualTo(STICKY);
        assertThat(edgeVersion()).isEqualTo(before);
    }

    @Order(7)
    @Test
    void newClientsAreSplitByTheWeightsAndStickyClientsNeverFlipVersion() throws Exception {
        JsonNode r = JSON.readTree(ok(run("shift", "--weight", "20", "--sticky", "--cookie", STICKY)).stdout());
        assertThat(r.path("sticky").toString()).isEqualTo("{\"cookie\":\"" + STICKY + "\",\"ttlSeconds\":3600}");
        JsonNode status = JSON.readTree(ok(cli().run("status", "--edge", bed.edge, "--app", bed.app, "--env", "webdev",
                "-o", "json")).stdout()).path("tracks").get(0);
        assertThat(status.path("sticky").path("cookie").asText()).isEqualTo(STICKY);
        Map<String, Integer> split = new java.util.TreeMap<>();
        Map<String, java.util.Set<String>> valuesByVersion = new java.util.TreeMap<>();
        for (int i = 0; i < N; i++) {
            Answer a = request(bed, null);
            split.merge(a.version(), 1, Integer::sum);
            assertThat(a.sticky()).as("a new client gets the sticky cookie: %s", a.setCookies()).isNotNull();
            valuesByVersion.computeIfAbsent(a.version(), k -> new java.util.TreeSet<>()).add(a.sticky());
            if (a.version().equals(NEXT)) { // the app's own Set-Cookie is still there, beside ours
                assertThat(a.setCookies()).contains("app-session=42; Path=/").hasSize(2);
            }
            // half the kept clients from each release
            if (cookieOf.keySet().stream().filter(k -> k.startsWith(a.version() + "#")).count() < CLIENTS / 2) {
                cookieOf.put(a.version() + "#" + i, a.sticky());
            }
        }
        double mean = N * 0.2;
        double sigma = Math.sqrt(N * 0.2 * 0.8);
        System.out.printf("sticky at 20%%: %s of %d new clients (canary expected %.0f, 3 sigma %.1f)%n", split, N, mean, 3 * sigma);
        assertThat(split.keySet()).containsExactlyInAnyOrder(STABLE, NEXT);
        assertThat((double) split.get(NEXT)).isBetween(mean - 3 * sigma, mean + 3 * sigma);
        // one value per release, the two apart, neither naming a version
        assertThat(valuesByVersion.get(STABLE)).hasSize(1);
        assertThat(valuesByVersion.get(NEXT)).hasSize(1).doesNotContainAnyElementsOf(valuesByVersion.get(STABLE));
        assertThat(cookieOf).hasSize(CLIENTS);
        Map<String, java.util.Set<String>> seen = stickyClientsVersions(REQUESTS);
        seen.forEach((client, versions) -> assertThat(versions).as(client).containsExactly(client.substring(0, client.indexOf('#'))));
        System.out.printf("sticky at 20%%: %d clients x %d requests, none flipped%n", CLIENTS, REQUESTS);
    }

    @Order(8)
    @Test
    void aShiftKeepsEveryStickyClientWhereItWasAndWeightZeroSendsTheCanarysToTheStable() throws Exception {
        JsonNode r = JSON.readTree(ok(run("shift", "--weight", "50")).stdout());
        assertThat(r.path("sticky").path("cookie").asText()).isEqualTo(STICKY);
        stickyClientsVersions(REQUESTS).forEach((client, versions) ->
                assertThat(versions).as(client).containsExactly(client.substring(0, client.indexOf('#'))));
        // at weight 0 there is no canary route: its cookie holders are on the stable at their next request
        ok(run("shift", "--weight", "0"));
        stickyClientsVersions(3).forEach((client, versions) -> assertThat(versions).as(client).containsExactly(STABLE));
        ok(run("shift", "--weight", "50"));
        stickyClientsVersions(3).forEach((client, versions) ->
                assertThat(versions).as(client).containsExactly(client.substring(0, client.indexOf('#'))));
    }

    @Order(9)
    @Test
    void aRollbackSendsTheCanarysStickyClientsToTheStableOnTheirNextRequest() throws Exception {
        ok(run("rollback"));
        stickyClientsVersions(5).forEach((client, versions) -> assertThat(versions).as(client).containsExactly(STABLE));
        JsonNode status = JSON.readTree(ok(cli().run("status", "--edge", bed.edge, "--app", bed.app, "--env", "webdev",
                "-o", "json")).stdout()).path("tracks").get(0);
        assertThat(status.has("sticky")).isFalse();
        // and no sticky cookie is handed out any more
        assertThat(request(bed, null).sticky()).isNull();
    }
}
