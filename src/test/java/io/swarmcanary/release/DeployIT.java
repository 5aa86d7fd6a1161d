package io.swarmcanary.release;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.Service;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy and status against the real swarm of the test bed. */
class DeployIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET_VALUE = "s3cr3t-value-that-must-never-leak-4711";

    private final TestSwarm swarm = new TestSwarm();
    private final List<String> outputs = new ArrayList<>();
    private String app;
    private String track;

    @BeforeEach
    void track() {
        app = TestSwarm.uniqueApp("dep");
        track = app + "-webdev";
    }

    @AfterEach
    void cleanUp() {
        // no output of any run in this class may carry a secret's value
        assertThat(String.join("\n", outputs)).doesNotContain(SECRET_VALUE);
        swarm.removeTrack(track);
        swarm.close();
    }

    private Cli.Result deploy(Cli cli, String version, String... more) {
        List<String> args = new ArrayList<>(List.of("deploy", "--app", app, "--env", "webdev", "--version", version,
                "--image", TestSwarm.TESTAPP, "--output", "json"));
        args.addAll(List.of(more));
        Cli.Result r = cli.run(args.toArray(String[]::new));
        outputs.add(r.all());
        return r;
    }

    private static JsonNode json(Cli.Result r) throws Exception {
        return JSON.readTree(r.stdout());
    }

    @Test
    void createsAVersionedServiceWithContentAddressedSecretsAtStableTargets() throws Exception {
        Cli.Result r = deploy(cli().env("DB_PASSWORD", SECRET_VALUE), "1.0.10",
                "--replicas", "2", "--port", "80", "--domain", "files.webdev.example.com",
                "--secret", "db_password=env:DB_PASSWORD", "--env", "GREETING=hello world", "--env", "APP_VERSION=1.0.10");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String service = app + "-webdev-1_0_10";
        assertThat(json(r).path("service").asText()).isEqualTo(service);
        assertThat(json(r).path("outcome").asText()).isEqualTo("CREATED");

        Service s = swarm.service(service).orElseThrow();
        assertThat(s.getSpec().getEndpointSpec().getMode()).isEqualTo(EndpointResolutionMode.DNSRR);
        assertThat(s.getSpec().getLabels())
                .containsEntry("io.swarm-canary.track", track)
                .containsEntry("io.swarm-canary.app", app)
                .containsEntry("io.swarm-canary.env", "webdev")
                .containsEntry("io.swarm-canary.version", "1.0.10")
                .containsEntry("io.swarm-canary.port", "80")
                .containsEntry("io.swarm-canary.domains", "files.webdev.example.com")
                .containsEntry("io.swarm-canary.managed-by", "swarm-canary");
        assertThat(s.getSpec().getLabels().values()).noneMatch(v -> v.contains(SECRET_VALUE));
        assertThat(swarm.runningTasks(service)).hasSize(2);

        String expectedSecret = swarm.secretName(app, "webdev", "db_password", SECRET_VALUE);
        // the name carries a keyed hash: nothing in it can be checked against a guessed value without the cluster's key
        assertThat(expectedSecret).doesNotContain(Names.sha256(SECRET_VALUE).substring(0, 12));
        assertThat(swarm.secretsOfTrack(track)).extracting(x -> x.getSpec().getName()).containsExactly(expectedSecret);

        String container = swarm.containerOf(service);
        // the application sees the stable target, never the unique name
        assertThat(swarm.httpGetInside(container, "/secret/db_password"))
                .isEqualTo(Names.sha256(SECRET_VALUE.getBytes(StandardCharsets.UTF_8)));
        assertThat(swarm.httpGetInside(container, "/env/GREETING")).isEqualTo("hello world");
    }

    @Test
    void runningTheSameDeployAgainChangesNothingAndSaysSo() throws Exception {
        Cli cli = cli().env("DB_PASSWORD", SECRET_VALUE);
        Cli.Result first = deploy(cli, "1.0.0", "--secret", "db_password=env:DB_PASSWORD");
        assertThat(first.exitCode()).as(first.toString()).isZero();
        String serviceId = swarm.service(app + "-webdev-1_0_0").orElseThrow().getId();
        long version = swarm.service(app + "-webdev-1_0_0").orElseThrow().getVersion().getIndex();

        Cli.Result second = deploy(cli, "1.0.0", "--secret", "db_password=env:DB_PASSWORD");
        assertThat(second.exitCode()).as(second.toString()).isZero();
        assertThat(json(second).path("outcome").asText()).isEqualTo("UNCHANGED");
        assertThat(second.stderr()).contains("already exists with the same definition");
        Service after = swarm.service(app + "-webdev-1_0_0").orElseThrow();
        assertThat(after.getId()).isEqualTo(serviceId);
        assertThat(after.getVersion().getIndex()).isEqualTo(version);
        assertThat(swarm.secretsOfTrack(track)).hasSize(1);
        assertThat(swarm.servicesOfTrack(track)).hasSize(1);
    }

    @Test
    void aChangedSecretGetsANewNameWhileTheOldOneStays(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("api.key");
        Files.writeString(file, "first-key");
        assertThat(deploy(cli(), "1.0.0", "--secret", "api_key=file:" + file).exitCode()).isZero();
        Files.writeString(file, "second-key");
        Cli.Result r = deploy(cli(), "1.0.1", "--secret", "api_key=file:" + file);
        assertThat(r.exitCode()).as(r.toString()).isZero();

        String oldName = swarm.secretName(app, "webdev", "api_key", "first-key");
        String newName = swarm.secretName(app, "webdev", "api_key", "second-key");
        assertThat(swarm.secretsOfTrack(track)).extracting(x -> x.getSpec().getName())
                .containsExactlyInAnyOrder(oldName, newName);
        assertThat(json(r).path("secretsCreated").get(0).asText()).isEqualTo(newName);
        // both releases read their own value at the same stable path
        assertThat(swarm.httpGetInside(swarm.containerOf(app + "-webdev-1_0_0"), "/secret/api_key"))
                .isEqualTo(Names.sha256("first-key"));
        assertThat(swarm.httpGetInside(swarm.containerOf(app + "-webdev-1_0_1"), "/secret/api_key"))
                .isEqualTo(Names.sha256("second-key"));
    }

    @Test
    void waitsForASlowAppToBecomeHealthyBeforeReturning() throws Exception {
        long start = System.nanoTime();
        Cli.Result r = deploy(cli(), "2.0.0", "--env", "READY_DELAY=6");
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(seconds).isGreaterThanOrEqualTo(5);
        String container = swarm.containerOf(app + "-webdev-2_0_0");
        assertThat(swarm.inspectContainer(container).getState().getHealth().getStatus())
                .isEqualTo("healthy");
        assertThat(r.stderr()).contains("waiting for " + app + "-webdev-2_0_0");
    }

    @Test
    void aHealthCmdWithoutAStartPeriodGivesASlowAppTimeToStart() throws Exception {
        // 15 s to become ready, checked every 2 s, 3 retries: with a start period of 0 Swarm kills it after ~6 s (testapp's
        // image has a start period of its own, which Docker used before; an image without one is what users hit)
        Cli.Result r = deploy(cli(), "2.1.0", "--env", "READY_DELAY=15",
                "--health-cmd", "wget -q -O /dev/null http://127.0.0.1:80/health || exit 1", "--timeout", "2m");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(swarm.service(app + "-webdev-2_1_0").orElseThrow().getSpec().getTaskTemplate().getContainerSpec()
                .getHealthCheck().getStartPeriod()).isEqualTo(60_000_000_000L);
    }

    @Test
    void failingTasksAreExplainedAndOnlyWhatThisRunCreatedIsRemoved() throws Exception {
        Cli cli = cli().env("DB_PASSWORD", SECRET_VALUE).env("OTHER", "other-value");
        // a secret that already exists (from an earlier release) must survive the failed run
        assertThat(deploy(cli, "1.0.0", "--secret", "db_password=env:DB_PASSWORD").exitCode()).isZero();
        Cli.Result r = deploy(cli, "1.0.1", "--secret", "db_password=env:DB_PASSWORD", "--secret", "other=env:OTHER",
                "--health-cmd", "echo not ready yet; exit 1", "--health-start-period", "1s", "--timeout", "2m");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).contains("tasks failed").contains("The health check stopped tasks as unhealthy")
                .contains("--health-start-period");
        // the check's own output when the engine we talk to runs the task; else where to read it
        assertThat(r.stderr()).containsAnyOf("its last run exited 1: not ready yet", "docker inspect --format");
        if (!Bed.THREE) {
            assertThat(r.stderr()).contains("its last run exited 1: not ready yet");
        }
        assertThat(json(r).path("error").path("message").asText()).contains(app + "-webdev-1_0_1");
        assertThat(swarm.service(app + "-webdev-1_0_1")).isEmpty();
        assertThat(swarm.secretsOfTrack(track)).extracting(x -> x.getSpec().getName())
                .containsExactly(swarm.secretName(app, "webdev", "db_password", SECRET_VALUE));
        assertThat(swarm.service(app + "-webdev-1_0_0")).isPresent();
    }

    @Test
    void aMissingImageIsReportedBeforeAnythingIsCreated() {
        Cli.Result r = cli().run("deploy", "--app", app, "--env", "webdev", "--version", "1.0.0",
                "--image", Bed.image("swarm-canary/does-not-exist:1"));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr()).contains("does not exist on node").contains("Nothing was created");
        assertThat(swarm.servicesOfTrack(track)).isEmpty();
    }

    @Test
    void statusShowsReleasesPerTrackAsJson() throws Exception {
        assertThat(deploy(cli(), "1.0.0", "--replicas", "2").exitCode()).isZero();
        Cli.Result r = cli().run("status", "--app", app, "--env", "webdev", "--output", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode t = json(r).path("tracks").get(0);
        assertThat(t.path("track").asText()).isEqualTo(track);
        JsonNode release = t.path("releases").get(0);
        assertThat(release.path("service").asText()).isEqualTo(app + "-webdev-1_0_0");
        assertThat(release.path("version").asText()).isEqualTo("1.0.0");
        assertThat(release.path("running").asInt()).isEqualTo(2);
        assertThat(release.path("desired").asInt()).isEqualTo(2);
        assertThat(release.path("health").asText()).isEqualTo("healthy");

        Cli.Result text = cli().run("status", "--app", app, "--env", "webdev");
        assertThat(text.stdout()).contains(app + "-webdev-1_0_0").contains("2/2").contains("healthy");
    }
}
