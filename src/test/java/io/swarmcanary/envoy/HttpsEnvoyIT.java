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
    private static final ReleaseRoute STABLE = Fixtures.release("files", "prod", "1.0.10", 50);
    /** A second release at 50, both sticky: each answer over https carries a Secure cookie (the app is behind both). */
    private static final ReleaseRoute CANARY = Fixtures.release("files", "prod", "1.0.11", 50);

    private static Process envoy;
    /** A second Envoy whose edge answers clients without SNI with the shop's certificate (--tls-default). */
    private static Process envoyWithDefault;
    private static int defaultTlsPort;
    private static HttpServer app;
    private static int port;
    private static int tlsPort;
    private static Path dir;
    private static io.swarmcanary.testing.Openssl certs;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("https-envoy-it");
        certs = new io.swarmcanary.testing.Openssl(dir);
        certs.leaf("shop", SHOP, "rsa");
        certs.leaf("wild", WILD, "ec");
        app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = ("app answers " + exchange.getRequestHeaders().getFirst("host") + " proto="
                    + exchange.getRequestHeaders().getFirst("x-forwarded-proto") + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Set-Cookie", "app-session=42; Path=/");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        app.start();
        port = freePort();
        tlsPort = freePort();
        envoy = startEnvoy(port, tlsPort, null);
        defaultTlsPort = freePort();
        envoyWithDefault = startEnvoy(freePort(), defaultTlsPort, SHOP);
    }

    private static Process startEnvoy(int port, int tlsPort, String defaultDomain) throws Exception {
        int adminPort = freePort();
        HttpsListener https = new HttpsListener(tlsPort, List.of(
                new HttpsListener.Domain(SHOP, dir.resolve("shop.crt").toString(), dir.resolve("shop.key").toString(), "shop"),
                new HttpsListener.Domain(WILD, dir.resolve("wild.crt").toString(), dir.resolve("wild.key").toString(), "wild")),
                true, tlsPort, 600L, defaultDomain);
        String yaml = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks()).withHttps(https).render(
                new EdgeRoutes(port, List.of(sticky(new TrackRoutes("files", "prod", List.of(SHOP, "a.example.org"),
                        List.of(STABLE, CANARY), null)))), Optional.empty());
        String local = Fixtures.local(yaml, adminPort, name -> app.getAddress().getPort());
        Process validate = new ProcessBuilder(Fixtures.envoyBinary().toString(), "--mode", "validate", "-c",
                Files.writeString(dir.resolve("validate-" + tlsPort + ".yaml"), local).toString()).redirectErrorStream(true).start();
        String validation = new String(validate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(validate.waitFor()).as(validation).isZero();
        assertThat(validation).doesNotContainIgnoringCase("deprecated");
        Path own = Files.createDirectories(dir.resolve("envoy-" + tlsPort));
        return Fixtures.startEnvoy(own, local, port);
    }

    private static TrackRoutes sticky(TrackRoutes track) {
        return new TrackRoutes(track.app(), track.env(), track.domains(), track.releases(), null,
                new CanaryTraffic(CANARY.service(), List.of(), 0, Fixtures.sticky(track, new byte[32])));
    }

    @AfterAll
    static void stop() throws Exception {
        Fixtures.stop(envoy);
        Fixtures.stop(envoyWithDefault);
        if (app != null) {
            app.stop(0);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static io.swarmcanary.testing.Openssl.Answer https(String host) throws Exception {
        return certs.get("127.0.0.1", tlsPort, host, "/path?q=1");
    }

    @Test
    void eachDomainGetsItsOwnCertificateBySniAndTheAppsAnswer() throws Exception {
        io.swarmcanary.testing.Openssl.Answer shop = https(SHOP);
        io.swarmcanary.testing.Openssl.Answer wild = https("a.example.org");

        assertThat(shop.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + SHOP);
        assertThat(shop.protocol()).isIn("TLSv1.2", "TLSv1.3");
        assertThat(shop.response()).startsWith("HTTP/1.1 200").contains("app answers " + SHOP + " proto=https");
        assertThat(wild.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=wildcard.example.org");
        assertThat(wild.response()).startsWith("HTTP/1.1 200").contains("app answers a.example.org");
        // HSTS when asked, over https only
        assertThat(shop.response().toLowerCase()).contains("strict-transport-security: max-age=600");
    }

    @Test
    void overHttpsTheStickyCookieIsSecureAndTheAppsOwnSetCookieStays() throws Exception {
        String response = https(SHOP).response();
        List<String> cookies = response.lines().filter(l -> l.toLowerCase().startsWith("set-cookie:")).toList();
        assertThat(cookies).hasSize(2);
        assertThat(cookies).anySatisfy(c -> assertThat(c).isEqualTo("set-cookie: app-session=42; Path=/"));
        assertThat(cookies).anySatisfy(c -> assertThat(c).matches(
                "set-cookie: s+=[0-9a-f]{20}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure"));
    }

    @Test
    void aNameWithoutACertificateGetsNoHandshake() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> https("other.example.com"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void withADefaultDomainAClientWithoutSniOrWithAnUncoveredNameGetsItsCertificateAndTheRoutes() throws Exception {
        io.swarmcanary.testing.Openssl.Answer noSni = certs.getWithoutSni("127.0.0.1", defaultTlsPort, SHOP, "/");

        assertThat(noSni.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + SHOP);
        assertThat(noSni.response()).startsWith("HTTP/1.1 200").contains("app answers " + SHOP + " proto=https");
        // SNI still picks each domain's own certificate
        assertThat(certs.get("127.0.0.1", defaultTlsPort, "a.example.org", "/").certificate().getSubjectX500Principal().getName())
                .isEqualTo("CN=wildcard.example.org");
        // a name no certificate covers gets the default's too (a browser would then say the name does not match)
        assertThat(certs.sClient("127.0.0.1", defaultTlsPort, "other.example.com", "-tls1_2")).contains("CN = " + SHOP);
        // and without a default a client without SNI gets no handshake
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> certs.getWithoutSni("127.0.0.1", tlsPort, SHOP, "/"))
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
        return certs.sClient("127.0.0.1", tlsPort, SHOP, version);
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
