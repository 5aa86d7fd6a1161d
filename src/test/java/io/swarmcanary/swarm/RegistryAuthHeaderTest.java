package io.swarmcanary.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.transport.DockerHttpClient;
import io.swarmcanary.ConflictException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gateway sends the registry login as X-Registry-Auth with service create, update, global jobs and the
 * distribution lookup, only to the image's own registry, and no answer of the engine puts it in a message.
 */
class RegistryAuthHeaderTest {
    private static final String REGISTRY = "registry.example.com:5000";
    private static final String IMAGE = REGISTRY + "/team/app:1";
    private static final String PASSWORD = "pa55-w0rd-never-shown";
    private static final RegistryCredentials LOGIN = RegistryCredentials.of(Map.of("SWARM_CANARY_REGISTRY", REGISTRY,
            "SWARM_CANARY_REGISTRY_USER", "ci", "SWARM_CANARY_REGISTRY_PASSWORD", PASSWORD), java.nio.file.Path.of("/nonexistent"));
    private static final String HEADER = LOGIN.forRegistry(REGISTRY).orElseThrow().header();

    record Sent(String method, String path, Map<String, String> headers, String body) {}

    /** Answers /version, then every request with one canned status and body (which may echo the request). */
    static final class Engine implements DockerHttpClient {
        final List<Sent> sent = new ArrayList<>();
        int status;
        String body;

        Engine(int status, String body) {
            this.status = status;
            this.body = body;
        }

