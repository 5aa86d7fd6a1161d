package io.swarmcanary.analysis;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * analyze on an xds edge: the stats host comes over RDS and its admin cluster is static in the bootstrap. A canary
 * answering 30% 500s fails and is rolled back; with xds no Envoy restarts, so no request fails but the canary's own.
 */
class AnalyzeXdsIT {
    static {
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 10204;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-an-x");
    private static final String EDGE = APP + "-edge";
    private static final String IMAGE = APP + "-cli:latest";
    private static final String HOST = APP + ".webdev.test";

    @BeforeAll
    static void xdsEdge() throws Exception {
        String controlPlaneImage = Bed.cliImage(IMAGE);
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--delivery", "xds", "--control-plane-image", controlPlaneImage, "-q"));
        ok(deploy("1.0.0"));
        ok(deploy("2.0.0", "ERROR_RATE=30"));
        // deploy returns once the live Envoy has found the tasks of the release (its own membership_healthy gauge)
        String stable = APP + "-webdev-1_0_0";
        String canary = APP + "-webdev-2_0_0";
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            assertThat(EdgeProbe.http(Bed.PROBE_HOST, new DockerSwarmGateway(docker))
                    .healthyHosts(PORT, List.of(stable, canary, APP + "-webdev-9_9_9")))
                    .contains(Map.of(stable, 1L, canary, 1L, APP + "-webdev-9_9_9", 0L));
        }
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(APP + "-webdev");
        swarm.removeEdge(EDGE);
        swarm.removeImageWhenFree(IMAGE); // in use until the control plane's containers are reaped
        Bed.removeCliImage(IMAGE);
        swarm.close();
    }

    private static Cli.Result deploy(String version, String... env) {
        return cli().deployTestApp(EDGE, APP, HOST, version, env);
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void aFailingCanaryIsRolledBackAndNoOtherRequestFails() throws Exception {
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        boolean[] running = {true};
        Thread load = new Thread(() -> {
            while (running[0]) {
                try {
                    HttpResponse<String> r = Traffic.get(PORT, HOST, Map.of());
                    outcomes.add(r.statusCode() + " " + r.headers().firstValue("x-app-version").orElse("-"));
                } catch (Exception e) {
                    outcomes.add("error-" + e.getClass().getSimpleName());
                }
                TestSwarm.sleep(10);
            }
        });
        load.start();
        Cli.Result r;
        try {
            ok(cli().run("shift", "--edge", EDGE, "--app", APP, "--env", "webdev", "--weight", "25", "-q"));
            r = cli().run("analyze", "--edge", EDGE, "--app", APP, "--env", "webdev", "--window", "10s",
                    "--min-requests", "50", "--rollback-on-fail", "--output", "json");
            TestSwarm.sleep(1000);
        } finally {
            running[0] = false;
            load.join(10_000);
        }
        System.out.println("AnalyzeXdsIT: " + r);
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        JsonNode json = JSON.readTree(r.stdout());
        assertThat(json.path("verdict").asText()).as(r.toString()).isEqualTo("fail");
        assertThat(json.path("reason").asText()).contains("error rate");
        assertThat(json.at("/rollback/weights/1.0.0").asInt()).isEqualTo(100);
        Map<String, Integer> counts = new TreeMap<>();
        new ArrayList<>(outcomes).forEach(o -> counts.merge(o, 1, Integer::sum));
        System.out.println("AnalyzeXdsIT: outcomes " + counts);
        // every answer a release gave is the stable's 200, the canary's 200 or its injected 500: the stable never failed
        assertThat(counts.keySet().stream().filter(k -> !k.endsWith(" -")))
                .containsExactlyInAnyOrder("200 1.0.0", "200 2.0.0", "500 2.0.0");
        // and Envoy answered nothing itself: no "503 no healthy upstream" for a canary whose tasks it had not found
        // yet when the shift gave it weight (deploy and shift now wait for Envoy's membership_healthy)
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        int envoyErrors = counts.entrySet().stream().filter(e -> e.getKey().endsWith(" -")).mapToInt(Map.Entry::getValue).sum();
        if (envoyErrors > 0) { // Envoy's access log says why (response flags, upstream host)
            Process logs = new ProcessBuilder("docker", "service", "logs", "--raw", EDGE).redirectErrorStream(true).start();
            new String(logs.getInputStream().readAllBytes()).lines().filter(l -> l.contains("\" 503 "))
                    .forEach(l -> System.out.println("AnalyzeXdsIT: envoy " + l));
        }
        assertThat(envoyErrors).as("Envoy-generated errors %s of %d", counts, total).isZero();
    }
}
