package io.swarmcanary.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real Envoy binary running the config the renderer makes for an edge with two certificates (a CA and two leaf
 * certificates made by openssl), in front of a local upstream: a TLS client that trusts only the test CA gets each
 * domain's own certificate by SNI and the app's answer; TLS 1.1 is refused; plain HTTP is redirected to https; HSTS is
 * sent over https. No swarm: the release clusters point at the local upstream (EdgeHttpsIT runs it on the swarm).
 */
class HttpsEnvoyIT {
    private static final String SHOP = "shop.example.com";
    private static final String WILD = "*.example.org";
    private static final ReleaseRoute STABLE = Fixtures.release("files", "prod", "1.0.10", 100);

    private static Process envoy;
    private static HttpServer app;
    private static int port;
    private static int tlsPort;
    private static Path dir;
    private static SSLContext trustingTheCa;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("https-envoy-it");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=swarm-canary test CA");
        leaf("shop", SHOP, "rsa:2048");
        leaf("wild", WILD, "ec");
        app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = ("app answers " + exchange.getRequestHeaders().getFirst("host") + " proto="
                    + exchange.getRequestHeaders().getFirst("x-forwarded-proto") + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        app.start();
        port = freePort();
        tlsPort = freePort();
        int adminPort = freePort();
        HttpsListener https = new HttpsListener(tlsPort, List.of(
                new HttpsListener.Domain(SHOP, dir.resolve("shop.crt").toString(), dir.resolve("shop.key").toString(), "shop"),
                new HttpsListener.Domain(WILD, dir.resolve("wild.crt").toString(), dir.resolve("wild.key").toString(), "wild")),
                true, tlsPort, 600L);
        String yaml = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks()).withHttps(https).render(
                new EdgeRoutes(port, List.of(new TrackRoutes("files", "prod", List.of(SHOP, "a.example.org"), List.of(STABLE),
                        null))), Optional.empty());
        String local = Fixtures.mutate(yaml, root -> {
            ((ObjectNode) root.at("/admin/address/socket_address")).put("port_value", adminPort);
            for (JsonNode cluster : root.at("/static_resources/clusters")) {
                int upstream = cluster.path("name").asText().equals(STABLE.service()) ? app.getAddress().getPort() : adminPort;
                ((ObjectNode) cluster).put("type", "STATIC");
                ((ObjectNode) cluster.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address"))
                        .put("address", "127.0.0.1").put("port_value", upstream);
            }
        });
        assertThat(new EnvoyConfigValidator().validate(local).describe()).isEqualTo("valid");
        Path config = dir.resolve("envoy.yaml");
        Files.writeString(config, local);
        Process validate = new ProcessBuilder(Fixtures.envoyBinary().toString(), "--mode", "validate", "-c", config.toString())
                .redirectErrorStream(true).start();
        String validation = new String(validate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(validate.waitFor()).as(validation).isZero();
        assertThat(validation).doesNotContainIgnoringCase("deprecated");
        envoy = new ProcessBuilder(Fixtures.envoyBinary().toString(), "-c", config.toString(), "--disable-hot-restart",
                "--log-level", "warn").redirectErrorStream(true).redirectOutput(dir.resolve("envoy.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!io.swarmcanary.testing.Traffic.raw(port, "proxy_test", "GET", "/", Map.of()).startsWith("HTTP/1.1 200")) {
            assertThat(System.nanoTime()).as("Envoy did not start: %s", Files.readString(dir.resolve("envoy.log")))
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("ca.crt")))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trustingTheCa = SSLContext.getInstance("TLS");
        trustingTheCa.init(null, tmf.getTrustManagers(), null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (envoy != null) {
            envoy.destroy();
            envoy.waitFor(10, TimeUnit.SECONDS);
        }
        if (app != null) {
            app.stop(0);
        }
    }

    private static void leaf(String name, String domain, String key) throws Exception {
        String newKey = key.equals("ec") ? "ec" : key;
        List<String> keyArgs = key.equals("ec") ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
                : List.of("-newkey", newKey);
        List<String> req = new java.util.ArrayList<>(List.of("req", "-new", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + domain.replace("*", "wildcard")));
        req.addAll(1, keyArgs);
        openssl(req.toArray(String[]::new));
        Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=DNS:" + domain + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                "-extfile", name + ".ext", "-out", name + ".crt");
    }

    private static String openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as("openssl %s: %s", command, out).isZero();
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    record Answer(X509Certificate certificate, String protocol, String response) {}

    /** GET / over TLS to 127.0.0.1 with SNI and hostname checking for host, trusting only the test CA. */
    static Answer https(String host) throws Exception {
        try (Socket raw = new Socket("127.0.0.1", tlsPort);
             SSLSocket tls = (SSLSocket) trustingTheCa.getSocketFactory().createSocket(raw, host, tlsPort, true)) {
            javax.net.ssl.SSLParameters params = tls.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            params.setApplicationProtocols(new String[] {"http/1.1"});
            tls.setSSLParameters(params);
            tls.setSoTimeout(5000);
            tls.startHandshake();
            OutputStream out = tls.getOutputStream();
            out.write(("GET /path?q=1 HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = tls.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Answer((X509Certificate) tls.getSession().getPeerCertificates()[0], tls.getSession().getProtocol(), response);
        }
    }

    @Test
    void eachDomainGetsItsOwnCertificateBySniAndTheAppsAnswer() throws Exception {
        Answer shop = https(SHOP);
        Answer wild = https("a.example.org");

        assertThat(shop.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + SHOP);
        assertThat(shop.protocol()).isIn("TLSv1.2", "TLSv1.3");
        assertThat(shop.response()).startsWith("HTTP/1.1 200").contains("app answers " + SHOP + " proto=https");
        assertThat(wild.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=wildcard.example.org");
        assertThat(wild.response()).startsWith("HTTP/1.1 200").contains("app answers a.example.org");
        // HSTS when asked, over https only
        assertThat(shop.response().toLowerCase()).contains("strict-transport-security: max-age=600");
    }

    @Test
    void aNameWithoutACertificateGetsNoHandshake() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> https("other.example.com"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void tls11IsRefusedWhereTls12IsServed() throws Exception {
        String control = sClient("-tls1_2");
        String old = sClient("-tls1_1");

        assertThat(control).contains("Protocol  : TLSv1.2").contains("Verify return code: 0 (ok)");
        // Envoy answers a TLS 1.1 hello with a protocol_version alert: no certificate, no cipher
        assertThat(old).contains("alert protocol version").contains("no peer certificate available").contains("Cipher is (NONE)");
    }

    private static String sClient(String version) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + tlsPort, "-servername", SHOP,
                version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", dir.resolve("ca.crt").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void plainHttpIsRedirectedToTheSameUrlOnHttpsButTheSmokeHostStaysPlain() {
        String r = io.swarmcanary.testing.Traffic.raw(port, SHOP, "POST", "/cart?id=7", Map.of());
        String smoke = io.swarmcanary.testing.Traffic.raw(port, "proxy_test", "GET", "/", Map.of());

        assertThat(r).startsWith("HTTP/1.1 308").containsIgnoringCase("location: https://" + SHOP + ":" + tlsPort + "/cart?id=7");
        assertThat(r.toLowerCase()).doesNotContain("strict-transport-security");
        assertThat(smoke).startsWith("HTTP/1.1 200").contains("Proxy OK");
    }
}
