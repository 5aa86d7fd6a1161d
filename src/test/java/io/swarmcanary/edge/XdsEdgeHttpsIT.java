package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.Openssl;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * HTTPS on an xds edge, on the real swarm and Envoy: the TLS listener is static in Envoy's bootstrap (certificates
 * mounted from the edge's secrets), its route table comes from the control plane like the plain one, so a shift reaches
 * https clients without restarting Envoy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XdsEdgeHttpsIT {
    private static final int PORT = 10253;
    private static final int TLS_PORT = 10254;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("xtls");
    private static final String EDGE = "sctest-" + APP;
    private static final String HOST = APP + ".webdev.test";
    private static final String IMAGE = APP + "-cli:latest";
    private static Openssl certs;

    @BeforeAll
    static void anXdsEdgeWithACertificateAndACanary() throws Exception {
        Path dir = Files.createTempDirectory("xds-https-it");
        certs = new Openssl(dir);
        certs.leaf("host", HOST, "ec");
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--delivery", "xds", "--control-plane-image", Bed.cliImage(IMAGE), "--probe-host", Bed.PROBE_HOST,
                "--tls", certs.tls(HOST, "host"), "--tls-port", String.valueOf(TLS_PORT)));
        for (String version : List.of("1", "2")) {
            ok(cli().run("deploy", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev",
                    "--version", version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--domain", HOST));
        }
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(APP + "-webdev");
        swarm.removeEdge(EDGE);
        Bed.removeCliImage(IMAGE);
        swarm.close();
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static void shift(int weight) {
        ok(cli().run("shift", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev",
                "--weight", String.valueOf(weight)));
    }

    @Test
    @Order(1)
    void shiftsReachHttpsClientsOverRdsWithoutRestartingEnvoy() throws Exception {
        Openssl.Answer before = certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/");
        assertThat(before.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + HOST);
        assertThat(before.response()).startsWith("HTTP/1.1 200").contains("version=1");
        String envoyTasks = envoyTasks();

        shift(100);
        assertThat(certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/").response()).contains("version=2");
        shift(0);
        assertThat(certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/").response()).contains("version=1");

        assertThat(envoyTasks()).as("Envoy tasks before and after two shifts").isEqualTo(envoyTasks);
        // plain HTTP redirects to https; the CLI's hosts stay plain (the shifts above read through them)
        assertThat(Traffic.raw(PORT, HOST, "GET", "/x", Map.of())).startsWith("HTTP/1.1 308")
                .containsIgnoringCase("location: https://" + HOST + ":" + TLS_PORT + "/x");
    }

    @Test
    @Order(2)
    void aRotatedCertificateReachesNewHandshakesAndTheRoutesStayTheControlPlanes() throws Exception {
        java.math.BigInteger old = certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/").certificate().getSerialNumber();
        certs.leaf("host2", HOST, "rsa");
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--probe-host", Bed.PROBE_HOST, "--tls", certs.tls(HOST, "host2")));

        Openssl.Answer now = certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/");
        assertThat(now.certificate().getSerialNumber()).isNotEqualTo(old);
        assertThat(now.response()).startsWith("HTTP/1.1 200").contains("version=1");
        shift(100);
        assertThat(certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/").response()).contains("version=2");
    }

    @Test
    @Order(3)
    void halfHandshakesHeldOnTheTlsPortBlockNeitherHttpsClientsNorAShift() throws Exception {
        List<java.net.Socket> slow = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                for (String node : Bed.NODE_HOSTS) {
                    java.net.Socket s = new java.net.Socket();
                    s.connect(new java.net.InetSocketAddress(node, TLS_PORT), 2000);
                    // the start of a TLS handshake record announcing 255 bytes, never sent
                    s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xff, 0x01});
                    s.getOutputStream().flush();
                    slow.add(s);
                }
            }
            long started = System.nanoTime();
            shift(0);
            System.out.println("XdsEdgeHttpsIT: shift under " + slow.size() + " half-handshakes took "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
            for (int i = 0; i < 10; i++) {
                assertThat(certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/").response()).startsWith("HTTP/1.1 200").contains("version=1");
            }
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
    }

    /** Each running Envoy task's ID and its container's start time: a restart changes one of them. */
    private static String envoyTasks() {
        return swarm.docker.listTasksCmd().withServiceFilter(EDGE).exec().stream()
                .filter(t -> t.getStatus() != null && "running".equalsIgnoreCase(String.valueOf(t.getStatus().getState())))
                .map(t -> t.getId() + "@" + t.getStatus().getTimestamp()).sorted().toList().toString();
    }
}
