package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.Openssl;
import io.swarmcanary.testing.TestCertificates;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * HTTPS on the real swarm and Envoy (delivery redeploy): certificates made by openssl given to {@code edge ensure --tls},
 * stored as secrets and mounted into Envoy; a TLS client trusting only the test CA gets each domain's own certificate by
 * SNI and the app's answer; TLS 1.1 is refused; plain HTTP is redirected; bad files change nothing; a new certificate
 * reaches new handshakes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeHttpsIT {
    private static final int PORT = 10251;
    private static final int TLS_PORT = 10252;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("tls");
    private static final String EDGE = "sctest-" + APP;
    private static final String HOST = APP + ".webdev.test";
    private static final String WILD = "*.w." + APP + ".test";
    private static final String TRACK = APP + "-webdev";
    private static Path dir;
    private static Openssl certs;

    @BeforeAll
    static void anEdgeWithTwoCertificates() throws Exception {
        dir = Files.createTempDirectory("edge-https-it");
        certs = new Openssl(dir);
        certs.leaf("host", HOST, "rsa");
        certs.leaf("wild", WILD, "ec");
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                "--tls", certs.tls(HOST, "host"), "--tls", certs.tls(WILD, "wild"), "--tls-port", String.valueOf(TLS_PORT),
                "--hsts", "600"));
        ok(cli().run("deploy", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev",
                "--version", "1.0.0", "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=1.0.0", "--domain", HOST,
                "--domain", "a.w." + APP + ".test"));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        swarm.close();
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static Openssl.Answer https(String host) throws Exception {
        return certs.get(Bed.PROBE_HOST, TLS_PORT, host, "/");
    }

    @Test
    @Order(1)
    void eachDomainGetsItsOwnCertificateBySniAndTheAppsAnswerOverTls12OrLater() throws Exception {
        Openssl.Answer host = https(HOST);
        Openssl.Answer wild = https("a.w." + APP + ".test");

        assertThat(host.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + HOST);
        assertThat(host.protocol()).isIn("TLSv1.2", "TLSv1.3");
        assertThat(host.response()).startsWith("HTTP/1.1 200").contains("version=1.0.0");
        assertThat(host.response().toLowerCase()).contains("strict-transport-security: max-age=600");
        assertThat(wild.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + WILD.replace("*", "wildcard"));
        assertThat(wild.response()).startsWith("HTTP/1.1 200").contains("version=1.0.0");
        assertThatThrownBy(() -> https("nobody." + APP + ".test")).isInstanceOf(java.io.IOException.class);
        assertThat(certs.sClient(Bed.PROBE_HOST, TLS_PORT, HOST, "-tls1_2")).contains("Protocol  : TLSv1.2");
        assertThat(certs.sClient(Bed.PROBE_HOST, TLS_PORT, HOST, "-tls1_1")).contains("alert protocol version")
                .contains("no peer certificate available");
    }

    @Test
    @Order(2)
    void plainHttpIsRedirectedWhileTheCliKeepsReadingThroughIt() {
        String r = Traffic.raw(PORT, HOST, "GET", "/some/path?x=1", Map.of());

        assertThat(r).startsWith("HTTP/1.1 308")
                .containsIgnoringCase("location: https://" + HOST + ":" + TLS_PORT + "/some/path?x=1");
        assertThat(r.toLowerCase()).doesNotContain("strict-transport-security");
        // status reads the stats host through the plain port, and the smoke host answers there
        ok(cli().run("status", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST));
        assertThat(Traffic.raw(PORT, EnvoyConfigRenderer.SMOKE_VIRTUAL_HOST, "GET", "/", Map.of())).startsWith("HTTP/1.1 200");
    }

    @Test
    @Order(3)
    void badCertificatesAreExit2AndChangeNothing() throws Exception {
        String before = swarm.docker.inspectServiceCmd(EDGE).exec().getVersion().getIndex().toString();
        int secrets = swarm.docker.listSecretsCmd().withLabelFilter(Map.of("io.swarm-canary.edge", EDGE)).exec().size();
        TestCertificates bc = new TestCertificates(dir);
        KeyPair keys = TestCertificates.keys("RSA");
        String expired = bc.files(HOST, bc.leaf(keys, Instant.now().minus(Duration.ofDays(9)), Instant.now().minus(Duration.ofDays(1)),
                HOST), keys);
        certs.leaf("other", HOST, "rsa");
        String mismatched = HOST + "=" + certs.file("host.crt") + "," + certs.file("other.key");

        for (String bad : List.of(expired, mismatched, HOST + "=" + dir.resolve("missing.crt") + "," + certs.file("host.key"))) {
            Cli.Result r = cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                    "--tls", bad);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
            assertThat(r.all()).doesNotContain("PRIVATE KEY-----");
        }

        assertThat(swarm.docker.inspectServiceCmd(EDGE).exec().getVersion().getIndex().toString()).isEqualTo(before);
        assertThat(swarm.docker.listSecretsCmd().withLabelFilter(Map.of("io.swarm-canary.edge", EDGE)).exec()).hasSize(secrets);
    }

    @Test
    @Order(4)
    void aNewCertificateReachesNewHandshakesAndAReRunChangesNothing() throws Exception {
        java.math.BigInteger old = https(HOST).certificate().getSerialNumber();
        certs.leaf("host2", HOST, "rsa");

        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy",
                "--tls", certs.tls(HOST, "host2")));
        Cli.Result again = ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image",
                TestSwarm.ENVOY, "--delivery", "redeploy", "--output", "json"));

        Openssl.Answer now = https(HOST);
        assertThat(now.certificate().getSerialNumber()).isNotEqualTo(old);
        assertThat(now.response()).startsWith("HTTP/1.1 200").contains("version=1.0.0");
        assertThat(again.stdout()).containsPattern("\"outcome\"\\s*:\\s*\"unchanged\"");
        // the wildcard's certificate and the HSTS setting were kept
        assertThat(https("a.w." + APP + ".test").response().toLowerCase()).contains("strict-transport-security: max-age=600");
    }
}
