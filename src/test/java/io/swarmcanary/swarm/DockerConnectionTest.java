package io.swarmcanary.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.transport.DockerHttpClient;
import io.swarmcanary.UserInputException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Engine API negotiation: the newest version both sides support, never below what the product needs. */
class DockerConnectionTest {
    private static final String HOST = "tcp://198.18.0.11:2376";

    @Test
    void anEngineWhoseMinimumIs144GetsOurNewest() {
        // Docker 29: API 1.52, refuses clients below 1.44
        assertThat(DockerConnection.negotiate("1.52", "1.44", HOST).getVersion()).isEqualTo("1.45");
    }

    @Test
    void anEngineInOurRangeGetsItsOwnNewest() {
        assertThat(DockerConnection.negotiate("1.45", "1.24", HOST).getVersion()).isEqualTo("1.45"); // Docker 26.1
        assertThat(DockerConnection.negotiate("1.43", "1.12", HOST).getVersion()).isEqualTo("1.43"); // Docker 24
        assertThat(DockerConnection.negotiate("1.41", "1.12", HOST).getVersion()).isEqualTo("1.41"); // Docker 20.10
    }

    @Test
    void anEngineThatDoesNotSayItsMinimumIsTakenAtItsNewest() {
        assertThat(DockerConnection.negotiate("1.44", "", HOST).getVersion()).isEqualTo("1.44");
    }

    @Test
    void anEngineBelow141IsAClearError() {
        assertThatThrownBy(() -> DockerConnection.negotiate("1.40", "1.12", HOST))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining(HOST)
                .hasMessageContaining("offers Engine API up to 1.40")
                .hasMessageContaining("needs 1.41 or newer");
    }

    @Test
    void anEngineWhoseMinimumIsAboveOurNewestIsAClearError() {
        assertThatThrownBy(() -> DockerConnection.negotiate("1.60", "1.50", HOST))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("accepts Engine API 1.50 to 1.60")
                .hasMessageContaining("speaks 1.41 to 1.45");
    }

