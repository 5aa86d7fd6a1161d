package io.swarmcanary.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.swarm.ImageLookup;
import io.swarmcanary.swarm.NetworkInfo;
import io.swarmcanary.swarm.Platform;
import io.swarmcanary.testing.FakeSwarm;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deploy logic against an in-memory swarm; DeployIT proves the same on the real one. */
class DeployerTest {
    private final FakeSwarm swarm = new FakeSwarm();
    private final Map<String, String> env = Map.of("DB", "db-secret", "API", "api-secret");
    private final Deployer deployer = new Deployer(swarm, Clock.systemUTC(), env);

    @BeforeEach
    void image() {
        swarm.images.add("app:1");
        swarm.networks.put("front", new NetworkInfo("n1", "front", "overlay", "swarm", false));
        swarm.networks.put("local", new NetworkInfo("n2", "local", "bridge", "local", false));
    }

    private ReleaseRequest request(String version, List<SecretSource> secrets, List<String> networks) {
        return new ReleaseRequest(new Track("files", "webdev"), version, "app:1", 1, 80, List.of("files.example.com"),
                networks, secrets, List.of(), null, null, List.of(), Duration.ofSeconds(5), true, "envoy");
    }

    @Test
    void namesSecretsByContentAndMountsThemAtTheStableTarget() {
        DeployResult r = deployer.deploy(request("1.0.10", List.of(SecretSource.parse("db_password=env:DB")), List.of()), Progress.SILENT);
        String name = Names.secretName(NamingKey.read(swarm).orElseThrow(), new Track("files", "webdev"), "db_password",
                "db-secret".getBytes());
        assertThat(r.secretsCreated()).containsExactly(name);
        assertThat(swarm.definitions.get("files-webdev-1_0_10").secrets())
                .singleElement().satisfies(m -> {
                    assertThat(m.secretName()).isEqualTo(name);
                    assertThat(m.target()).isEqualTo("db_password");
                });
        assertThat(swarm.secrets.get(name).labels()).doesNotContainValue("db-secret");
    }

    @Test
    void undoesOnlyWhatThisRunCreatedWhenTasksFail() {
        deployer.deploy(request("1.0.0", List.of(SecretSource.parse("db=env:DB")), List.of()), Progress.SILENT);
        swarm.taskError.put("files-webdev-1_0_1", "task: non-zero exit (1)");
        assertThatThrownBy(() -> deployer.deploy(request("1.0.1",
                List.of(SecretSource.parse("db=env:DB"), SecretSource.parse("api=env:API")), List.of()), Progress.SILENT))
                .isInstanceOf(TaskWaiter.NotReadyException.class)
                .hasMessageContaining("non-zero exit (1)");
        assertThat(swarm.services).containsOnlyKeys("files-webdev-1_0_0");
        assertThat(swarm.secrets).containsOnlyKeys(Names.secretName(NamingKey.read(swarm).orElseThrow(), new Track("files", "webdev"),
                "db", "db-secret".getBytes()));
    }

    @Test
    void aSecondRunOfTheSameDeployCreatesNothing() {
        var req = request("1.0.0", List.of(SecretSource.parse("db=env:DB")), List.of("front"));
        deployer.deploy(req, Progress.SILENT);
        int calls = swarm.calls.size();
        DeployResult again = deployer.deploy(req, Progress.SILENT);
        assertThat(again.outcome()).isEqualTo(DeployResult.Outcome.UNCHANGED);
        assertThat(swarm.calls).hasSize(calls);
    }

    @Test
    void aVersionThatWouldNameTheReleaseLikeACanarysExtraClusterIsRefusedBeforeAnythingIsCreated() {
        // the suffixes are the renderer's: forced and mirror clusters are <canary>--forced and <canary>--mirror
        assertThat(Names.RESERVED_SUFFIXES).containsExactly(io.swarmcanary.envoy.EnvoyConfigRenderer.FORCED_SUFFIX,
                io.swarmcanary.envoy.EnvoyConfigRenderer.MIRROR_SUFFIX);
        for (String version : List.of("1.0.0--forced", "2--mirror")) {
            assertThatThrownBy(() -> request(version, List.of(), List.of()))
                    .isInstanceOf(UserInputException.class).hasMessageContaining("ends with '--")
                    .hasMessageContaining("another --version");
        }
        assertThat(request("1.0.0--rc1", List.of(), List.of()).serviceName()).isEqualTo("files-webdev-1_0_0--rc1");
        assertThat(swarm.services).isEmpty();
    }

