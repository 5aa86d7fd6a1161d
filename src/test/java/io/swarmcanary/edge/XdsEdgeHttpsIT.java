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
 * over SDS from the control plane, under the domain's name), its route table comes from the control plane like the plain
 * one, so neither a shift nor a certificate's rotation restarts Envoy or closes a connection.
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
    void aRotatedCertificateIsAnSdsUpdateThatKeepsEveryConnectionAndRestartsNoEnvoy() throws Exception {
        java.math.BigInteger old = certs.get(Bed.PROBE_HOST, TLS_PORT, HOST, "/").certificate().getSerialNumber();
        String envoyTasks = envoyTasks();
        String envoyConfig = envoySpec().getTaskTemplate().toString();
        certs.leaf("host2", HOST, "rsa");
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean rotating = new java.util.concurrent.atomic.AtomicBoolean(true);
        Cli.Result rotation;
        // one keep-alive connection, asked all along the rotation: it must never be closed nor fail
        try (Openssl.KeepAlive kept = certs.keepAlive(Bed.PROBE_HOST, TLS_PORT, HOST)) {
            assertThat(kept.certificate().getSerialNumber()).isEqualTo(old);
            Thread requests = new Thread(() -> {
                while (rotating.get() && failed.isEmpty()) {
                    try {
                        String r = kept.get("/");
                        if (!r.startsWith("HTTP/1.1 200") || r.toLowerCase().contains("connection: close")) {
                            failed.add(r.lines().findFirst().orElse("") + (r.toLowerCase().contains("connection: close")
                                    ? " (connection: close)" : ""));
                        } else {
                            answered.incrementAndGet();
                        }
                        Thread.sleep(50);
                    } catch (Exception e) {
                        failed.add(e.toString());
                    }
                }
            });
            requests.start();
            long started = System.nanoTime();
            rotation = ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                    "--probe-host", Bed.PROBE_HOST, "--tls", certs.tls(HOST, "host2")));
            System.out.println("XdsEdgeHttpsIT: the rotation's edge ensure took " + (System.nanoTime() - started) / 1_000_000 + " ms");
            Thread.sleep(2000); // and a while after it
            rotating.set(false);
            requests.join(15000);
            // the same connection answers still, with the certificate of its handshake
            assertThat(kept.get("/")).startsWith("HTTP/1.1 200");
            assertThat(kept.certificate().getSerialNumber()).isEqualTo(old);
        }
        System.out.println("XdsEdgeHttpsIT: rotation: " + answered.get() + " requests on one kept connection, "
                + failed.size() + " failed");
        assertThat(failed).as("requests on the kept connection during the rotation").isEmpty();
        assertThat(answered.get()).isGreaterThan(10);
        assertThat(envoyTasks()).as("Envoy tasks before and after the rotation").isEqualTo(envoyTasks);
        assertThat(envoySpec().getTaskTemplate().toString()).as("Envoy's task spec").isEqualTo(envoyConfig);
        assertThat(rotation.stderr() + rotation.stdout()).doesNotContain("PRIVATE KEY").doesNotContain("restarts");

        // every Envoy's new handshakes get the new certificate, checked against the CA
        for (String node : Bed.NODE_HOSTS) {
            Openssl.Answer now = certs.get(node, TLS_PORT, HOST, "/");
            assertThat(now.certificate().getSerialNumber()).as("certificate on " + node).isNotEqualTo(old);
            assertThat(now.response()).startsWith("HTTP/1.1 200").contains("version=1");
        }
        // the key went to the control plane alone: Envoy mounts no certificate, and nothing of a key is in a label
        com.github.dockerjava.api.model.ServiceSpec envoy = envoySpec();
        assertThat(String.valueOf(envoy.getTaskTemplate().getContainerSpec().getSecrets())).doesNotContain("-tls-");
        assertThat(String.valueOf(envoy.getLabels())).doesNotContain("PRIVATE KEY");
        com.github.dockerjava.api.model.ServiceSpec controlPlane = swarm.docker.inspectServiceCmd(EDGE + "-xds").exec().getSpec();
        assertThat(String.valueOf(controlPlane.getTaskTemplate().getContainerSpec().getSecrets())).contains("-tls-key-");
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

    private static com.github.dockerjava.api.model.ServiceSpec envoySpec() {
        return swarm.docker.inspectServiceCmd(EDGE).exec().getSpec();
    }

    /** Each running Envoy task's ID and its container's start time: a restart changes one of them. */
    private static String envoyTasks() {
        return swarm.docker.listTasksCmd().withServiceFilter(EDGE).exec().stream()
                .filter(t -> t.getStatus() != null && "running".equalsIgnoreCase(String.valueOf(t.getStatus().getState())))
                .map(t -> t.getId() + "@" + t.getStatus().getTimestamp()).sorted().toList().toString();
    }
}