    @Test
    void anEngineWithoutAVersionIsAnError() {
        assertThatThrownBy(() -> DockerConnection.negotiate("", "", HOST)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not say its API version");
    }

    @Test
    void dockerApiVersionPinsTheVersionButNotBelowTheFloor() {
        assertThat(DockerConnection.forced("1.44").getVersion()).isEqualTo("1.44");
        assertThatThrownBy(() -> DockerConnection.forced("1.40")).isInstanceOf(UserInputException.class)
                .hasMessageContaining("too old");
        assertThatThrownBy(() -> DockerConnection.forced("latest")).isInstanceOf(UserInputException.class);
    }

    @Test
    void theConnectionAsksUnversionedGetVersionOnceThenPrefixesEveryPath() {
        FakeEngine engine = new FakeEngine(200, "{\"Version\":\"29.0.0\",\"ApiVersion\":\"1.52\",\"MinAPIVersion\":\"1.44\"}");
        DockerConnection c = connection(engine, null);
        assertThat(engine.paths).isEmpty(); // nothing sent before the first use
        assertThat(c.apiPrefix()).isEqualTo("/v1.45");
        assertThat(c.apiPrefix()).isEqualTo("/v1.45");
        assertThat(engine.paths).containsExactly("/version");
        assertThat(c.apiCalls()).isZero(); // the negotiation is the connection's, not an operation's
    }

    @Test
    void anOldEngineFailsBeforeAnythingElseIsSent() {
        FakeEngine engine = new FakeEngine(200, "{\"ApiVersion\":\"1.40\",\"MinAPIVersion\":\"1.12\"}");
        DockerConnection c = connection(engine, null);
        assertThatThrownBy(c::apiPrefix).isInstanceOf(UserInputException.class).hasMessageContaining("1.40");
        assertThatThrownBy(c::client).isInstanceOf(UserInputException.class);
        assertThat(engine.paths).allMatch("/version"::equals);
    }

    @Test
    void aPinnedVersionSendsNoProbe() {
        FakeEngine engine = new FakeEngine(500, "should not be asked");
        DockerConnection c = connection(engine, "1.43");
        assertThat(c.apiVersion()).isEqualTo(RemoteApiVersion.VERSION_1_43);
        assertThat(engine.paths).isEmpty();
    }

    @Test
    void anEngineAnsweringAnErrorIsReported() {
        DockerConnection c = connection(new FakeEngine(500, "{\"message\":\"boom\"}"), null);
        assertThatThrownBy(c::apiVersion).isInstanceOf(DockerApiException.class).hasMessageContaining("GET /version");
    }

    private static DockerConnection connection(FakeEngine engine, String forced) {
        return new DockerConnection(v -> new DefaultDockerClientConfig.Builder().withDockerHost(HOST)
                .withDockerTlsVerify(false).withApiVersion(v).build(), engine, forced);
    }

    /** Answers every request with one canned response and records the paths asked. */
    private static final class FakeEngine implements DockerHttpClient {
        final List<String> paths = new ArrayList<>();
        final int status;
        final String body;

        FakeEngine(int status, String body) {
            this.status = status;
            this.body = body;
        }

        @Override
        public Response execute(Request request) {
            paths.add(request.path());
            return new Response() {
                @Override
                public int getStatusCode() {
                    return status;
                }

                @Override
                public Map<String, List<String>> getHeaders() {
                    return Map.of();
                }

                @Override
                public InputStream getBody() {
                    return new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void tlsIsVerifiedForAnyNonEmptyDockerTlsVerifyAsTheDockerCliDoes() {
        for (String on : List.of("1", "true", "yes", "0", "false")) {
            assertThat(DockerConnection.tlsVerify(on)).as(on).isTrue();
        }
        assertThat(DockerConnection.tlsVerify("")).isFalse();
        assertThat(DockerConnection.tlsVerify(null)).isFalse();
    }

    @Test
    void plainTcpOffThisMachineIsRefusedUnlessAllowed() {
        java.net.URI remote = java.net.URI.create("tcp://198.18.0.11:2375");
        assertThatThrownBy(() -> DockerConnection.checkEndpoint(remote, false, null, null))
                .isInstanceOf(UserInputException.class).hasMessageContaining("plain TCP")
                .hasMessageContaining(DockerConnection.ALLOW_PLAIN_TCP).hasMessageContaining("Nothing was sent");
        assertThatThrownBy(() -> DockerConnection.checkEndpoint(remote, false, null, "yes")).isInstanceOf(UserInputException.class);
        DockerConnection.checkEndpoint(remote, false, null, "1");
        for (String local : List.of("tcp://127.0.0.1:2375", "tcp://localhost:2375", "tcp://[::1]:2375", "unix:///var/run/docker.sock")) {
            DockerConnection.checkEndpoint(java.net.URI.create(local), false, null, null);
        }
    }

    @Test
    void missingOrWrongTlsFilesAreNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.net.URI tls = java.net.URI.create(HOST);
        assertThatThrownBy(() -> DockerConnection.checkEndpoint(tls, true, dir.toString(), null))
                .isInstanceOf(UserInputException.class).hasMessageContaining(dir.resolve("ca.pem").toString());
        java.nio.file.Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        assertThatThrownBy(() -> DockerConnection.checkEndpoint(tls, true, dir.toString(), null))
                .isInstanceOf(UserInputException.class).hasMessageContaining(dir.resolve("ca.pem") + " is not a PEM certificate");
        java.nio.file.Files.writeString(dir.resolve("ca.pem"), CERT);
        java.nio.file.Files.writeString(dir.resolve("cert.pem"), CERT);
        assertThatThrownBy(() -> DockerConnection.checkEndpoint(tls, true, dir.toString(), null))
                .isInstanceOf(UserInputException.class).hasMessageContaining(dir.resolve("key.pem").toString());
        java.nio.file.Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
        DockerConnection.checkEndpoint(tls, true, dir.toString(), null);
    }

    /** A self-signed certificate (only parsed, never trusted). */
    private static final String CERT = """
            -----BEGIN CERTIFICATE-----
            MIIB9DCCAV2gAwIBAgIUK7CBMw8hQkJfB20osivIhkuwo0gwDQYJKoZIhvcNAQEL
            BQAwDDEKMAgGA1UEAwwBdDAeFw0yNjExMjkxNTIxMzVaFw0yNjExMzAxNTIxMzVa
            MAwxCjAIBgNVBAMMAXQwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAKGw6sGY
            4yVVDSkXFm2uLaLDTMCya9HJtoqgNRxLUtpIyimTtxYmmwPojjz9wDz/FgCACKHN
            rWhOSmXS1tvSlc1LiYwOV0+pBePm+e4xn9J+kQeqn9VIYvO4HZ41kkf7hDnV0lr3
            YGuDmheXEkzYhj1psjWTM02TiKApX0ngKcFxAgMBAAGjUzBRMB0GA1UdDgQWBBRd
            28MrAQlPZvEKo4wh46Hr1ULggjAfBgNVHSMEGDAWgBRd28MrAQlPZvEKo4wh46Hr
            1ULggjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4GBAHSCXz1hTtZ8
            25a8osKQctlB9HkBuQJS7SHFhSZSk3bSzJ6dxDFLYB/6bPyAOwjBmCMa+GJ4bocK
            YfnApmpN6NV8RzKMe+OF4kWqmktmV3x4gZUapaxR3gtHsQOPpy9Jmxg/zgx3uFlu
            sb/PjvflyEy1QRNLrr8xatQFGZFq7JI1
            -----END CERTIFICATE-----
            """;
}
