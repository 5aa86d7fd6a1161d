package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.TlsCertificates;
import io.swarmcanary.swarm.SecretMount;
import io.swarmcanary.testing.FakeSwarm;
import io.swarmcanary.testing.TestCertificates;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** edge ensure --tls on an in-memory swarm: what is checked before anything changes, what is stored, what is kept. */
class EdgeTlsCommandTest {
    static final String EDGE = "envoy";
    final FakeSwarm swarm = new FakeSwarm();
    final EdgeManager edges = new EdgeManager(swarm, swarm.liveEdge(EDGE), Clock.systemUTC(), Duration.ofMillis(400));
    @TempDir Path dir;
    TestCertificates certs;
    KeyPair shopKeys;
    String shop;

    @BeforeEach
    void setUp() {
        swarm.images.add("docker.io/envoyproxy/envoy:v1.34-latest");
        certs = new TestCertificates(dir);
        shopKeys = TestCertificates.keys("RSA");
        shop = certs.files("shop.example.com", certs.leaf(shopKeys, "shop.example.com"), shopKeys);
    }

    record Answer(int exit, JsonNode json, String text) {}

    Answer cli(String... argv) {
        List<String> args = new ArrayList<>(List.of("edge", "ensure", "--edge", EDGE));
        args.addAll(List.of(argv));
        if (!args.contains("--delivery")) { // certificates on the restart delivery, unless a test asks for xds
            args.addAll(List.of("--delivery", "redeploy"));
        }
        args.addAll(List.of("--output", "json", "--quiet"));
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(Map.of());
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(new StringWriter()));
        int exit = cli.execute(args.toArray(String[]::new));
        return new Answer(exit, CliJsonFixtures.parse(out.toString()), out.toString());
    }

    EdgeSettings settings() {
        return edges.require(EDGE).settings();
    }

    @Test
    void storesEachCertificateAndKeyAsKeyedSecretsMountedForEnvoyOnly() {
        KeyPair wildKeys = TestCertificates.keys("EC");
        String wild = certs.files("*.example.org", certs.leaf(wildKeys, "*.example.org"), wildKeys);

        Answer a = cli("--tls", shop, "--tls", wild, "--hsts", "600");

        assertThat(a.exit()).as(a.text()).isZero();
        EdgeSettings.Https https = settings().https();
        assertThat(https.port()).isEqualTo(443);
        assertThat(https.redirect()).isTrue();
        assertThat(https.hstsMaxAge()).isEqualTo(600L);
        assertThat(https.certificates()).containsOnlyKeys("shop.example.com", "*.example.org");
        EdgeSettings.Certificate c = https.certificates().get("shop.example.com");
        assertThat(c.certSecret()).matches(EDGE + "-tls-crt-[0-9a-f]{12}");
        assertThat(c.keySecret()).matches(EDGE + "-tls-key-[0-9a-f]{12}");
        // the key's bytes are in its secret, and nowhere the CLI prints or the edge's labels hold
        String keyPem = TestCertificates.key(shopKeys);
        assertThat(new String(swarm.secretData.get(c.keySecret()), StandardCharsets.UTF_8)).isEqualTo(keyPem);
        String keyBody = keyPem.lines().skip(1).findFirst().orElseThrow();
        assertThat(a.text()).doesNotContain(keyBody);
        assertThat(swarm.services.get(EDGE).labels().toString()).doesNotContain(keyBody);
        assertThat(a.json().get("https").get("certificates").get("shop.example.com").get("keySecret").asText())
                .isEqualTo(c.keySecret());
        List<SecretMount> mounts = swarm.definitions.get(EDGE).secrets();
        assertThat(mounts).extracting(SecretMount::target).containsExactlyInAnyOrder(
                "/etc/envoy/tls/shop.example.com.crt", "/etc/envoy/tls/shop.example.com.key",
                "/etc/envoy/tls/_.example.org.crt", "/etc/envoy/tls/_.example.org.key");
        assertThat(mounts).allSatisfy(m -> {
            assertThat(m.mode()).isEqualTo(0400);
            assertThat(m.uid()).isEqualTo(TlsCertificates.ENVOY_UID);
        });
    }

    @Test
    void theTlsPortIsPublishedInHostModeOntoEnvoysTlsListener() {
        assertThat(cli("--port", "10080", "--tls", shop, "--tls-port", "10443").exit()).isZero();

        assertThat(swarm.definitions.get(EDGE).ports()).containsExactly(
                new io.swarmcanary.swarm.ServiceDefinition.PublishedPort(10080, EdgeSettings.LISTENER_PORT),
                new io.swarmcanary.swarm.ServiceDefinition.PublishedPort(10443, EdgeSettings.TLS_LISTENER_PORT));
        assertThat(swarm.configs.values().stream().filter(c -> c.name().startsWith(EDGE + "-config-"))
                .map(c -> new String(c.data(), StandardCharsets.UTF_8)))
                .anySatisfy(yaml -> assertThat(yaml).contains("/etc/envoy/tls/shop.example.com.key").contains("TLSv1_2"));
    }

    /** A team's Envoy stack file giving HTTPS the compose way: the certificate files as top-level secrets. */
    Path stackFile(String extension) throws java.io.IOException {
        String[] files = shop.substring(shop.indexOf('=') + 1).split(",");
        return java.nio.file.Files.writeString(dir.resolve("envoy-stack.yml"), """
                services:
                  envoy:
                    image: docker.io/envoyproxy/envoy:v1.34-latest
                    ports: ["10080:10000", "10443:10443"]
                %s
                secrets:
                  shop_crt: {file: %s}
                  shop_key: {file: %s}
                  other: {external: true}
                """.formatted(extension, files[0], files[1]));
    }

    @Test
    void aStackFileGivesTheCertificatesAsSecretsWithFilesAndTheHttpsPortAsTarget10443() throws Exception {
        Answer a = cli("--compose", stackFile("    x-swarm-canary-tls: {shop.example.com: {certificate: shop_crt, key: shop_key}}").toString());

        assertThat(a.exit()).as(a.text()).isZero();
        EdgeSettings.Https https = settings().https();
        assertThat(https.port()).isEqualTo(10443);
        assertThat(https.certificates()).containsOnlyKeys("shop.example.com");
        assertThat(swarm.definitions.get(EDGE).ports()).containsExactly(
                new io.swarmcanary.swarm.ServiceDefinition.PublishedPort(10080, EdgeSettings.LISTENER_PORT),
                new io.swarmcanary.swarm.ServiceDefinition.PublishedPort(10443, EdgeSettings.TLS_LISTENER_PORT));
        // the same file again changes nothing
        assertThat(cli("--compose", dir.resolve("envoy-stack.yml").toString()).json().get("outcome").asText()).isEqualTo("unchanged");
    }

    @Test
    void aStackFileWithAnHttpsPortButNoCertificateMakesAPlainEdge() throws Exception {
        Answer a = cli("--compose", stackFile("").toString());
        assertThat(a.exit()).as(a.text()).isZero();
        assertThat(settings().https()).isNull();
        assertThat(swarm.definitions.get(EDGE).ports()).containsExactly(
                new io.swarmcanary.swarm.ServiceDefinition.PublishedPort(10080, EdgeSettings.LISTENER_PORT));
    }

    @Test
    void aStackFileCertificateThatCannotBeReadIsExit2WithNothingChanged() throws Exception {
        for (String bad : List.of("    x-swarm-canary-tls: {shop.example.com: {certificate: other, key: shop_key}}",
                "    x-swarm-canary-tls: {shop.example.com: {certificate: nope, key: shop_key}}",
                "    x-swarm-canary-tls: {shop.example.com: {certificate: shop_crt}}",
                "    x-swarm-canary-tls: [shop.example.com]",
                "    x-swarm-canary-tls: {api.example.com: {certificate: shop_crt, key: shop_key}}")) {
            Answer a = cli("--compose", stackFile(bad).toString());
            assertThat(a.exit()).as(bad + ": " + a.text()).isEqualTo(2);
            assertThat(a.text()).doesNotContain("PRIVATE");
            assertThat(swarm.services).as(bad).isEmpty();
            assertThat(swarm.secrets).as(bad).isEmpty();
        }
    }

    @Test
    void aDefaultDomainIsOneWithACertificateAndStaysUntilChanged() {
        KeyPair wildKeys = TestCertificates.keys("EC");
        String wild = certs.files("*.example.org", certs.leaf(wildKeys, "*.example.org"), wildKeys);
        assertThat(cli("--tls", shop, "--tls", wild).exit()).isZero();
        assertThat(settings().https().defaultDomain()).as("none unless asked").isNull();

        Answer a = cli("--tls-default", "SHOP.example.com");
        assertThat(a.exit()).as(a.text()).isZero();
        assertThat(a.json().path("https").path("defaultDomain").asText()).isEqualTo("shop.example.com");
        assertThat(settings().https().defaultDomain()).isEqualTo("shop.example.com");
        assertThat(swarm.configs.values().stream().filter(c -> c.name().startsWith(EDGE + "-config-"))
                .map(c -> new String(c.data(), StandardCharsets.UTF_8))).anySatisfy(yaml -> assertThat(yaml).contains("default_filter_chain"));
        assertThat(cli().json().get("outcome").asText()).as("a re-run keeps it").isEqualTo("unchanged");

        EdgeSettings before = settings();
        for (String[] bad : List.of(new String[] {"--tls-default", "api.example.com"}, new String[] {"--tls-remove", "shop.example.com"},
                new String[] {"--tls-default", "not a name"})) {
            Answer refused = cli(bad);
            assertThat(refused.exit()).as(List.of(bad) + ": " + refused.text()).isEqualTo(2);
            assertThat(settings()).isEqualTo(before);
        }
        assertThat(cli("--tls-remove", "shop.example.com", "--tls-default", "*.example.org").exit()).isZero();
        assertThat(settings().https().defaultDomain()).isEqualTo("*.example.org");
        assertThat(cli("--tls-default", "off").exit()).isZero();
        assertThat(settings().https().defaultDomain()).isNull();
    }

    @Test
    void anXdsEdgeServesHttpsTooItsDryRunSaysSoAndChangesNothing() {
        swarm.images.add("swarm-canary/cli:latest");
        Answer a = cli("--delivery", "xds", "--control-plane-image", "swarm-canary/cli:latest", "--tls", shop, "--dry-run");

        assertThat(a.exit()).as(a.text()).isZero();
        assertThat(a.json().path("https").path("certificates").has("shop.example.com")).as(a.text()).isTrue();
        assertThat(a.json().path("secretsToCreate")).hasSize(2);
        assertThat(swarm.services).isEmpty();
        assertThat(swarm.secrets).isEmpty();
    }

    @Test
    void aReRunWithoutTlsKeepsTheCertificatesAndChangesNothing() {
        assertThat(cli("--tls", shop).exit()).isZero();
        EdgeSettings before = settings();
        int secrets = swarm.secrets.size();

        Answer again = cli();
        Answer same = cli("--tls", shop);

        assertThat(again.exit()).isZero();
        assertThat(again.json().get("outcome").asText()).isEqualTo("unchanged");
        assertThat(same.json().get("outcome").asText()).isEqualTo("unchanged");
        assertThat(settings()).isEqualTo(before);
        assertThat(swarm.secrets).hasSize(secrets);
    }

    @Test
    void aNewCertificateForADomainIsANewSecretAndRemovingTheLastTurnsHttpsOff() {
        assertThat(cli("--tls", shop).exit()).isZero();
        String first = settings().https().certificates().get("shop.example.com").certSecret();
        KeyPair next = TestCertificates.keys("RSA");
        String rotated = certs.files("shop.example.com", certs.leaf(next, "shop.example.com"), next);

        assertThat(cli("--tls", rotated).exit()).isZero();
        String second = settings().https().certificates().get("shop.example.com").certSecret();
        assertThat(second).isNotEqualTo(first);

        assertThat(cli("--tls-remove", "SHOP.example.com").exit()).isZero();
        assertThat(settings().https()).isNull();
        assertThat(swarm.definitions.get(EDGE).secrets()).isEmpty();
        assertThat(cli("--tls-remove", "shop.example.com").json().get("outcome").asText()).isEqualTo("unchanged");
    }

    @Test
    void everyBadCertificateIsExit2WithNothingChanged() {
        KeyPair other = TestCertificates.keys("RSA");
        Instant now = Instant.now();
        String expired = certs.files("old.example.com", certs.leaf(shopKeys, now.minus(Duration.ofDays(9)),
                now.minus(Duration.ofDays(1)), "old.example.com"), shopKeys);
        String mismatched = "shop.example.com=" + certs.write("m.crt", TestCertificates.pem(certs.leaf(shopKeys, "shop.example.com")))
                + "," + certs.write("m.key", TestCertificates.key(other));
        String notCovered = shop.replace("shop.example.com=", "api.example.com=");
        String unreadable = "shop.example.com=" + dir.resolve("missing.crt") + "," + dir.resolve("missing.key");
        String notACert = "shop.example.com=" + certs.write("x.crt", "hello\n") + "," + certs.write("x.key", "hello\n");

        for (List<String> argv : List.of(List.of("--tls", expired), List.of("--tls", mismatched), List.of("--tls", notCovered),
                List.of("--tls", unreadable), List.of("--tls", notACert), List.of("--tls", shop, "--tls", shop),
                List.of("--tls", shop, "--tls-remove", "shop.example.com"), List.of("--tls", shop, "--tls-port", "10000"),
                List.of("--tls-port", "8443"), List.of("--hsts", "soon"), List.of("--tls", "*.com=a,b"))) {
            Answer a = cli(argv.toArray(String[]::new));
            assertThat(a.exit()).as(argv + ": " + a.text()).isEqualTo(2);
            assertThat(a.text()).doesNotContain("PRIVATE");
            assertThat(swarm.services).as(argv.toString()).isEmpty();
            assertThat(swarm.secrets).as(argv.toString()).isEmpty();
            assertThat(swarm.configs.keySet()).as(argv.toString()).noneMatch(n -> n.startsWith(EDGE));
        }
    }

    @Test
    void theOptionsOfAnEdgeWithACertificateAreKeptUntilChanged() {
        assertThat(cli("--tls", shop, "--tls-port", "8443", "--no-https-redirect", "--hsts", "60").exit()).isZero();
        assertThat(cli().exit()).isZero();
        assertThat(settings().https()).satisfies(h -> {
            assertThat(h.port()).isEqualTo(8443);
            assertThat(h.redirect()).isFalse();
            assertThat(h.hstsMaxAge()).isEqualTo(60L);
        });
        assertThat(cli("--https-redirect", "--hsts", "off").exit()).isZero();
        assertThat(settings().https().redirect()).isTrue();
        assertThat(settings().https().hstsMaxAge()).isNull();
    }
}
