package io.swarmcanary.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.UserInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The docker CLI's way of finding a registry login, and that none of it ever shows up in a message. */
class RegistryCredentialsTest {
    private static final String PASSWORD = "s3cr3t-P@ss:with:colons";
    @TempDir Path dir;

    private RegistryCredentials withConfig(String json, Map<String, String> extraEnv) throws Exception {
        Files.writeString(dir.resolve("config.json"), json);
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("DOCKER_CONFIG", dir.toString());
        return RegistryCredentials.of(env, Path.of("/nonexistent-home"));
    }

    private static String auth(String user, String password) {
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void registryIsTheReferencesHostOrDockerHub() {
        assertThat(RegistryCredentials.registryOf("busybox")).isEqualTo("docker.io");
        assertThat(RegistryCredentials.registryOf("swarm-canary/testapp:latest")).isEqualTo("docker.io");
        assertThat(RegistryCredentials.registryOf("198.18.0.1:5000/swarm-canary/testapp:latest")).isEqualTo("198.18.0.1:5000");
        assertThat(RegistryCredentials.registryOf("registry.example.com/a/b@sha256:abc")).isEqualTo("registry.example.com");
        assertThat(RegistryCredentials.registryOf("localhost/app:1")).isEqualTo("localhost");
        assertThat(RegistryCredentials.registryOf("index.docker.io/library/busybox")).isEqualTo("docker.io");
        assertThat(RegistryCredentials.registryOf("app:1")).isEqualTo("docker.io");
    }

    @Test
    void readsAuthsEntriesUnderAnyOfTheirSpellings() throws Exception {
        var c = withConfig("{\"auths\":{"
                + "\"https://registry.example.com/v2/\":{\"auth\":\"" + auth("alice", PASSWORD) + "\"},"
                + "\"198.18.0.1:5000\":{\"auth\":\"" + auth("sc", "pw") + "\"},"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"" + auth("hubuser", "hubpw") + "\"}}}", Map.of());
        var example = c.forImage("registry.example.com/team/app:1").orElseThrow();
        assertThat(example.username()).isEqualTo("alice");
        assertThat(example.password()).isEqualTo(PASSWORD); // a password may hold ':'
        assertThat(c.forImage("198.18.0.1:5000/swarm-canary/testapp:latest").orElseThrow().password()).isEqualTo("pw");
        assertThat(c.forImage("busybox:latest").orElseThrow().username()).isEqualTo("hubuser");
        assertThat(c.forImage("other.example.com/x")).isEmpty();
    }

    @Test
    void noConfigFileMeansNoLogin() {
        var c = RegistryCredentials.of(Map.of("DOCKER_CONFIG", dir.resolve("nothing").toString()), dir);
        assertThat(c.forImage("198.18.0.1:5000/x:1")).isEmpty();
    }

    @Test
    void headerIsTheBase64UrlAuthConfigTheEngineExpects() throws Exception {
        var c = withConfig("{\"auths\":{\"198.18.0.1:5000\":{\"auth\":\"" + auth("sc", "p>?>?") + "\"},"
                + "\"https://index.docker.io/v1/\":{\"identitytoken\":\"tok\"}}}", Map.of());
        var json = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(c.forRegistry("198.18.0.1:5000").orElseThrow().header()));
        assertThat(json.path("username").asText()).isEqualTo("sc");
        assertThat(json.path("password").asText()).isEqualTo("p>?>?");
        assertThat(json.path("serveraddress").asText()).isEqualTo("198.18.0.1:5000");
        var hub = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(c.forRegistry("docker.io").orElseThrow().header()));
        assertThat(hub.path("identitytoken").asText()).isEqualTo("tok");
        assertThat(hub.path("serveraddress").asText()).isEqualTo("https://index.docker.io/v1/");
        assertThat(hub.has("password")).isFalse();
    }

    private Path helper(String name, String script) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path file = bin.resolve("docker-credential-" + name);
        Files.writeString(file, "#!/bin/sh\n" + script);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return bin;
    }

    @Test
    void credHelpersAndCredsStoreRunTheHelperWithTheServerAddressOnStdin() throws Exception {
        // the fake helper answers only for the server it is asked about, as the real ones do
        Path bin = helper("fake", "read server\n"
                + "case \"$1:$server\" in\n"
                + "  get:registry.example.com) echo '{\"ServerURL\":\"registry.example.com\",\"Username\":\"bob\",\"Secret\":\"" + PASSWORD + "\"}' ;;\n"
                + "  get:https://index.docker.io/v1/) echo '{\"ServerURL\":\"x\",\"Username\":\"<token>\",\"Secret\":\"idtok\"}' ;;\n"
                + "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
                + "esac\n");
        var c = withConfig("{\"credHelpers\":{\"registry.example.com\":\"fake\"},"
                + "\"auths\":{\"registry.example.com\":{\"auth\":\"" + auth("fromfile", "x") + "\"}}}", Map.of("PATH", bin.toString()));
        var example = c.forImage("registry.example.com/app:1").orElseThrow();
        assertThat(example.username()).isEqualTo("bob");
        assertThat(example.password()).isEqualTo(PASSWORD);

        var store = withConfig("{\"credsStore\":\"fake\"}", Map.of("PATH", bin.toString()));
        assertThat(store.forImage("busybox").orElseThrow().identityToken()).isEqualTo("idtok");
        assertThat(store.forImage("unknown.example.com/app")).isEmpty(); // "credentials not found": no login
    }

    @Test
    void aMissingOrFailingHelperIsExit2WithoutItsOutput() throws Exception {
        var missing = withConfig("{\"credsStore\":\"nothere\"}", Map.of("PATH", dir.toString()));
        assertThatThrownBy(() -> missing.forImage("registry.example.com/app"))
                .isInstanceOf(UserInputException.class).hasMessageContaining("docker-credential-nothere is not on PATH");
        Path bin = helper("broken", "echo 'leaked " + PASSWORD + "'; exit 3\n");
        var broken = withConfig("{\"credsStore\":\"broken\"}", Map.of("PATH", bin.toString()));
        assertThatThrownBy(() -> broken.forImage("registry.example.com/app"))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("registry.example.com").hasMessageContaining("exit 3")
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void environmentLoginForTheNamedRegistryWins() throws Exception {
        var c = withConfig("{\"auths\":{\"198.18.0.1:5000\":{\"auth\":\"" + auth("old", "old") + "\"}}}",
                Map.of("SWARM_CANARY_REGISTRY", "198.18.0.1:5000", "SWARM_CANARY_REGISTRY_USER", "jenkins",
                        "SWARM_CANARY_REGISTRY_PASSWORD", PASSWORD));
        assertThat(c.forImage("198.18.0.1:5000/app:1").orElseThrow().password()).isEqualTo(PASSWORD);
        // never sent to another registry
        assertThat(c.forImage("busybox")).isEmpty();
        var unnamed = withConfig("{}", Map.of("SWARM_CANARY_REGISTRY_USER", "jenkins", "SWARM_CANARY_REGISTRY_PASSWORD", PASSWORD));
        assertThatThrownBy(() -> unnamed.forImage("busybox")).isInstanceOf(UserInputException.class)
                .hasMessageContaining("SWARM_CANARY_REGISTRY").hasMessageNotContaining(PASSWORD);
    }

    @Test
    void nothingShowsTheSecretInTextOrErrors() throws Exception {
        var c = withConfig("{\"auths\":{\"r.example.com\":{\"auth\":\"" + auth("u", PASSWORD) + "\"}}}", Map.of());
        var cred = c.forImage("r.example.com/app").orElseThrow();
        assertThat(cred.toString()).doesNotContain(PASSWORD).doesNotContain(cred.header());
        assertThat(String.valueOf(cred.authConfig())).doesNotContain(PASSWORD);
        var bad = withConfig("{\"auths\":{\"r.example.com\":{\"auth\":\"" + PASSWORD + "\"}}}", Map.of());
        assertThatThrownBy(() -> bad.forImage("r.example.com/app")).isInstanceOf(UserInputException.class)
                .hasMessageContaining("r.example.com").hasMessageNotContaining(PASSWORD);
        Files.writeString(dir.resolve("config.json"), "{\"auths\": " + PASSWORD);
        var broken = RegistryCredentials.of(Map.of("DOCKER_CONFIG", dir.toString()), dir);
        assertThatThrownBy(() -> broken.forImage("r.example.com/app")).isInstanceOf(UserInputException.class)
                .hasMessageNotContaining(PASSWORD);
    }
}
