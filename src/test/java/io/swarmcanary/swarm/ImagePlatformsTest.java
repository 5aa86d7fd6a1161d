package io.swarmcanary.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import io.swarmcanary.swarm.RegistryAuthHeaderTest.Engine;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The platforms of the engine's distribution inspect reach the service spec as the docker CLI writes them
 * (client {@code imageDigestAndPlatforms}): TaskTemplate.Placement.Platforms with Architecture and OS only, no
 * architecture for "arm", nothing at all when the registry lists none; on every way a spec is sent.
 */
class ImagePlatformsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REGISTRY = "registry.example.com:5000";
    private static final String IMAGE = REGISTRY + "/team/app:1";
    private static final String DIGEST = "sha256:" + "d".repeat(64);
    /** A multi-platform index as the engine answers for it (distribution 2.8 / Docker 26.1 field names). */
    private static final String MULTI = """
            {"Descriptor":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"%s","size":1609},
             "Platforms":[{"architecture":"amd64","os":"linux"},
                          {"architecture":"arm","os":"linux","variant":"v7"},
                          {"architecture":"arm64","os":"linux","variant":"v8"},
                          {"architecture":"amd64","os":"windows","os.version":"10.0.17763.5206"}]}
            """.formatted(DIGEST);
    /** What the CLI sends for it: the variant and OS version are dropped, arm's architecture too. */
    private static final String CLI_PLATFORMS = """
            [{"Architecture":"amd64","OS":"linux"},{"OS":"linux"},{"Architecture":"arm64","OS":"linux"},
             {"Architecture":"amd64","OS":"windows"}]""";

    private static DockerSwarmGateway gateway(Engine engine, RegistryCredentials login) {
        DockerConnection c = new DockerConnection(v -> new DefaultDockerClientConfig.Builder().withDockerHost("tcp://127.0.0.1:2375")
                .withDockerTlsVerify(false).withApiVersion(v).build(), engine, null);
        return new DockerSwarmGateway(c, login);
    }

    private static RegistryCredentials login() {
        return RegistryCredentials.of(Map.of("SWARM_CANARY_REGISTRY", REGISTRY, "SWARM_CANARY_REGISTRY_USER", "ci",
                "SWARM_CANARY_REGISTRY_PASSWORD", "pw"), java.nio.file.Path.of("/nonexistent"));
    }

    private static final RegistryCredentials NO_LOGIN = RegistryCredentials.of(Map.of(), java.nio.file.Path.of("/nonexistent"));

    private static ServiceDefinition definition(ServiceOptions options) {
        return new ServiceDefinition("files-webdev-1_0_0", IMAGE, 2, Map.of(), Map.of(), List.of(), List.of(), List.of(),
                List.of(), null, List.of("node.role == manager"), false, List.of(), List.of(), List.of(), options);
    }

    private static ServiceOptions withPreferences() {
        return new ServiceOptions(List.of(), null, null, null, null, null, null, null, null, null, null, null,
                List.of("node.labels.zone"), null, null, null, null);
    }

    /** Looks the image up on an engine answering {@code distribution}, then sends a spec with what it found. */
    private static JsonNode sentPlacement(String distribution, RegistryCredentials login, ServiceOptions options, boolean update)
            throws Exception {
        Engine engine = new Engine(200, distribution);
        DockerSwarmGateway g = gateway(engine, login);
        ImageLookup found = g.lookUpImage(IMAGE);
        assertThat(found.result()).isEqualTo(ImageLookup.Result.FOUND);
        ServiceDefinition d = definition(options).withImage(ImageLookup.pinned(IMAGE, found.digest()), found.platforms());
        engine.status = 400; // the spec is what matters here, not the engine's answer
        engine.body = "{\"message\":\"stop here\"}";
        catchThrowable(() -> {
            if (update) {
                g.updateService("svc1", 7, d);
            } else {
                g.createService(d);
            }
        });
        JsonNode spec = withoutNulls(JSON.readTree(engine.sent.get(1).body()));
        assertThat(spec.at("/TaskTemplate/ContainerSpec/Image").asText()).isEqualTo(IMAGE + "@" + DIGEST);
        return spec.at("/TaskTemplate/Placement");
    }

    /** The spec as the engine reads it: docker-java sends unset fields as null, which Go decodes as absent. */
    private static JsonNode withoutNulls(JsonNode node) {
        if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var field = fields.next();
                if (field.getValue().isNull()) {
                    fields.remove();
                } else {
                    withoutNulls(field.getValue());
                }
            }
        } else if (node.isArray()) {
            node.forEach(ImagePlatformsTest::withoutNulls);
        }
        return node;
    }

    @Test
    void theEnginesPlatformsBecomeTheCliFields() throws Exception {
        Engine engine = new Engine(200, MULTI);
        ImageLookup found = gateway(engine, NO_LOGIN).lookUpImage(IMAGE);
        assertThat(found.digest()).isEqualTo(DIGEST);
        assertThat(found.platforms()).containsExactly(new Platform("amd64", "linux"), new Platform(null, "linux"),
                new Platform("arm64", "linux"), new Platform("amd64", "windows"));
    }

    @Test
    void everyWayASpecIsSentCarriesThePlatformsBesideTheConstraints() throws Exception {
        JsonNode expected = JSON.readTree(CLI_PLATFORMS);
        // docker-java create, raw create (placement preferences), docker-java update, raw update (with a login)
        for (var way : List.of(new Object[] {NO_LOGIN, ServiceOptions.NONE, false}, new Object[] {NO_LOGIN, withPreferences(), false},
                new Object[] {NO_LOGIN, ServiceOptions.NONE, true}, new Object[] {login(), withPreferences(), true})) {
            JsonNode placement = sentPlacement(MULTI, (RegistryCredentials) way[0], (ServiceOptions) way[1], (boolean) way[2]);
            assertThat(placement.path("Platforms")).as("%s", placement).isEqualTo(expected);
            assertThat(placement.path("Constraints").toString()).isEqualTo("[\"node.role == manager\"]");
        }
        assertThat(sentPlacement(MULTI, NO_LOGIN, withPreferences(), false).at("/Preferences/0/Spread/SpreadDescriptor").asText())
                .isEqualTo("node.labels.zone");
    }

    @Test
    void aSinglePlatformImageIsPinnedToItsPlatform() throws Exception {
        String single = "{\"Descriptor\":{\"digest\":\"" + DIGEST + "\"},\"Platforms\":[{\"architecture\":\"amd64\",\"os\":\"linux\"}]}";
        assertThat(sentPlacement(single, NO_LOGIN, ServiceOptions.NONE, false).path("Platforms"))
                .isEqualTo(JSON.readTree("[{\"Architecture\":\"amd64\",\"OS\":\"linux\"}]"));
    }

    @Test
    void noPlatformsListedMeansNoPlatformsField() throws Exception {
        String none = "{\"Descriptor\":{\"digest\":\"" + DIGEST + "\"},\"Platforms\":[]}";
        String absent = "{\"Descriptor\":{\"digest\":\"" + DIGEST + "\"}}";
        for (String answer : List.of(none, absent)) {
            assertThat(sentPlacement(answer, NO_LOGIN, ServiceOptions.NONE, false).has("Platforms")).isFalse();
            assertThat(sentPlacement(answer, login(), withPreferences(), true).has("Platforms")).isFalse();
        }
    }
}