        @Override
        public Response execute(Request request) {
            String requestBody = "";
            try {
                if (request.body() != null) {
                    requestBody = new String(request.body().readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            boolean version = request.path().equals("/version");
            if (!version) {
                sent.add(new Sent(request.method(), request.path(), Map.copyOf(request.headers()), requestBody));
            }
            int s = version ? 200 : status;
            String b = version ? "{\"ApiVersion\":\"1.45\",\"MinAPIVersion\":\"1.24\"}" : body;
            return new Response() {
                @Override public int getStatusCode() { return s; }
                @Override public Map<String, List<String>> getHeaders() { return Map.of(); }
                @Override public InputStream getBody() { return new ByteArrayInputStream(b.getBytes(StandardCharsets.UTF_8)); }
                @Override public void close() {}
            };
        }

        @Override
        public void close() {}
    }

    private static DockerSwarmGateway gateway(Engine engine) {
        DockerConnection c = new DockerConnection(v -> new DefaultDockerClientConfig.Builder().withDockerHost("tcp://127.0.0.1:2375")
                .withDockerTlsVerify(false).withApiVersion(v).build(), engine, null);
        return new DockerSwarmGateway(c, LOGIN);
    }

    private static ServiceDefinition definition(String image) {
        return ServiceDefinition.replicated("files-webdev-1_0_0", image, 2, Map.of("a", "b"), Map.of(), List.of(),
                List.of(), List.of(), List.of(), null, List.of());
    }

    private static void neverShown(Throwable t) {
        for (Throwable x = t; x != null; x = x.getCause()) {
            assertThat(String.valueOf(x.getMessage())).doesNotContain(PASSWORD).doesNotContain(HEADER);
            assertThat(x.toString()).doesNotContain(PASSWORD).doesNotContain(HEADER);
        }
    }

    @Test
    void theDistributionLookupCarriesTheLoginAndGivesTheDigest() {
        Engine engine = new Engine(200, "{\"Descriptor\":{\"digest\":\"sha256:" + "c".repeat(64) + "\"}}");
        ImageLookup found = gateway(engine).lookUpImage(IMAGE);
        assertThat(found.result()).isEqualTo(ImageLookup.Result.FOUND);
        assertThat(found.digest()).isEqualTo("sha256:" + "c".repeat(64));
        assertThat(found.credentialsSent()).isTrue();
        assertThat(engine.sent.get(0).path()).isEqualTo("/v1.45/distribution/" + IMAGE + "/json");
        assertThat(engine.sent.get(0).headers()).containsEntry("X-Registry-Auth", HEADER);
    }

    @Test
    void anotherRegistryNeverGetsTheLogin() {
        Engine engine = new Engine(200, "{\"Descriptor\":{\"digest\":\"sha256:" + "c".repeat(64) + "\"}}");
        var g = gateway(engine);
        assertThat(g.lookUpImage("busybox:1").credentialsSent()).isFalse();
        assertThat(g.lookUpImage("other.example.com/team/app:1").credentialsSent()).isFalse();
        assertThat(engine.sent).allSatisfy(s -> assertThat(s.headers()).doesNotContainKey("X-Registry-Auth"));
    }

    @Test
    void theEnginesRefusalsAreClassifiedAndHoldNoSecret() {
        Engine engine = new Engine(401, "{\"message\":\"unauthorized: authentication required\"}");
        ImageLookup denied = gateway(engine).lookUpImage(IMAGE);
        assertThat(denied.result()).isEqualTo(ImageLookup.Result.DENIED);
        assertThat(denied.toString()).doesNotContain(PASSWORD).doesNotContain(HEADER);
        assertThat(DockerSwarmGateway.classify(500, "Head \"https://r/v2/x/manifests/1\": no basic auth credentials"))
                .isEqualTo(ImageLookup.Result.DENIED);
        assertThat(DockerSwarmGateway.classify(404, "manifest unknown: manifest unknown")).isEqualTo(ImageLookup.Result.NOT_FOUND);
        assertThat(DockerSwarmGateway.classify(500, "Get \"https://r/v2/\": dial tcp: connect: connection refused"))
                .isEqualTo(ImageLookup.Result.UNREACHABLE);
        assertThat(DockerSwarmGateway.classify(500, "lookup registry-1.docker.io: no such host"))
                .isEqualTo(ImageLookup.Result.UNREACHABLE);
    }

    @Test
    void createSendsTheLoginThroughDockerJavaAndAnErrorDoesNotShowIt() throws Exception {
        // an engine whose error echoes what it got: the header still must not reach the message
        Engine engine = new Engine(500, "{\"message\":\"rpc error: bad spec\"}");
        Throwable t = catchThrowable(() -> gateway(engine).createService(definition(IMAGE)));
        assertThat(t).isNotNull();
        neverShown(t);
        assertThat(t.getMessage()).doesNotContain(engine.sent.get(0).headers().get("X-Registry-Auth"));
        Sent create = engine.sent.get(0);
        assertThat(create.path()).isEqualTo("/v1.45/services/create");
        // docker-java encodes its AuthConfig itself (base64url JSON, with null fields): the same login
        var auth = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                java.util.Base64.getUrlDecoder().decode(create.headers().get("X-Registry-Auth")));
        assertThat(auth.path("username").asText()).isEqualTo("ci");
        assertThat(auth.path("password").asText()).isEqualTo(PASSWORD);
        assertThat(auth.path("serveraddress").asText()).isEqualTo(REGISTRY);
        assertThat(create.body()).doesNotContain(PASSWORD).doesNotContain(HEADER); // not in the spec (labels, env)
    }

    @Test
    void updateSendsTheLoginWithTheVersionAndKeepsTheConflictMessage() {
        Engine engine = new Engine(500, "{\"message\":\"rpc error: code = Unknown desc = update out of sequence\"}");
        var g = gateway(engine);
        assertThatThrownBy(() -> g.updateService("svc1", 7, definition(IMAGE))).isInstanceOf(ConflictException.class)
                .satisfies(RegistryAuthHeaderTest::neverShown);
        Sent update = engine.sent.get(0);
        assertThat(update.method()).isEqualTo("POST");
        assertThat(update.path()).isEqualTo("/v1.45/services/svc1/update?version=7");
        assertThat(update.headers()).containsEntry("X-Registry-Auth", HEADER);
        assertThat(update.body()).contains("\"Image\":\"" + IMAGE + "\"").doesNotContain(PASSWORD);
        engine.status = 400;
        engine.body = "{\"message\":\"invalid spec\"}";
        Throwable other = catchThrowable(() -> g.updateService("svc1", 7, definition(IMAGE)));
        assertThat(other).isInstanceOf(DockerApiException.class).hasMessageContaining("invalid spec");
        neverShown(other);
    }

    @Test
    void aGlobalJobCarriesTheLoginForItsImage() {
        Engine engine = new Engine(500, "{\"message\":\"no\"}");
        Throwable t = catchThrowable(() -> gateway(engine).createGlobalJob(new GlobalJob("prune-1", IMAGE, List.of("sh"),
                List.of(), Map.of(), Map.of())));
        neverShown(t);
        assertThat(engine.sent.get(0).headers()).containsEntry("X-Registry-Auth", HEADER);
    }
}