    @Test
    void aDifferentDefinitionUnderTheSameVersionIsRefused() {
        deployer.deploy(request("1.0.0", List.of(), List.of()), Progress.SILENT);
        var changed = new ReleaseRequest(new Track("files", "webdev"), "1.0.0", "app:1", 3, 80, List.of(),
                List.of(), List.of(), List.of(), null, null, List.of(), Duration.ofSeconds(5), true, "envoy");
        assertThatThrownBy(() -> deployer.deploy(changed, Progress.SILENT))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("already exists with a different definition");
    }

    @Test
    void validatesAgainstTheClusterBeforeCreatingAnything() {
        assertThatThrownBy(() -> deployer.deploy(request("1.0.0", List.of(SecretSource.parse("db=env:DB")), List.of("nope")), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("network 'nope' does not exist");
        assertThatThrownBy(() -> deployer.deploy(request("1.0.0", List.of(), List.of("local")), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("swarm-scoped");
        assertThatThrownBy(() -> deployer.deploy(request("1.0.0", List.of(SecretSource.parse("x=env:MISSING")), List.of()), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("MISSING is not set");
        assertThat(swarm.calls).isEmpty();
    }

    @Test
    void secretNamesAreKeyedByTheClusterSoABuildLogCannotBeBruteForced() {
        deployer.deploy(request("1.0.0", List.of(SecretSource.parse("db=env:DB")), List.of()), Progress.SILENT);
        String name = swarm.definitions.get("files-webdev-1_0_0").secrets().get(0).secretName();
        assertThat(name).startsWith("files-webdev-db-").doesNotContain(Names.sha256("db-secret").substring(0, 12));
        assertThat(swarm.configs.get(NamingKey.CONFIG).labels()).containsEntry(Labels.KIND, NamingKey.KIND);
        // same value, same name: the next release reuses the secret, and the key is created once
        deployer.deploy(request("1.0.1", List.of(SecretSource.parse("db=env:DB")), List.of()), Progress.SILENT);
        assertThat(swarm.definitions.get("files-webdev-1_0_1").secrets().get(0).secretName()).isEqualTo(name);
        assertThat(swarm.calls).filteredOn(c -> c.startsWith("createConfig")).hasSize(1);
        assertThat(swarm.secrets).hasSize(1);
        // another cluster (another key) names the same value differently
        assertThat(Names.secretName(new byte[32], new Track("files", "webdev"), "db", "db-secret".getBytes())).isNotEqualTo(name);
    }

    @Test
    void aSecretCreatedUnderTheOldUnkeyedNameKeepsItSoOldReleasesStayUnchanged() {
        String legacy = Names.contentAddressed(new Track("files", "webdev"), "db", "db-secret".getBytes());
        Map<String, String> labels = Labels.ofTrack(new Track("files", "webdev"), "secret");
        labels.put(Labels.SECRET, "db");
        swarm.createSecret(legacy, "db-secret".getBytes(), labels);
        DeployResult r = deployer.deploy(request("1.0.0", List.of(SecretSource.parse("db=env:DB")), List.of()), Progress.SILENT);
        assertThat(r.secretsCreated()).isEmpty();
        assertThat(r.secretsReused()).containsExactly(legacy);
    }

    private static final String PRIVATE = "registry.example.com/team/app:1";
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    private ReleaseRequest privateImage(String version, boolean checkImage) {
        return new ReleaseRequest(new Track("files", "webdev"), version, PRIVATE, 1, 80, List.of(), List.of(),
                List.of(SecretSource.parse("db=env:DB")), List.of(), null, null, List.of(), Duration.ofSeconds(5), checkImage, "envoy");
    }

    private void registryAnswers(ImageLookup.Result result, String digest, boolean credentialsSent) {
        swarm.registry.put(PRIVATE, new ImageLookup(result, "registry.example.com", digest,
                result == ImageLookup.Result.FOUND ? null : "unauthorized: authentication required", credentialsSent));
    }

    @Test
    void pinsTheRegistryDigestAndARerunIsUnchangedEvenAfterTheTagMoved() {
        registryAnswers(ImageLookup.Result.FOUND, DIGEST, true);
        DeployResult first = deployer.deploy(privateImage("2.0.0", true), Progress.SILENT);
        assertThat(first.outcome()).isEqualTo(DeployResult.Outcome.CREATED);
        assertThat(swarm.definitions.get("files-webdev-2_0_0").image()).isEqualTo(PRIVATE + "@" + DIGEST);
        String hash = swarm.services.get("files-webdev-2_0_0").labels().get(Labels.SPEC_HASH);
        registryAnswers(ImageLookup.Result.FOUND, "sha256:" + "b".repeat(64), true); // someone pushed the tag again
        assertThat(deployer.deploy(privateImage("2.0.0", true), Progress.SILENT).outcome()).isEqualTo(DeployResult.Outcome.UNCHANGED);
        // the hash is the requested definition's: the same as the release deployed unpinned (image only on the node)
        FakeSwarm local = new FakeSwarm();
        local.images.add(PRIVATE);
        local.configs.put(NamingKey.CONFIG, swarm.configs.get(NamingKey.CONFIG)); // the same cluster key, so the same secret names
        new Deployer(local, Clock.systemUTC(), env).deploy(privateImage("2.0.0", true), Progress.SILENT);
        assertThat(local.definitions.get("files-webdev-2_0_0").image()).isEqualTo(PRIVATE);
        assertThat(local.services.get("files-webdev-2_0_0").labels().get(Labels.SPEC_HASH)).isEqualTo(hash);
    }

    @Test
    void aPinnedImageRunsOnlyOnThePlatformsItsRegistryListsAndALocalOneAnywhere() {
        List<Platform> platforms = List.of(new Platform("amd64", "linux"), new Platform("arm64", "linux"));
        swarm.registry.put(PRIVATE, new ImageLookup(ImageLookup.Result.FOUND, "registry.example.com", DIGEST, platforms,
                null, true));
        deployer.deploy(privateImage("2.0.0", true), Progress.SILENT);
        assertThat(swarm.definitions.get("files-webdev-2_0_0").platforms()).isEqualTo(platforms);
        // only on the node, no registry answer: no platforms, as docker service create writes none then
        swarm.registry.clear();
        swarm.images.add(PRIVATE);
        deployer.deploy(privateImage("2.0.1", true), Progress.SILENT);
        assertThat(swarm.definitions.get("files-webdev-2_0_1").platforms()).isEmpty();
        // nor when the image is not checked and found nowhere
        swarm.images.clear();
        deployer.deploy(privateImage("2.0.2", false), Progress.SILENT);
        assertThat(swarm.definitions.get("files-webdev-2_0_2").platforms()).isEmpty();
    }

    @Test
    void aRefusedLoginIsExit2NamingTheRegistryWithNothingCreated() {
        registryAnswers(ImageLookup.Result.DENIED, null, true);
        swarm.images.add(PRIVATE); // even on the node: the other nodes could not pull it
        for (boolean check : List.of(true, false)) {
            assertThatThrownBy(() -> deployer.deploy(privateImage("2.0.0", check), Progress.SILENT))
                    .isInstanceOf(UserInputException.class)
                    .hasMessageContaining("registry registry.example.com refused the login")
                    .hasMessageContaining("Nothing was created");
        }
        registryAnswers(ImageLookup.Result.DENIED, null, false);
        assertThatThrownBy(() -> deployer.deploy(privateImage("2.0.0", true), Progress.SILENT))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("registry registry.example.com needs a login").hasMessageContaining("none was found");
        assertThat(swarm.calls).isEmpty();
    }

    @Test
    void anImageNoRegistryAndNoNodeHasIsExit2UnlessNotChecked() {
        registryAnswers(ImageLookup.Result.NOT_FOUND, null, true);
        assertThatThrownBy(() -> deployer.deploy(privateImage("2.0.0", true), Progress.SILENT))
                .isInstanceOf(UserInputException.class)
                .hasMessageContaining("does not exist on node fake-node nor in registry registry.example.com")
                .hasMessageContaining("Nothing was created");
        assertThat(swarm.calls).isEmpty();
        List<String> lines = new java.util.ArrayList<>();
        deployer.deploy(privateImage("2.0.0", false), new Progress() {
            @Override public void info(String line) { lines.add(line); }
            @Override public void waiting(String status) {}
            @Override public void done() {}
        });
        assertThat(swarm.definitions.get("files-webdev-2_0_0").image()).isEqualTo(PRIVATE);
        assertThat(lines).anyMatch(l -> l.startsWith("warning: image '" + PRIVATE + "' could not be resolved"));
    }

    @Test
    void aLocalImageWithoutRegistryKeepsItsTagAsOnTheOneNodeBed() {
        // app:1 is only on the node and no registry could be asked (FakeSwarm's default): the spec is as it always was
        deployer.deploy(request("1.0.0", List.of(), List.of()), Progress.SILENT);
        assertThat(swarm.definitions.get("files-webdev-1_0_0").image()).isEqualTo("app:1");
        // Docker Hub denies a repository it does not have: a local image without a registry host still deploys
        swarm.registry.put("app:1", new ImageLookup(ImageLookup.Result.DENIED, "docker.io", null, "denied", false));
        deployer.deploy(request("1.0.1", List.of(), List.of()), Progress.SILENT);
        assertThat(swarm.definitions.get("files-webdev-1_0_1").image()).isEqualTo("app:1");
    }
}
