package io.swarmcanary.compose;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Service;
import io.swarmcanary.release.Names;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A team's own stack files, deployed for real: a global Envoy edge with placement constraints from
 * envoy-compose.yml, and the 'files' service of docker-compose.yml in three environments, each on its own
 * external overlay network, with secrets from files; then real traffic through the edge.
 */
class ComposeIT {
    static {
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 10141;
    private static final String SECRET = "compose-secret-that-must-never-leak-0815";
    private static final List<String> ENVS = List.of("webdev", "webstaging", "prod");
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-compose-");
    private static final String EDGE = APP + "-envoy";
    private static final List<String> outputs = new ArrayList<>();
    private static Path dir;
    private static Cli.Result edge;

    @BeforeAll
    static void stackFiles() throws Exception {
        dir = Files.createTempDirectory("sctest-compose-");
        for (String net : List.of("edge", "webdev", "webstaging", "prod")) {
            swarm.docker.createNetworkCmd().withName(APP + "-" + net).withDriver("overlay").withAttachable(true).exec();
        }
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(dir.resolve("secrets/db_password"), SECRET);
        Files.writeString(dir.resolve("envoy.yaml"), "# the team's own bootstrap, replaced by the generated config\n");
        Files.writeString(dir.resolve(".env"), "PREFIX=" + APP + "\n");
        Files.writeString(dir.resolve("envoy-compose.yml"), """
                version: "3.8"
                services:
                  envoy:
                    image: swarm-canary/envoy:latest
                    command: ["-c", "/etc/envoy/envoy.yaml"]
                    configs:
                      - source: envoy_yaml
                        target: /etc/envoy/envoy.yaml
                    networks: [edge]
                    ports:
                      - target: 10000
                        published: %d
                        mode: host
                    deploy:
                      mode: global
                      placement:
                        constraints: [node.role == manager]
                networks:
                  edge:
                    external: true
                    name: ${PREFIX}-edge
                configs:
                  envoy_yaml:
                    file: ./envoy.yaml
                """.formatted(PORT).replace("image: swarm-canary/", "image: " + Bed.image("swarm-canary/")));
        Files.writeString(dir.resolve("docker-compose.yml"), """
                version: "3.8"
                services:
                  files:
                    image: swarm-canary/testapp:${TAG:-latest}
                    build: ./files
                    depends_on: [db]
                    environment:
                      APP_VERSION: ${VERSION:?the pipeline sets VERSION}
                      DEPLOY_ENV: ${DEPLOY_ENV}
                    secrets:
                      - source: db_password
                        target: db_password
                    networks: [public]
                    ports: ["8080:80"]
                    healthcheck:
                      test: wget -q -O /dev/null http://127.0.0.1/health || exit 1
                      interval: 1s
                      retries: 3
                    deploy:
                      replicas: 2
                      endpoint_mode: dnsrr
                      placement:
                        constraints: [node.role == manager]
                      resources:
                        limits: {memory: 64M}
                      restart_policy: {condition: on-failure}
                networks:
                  public:
                    external: true
                    name: ${PREFIX}-${DEPLOY_ENV}
                secrets:
                  db_password:
                    file: ./secrets/db_password
                """.replace("image: swarm-canary/", "image: " + Bed.image("swarm-canary/")));
        edge = run(cli(), "edge", "ensure", "--compose", dir.resolve("envoy-compose.yml").toString(), "--service", "envoy",
                "--edge", EDGE, "--delivery", "redeploy", "--probe-host", Bed.PROBE_HOST, "--output", "json");
        for (String env : ENVS) {
            deploy(env, "1.0.0");
        }
    }

    private static Cli.Result deploy(String env, String version) {
        Cli.Result r = run(cli().env("DEPLOY_ENV", env).env("VERSION", version),
                "deploy", "--compose", dir.resolve("docker-compose.yml").toString(), "--service", "files",
                "--app", APP, "--env", env, "--version", version, "--edge", EDGE, "--probe-host", Bed.PROBE_HOST,
                "--domain", APP + "." + env + ".test:" + PORT, "--output", "json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static Cli.Result run(Cli cli, String... args) {
        Cli.Result r = cli.run(args);
        outputs.add(r.all());
        return r;
    }

    @AfterAll
    static void cleanUp() {
        try {
            assertThat(String.join("\n", outputs)).doesNotContain(SECRET);
        } finally {
            ENVS.forEach(env -> swarm.removeTrack(APP + "-" + env));
            try {
                swarm.docker.removeServiceCmd(EDGE).exec();
            } catch (RuntimeException gone) {
                // not created
            }
            for (int i = 0; i < 120; i++) {
                var configs = swarm.docker.listConfigsCmd().withFilters(Map.of("label", List.of("io.swarm-canary.edge=" + EDGE))).exec();
                if (configs.isEmpty()) {
                    break;
                }
                configs.forEach(c -> {
                    try {
                        swarm.docker.removeConfigCmd(c.getId()).exec();
                    } catch (RuntimeException inUse) {
                        TestSwarm.sleep(500);
                    }
                });
            }
            for (String net : List.of("edge", "webdev", "webstaging", "prod")) {
                ComposeRoundTripIT.removeNetwork(swarm, APP + "-" + net);
            }
            swarm.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (java.io.IOException ignored) {
                // a temp folder left behind is harmless
            }
        }
    }

    @Test
    void theEdgeRunsGlobalWithTheFilesConstraintsPortAndNetworkAndSaysWhatItDidNotUse() throws Exception {
        assertThat(edge.exitCode()).as(edge.toString()).isZero();
        Service envoy = swarm.service(EDGE).orElseThrow();
        assertThat(envoy.getSpec().getMode().getGlobal()).isNotNull();
        assertThat(envoy.getSpec().getTaskTemplate().getPlacement().getConstraints()).containsExactly("node.role == manager");
        assertThat(envoy.getSpec().getEndpointSpec().getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getPublishedPort()).isEqualTo(PORT));
        String edgeNet = swarm.docker.inspectNetworkCmd().withNetworkId(APP + "-edge").exec().getId();
        assertThat(envoy.getSpec().getTaskTemplate().getNetworks()).extracting(n -> n.getTarget()).contains(edgeNet);
        JsonNode json = JSON.readTree(edge.stdout());
        assertThat(json.path("warnings").toString()).contains("services.envoy.configs: not honoured", "--template FILE",
                "services.envoy.command: not honoured");
        // the generated config is what runs: the smoke route answers on the published port
        assertThat(get("proxy_test", "/").body()).contains("Proxy OK");
    }

    @Test
    void eachEnvironmentGetsItsReleaseOnItsOwnNetworkWithItsSecretAtTheStableTarget() throws Exception {
        for (String env : ENVS) {
            String service = APP + "-" + env + "-1_0_0";
            Service s = swarm.service(service).orElseThrow();
            var task = s.getSpec().getTaskTemplate();
            String envNet = swarm.docker.inspectNetworkCmd().withNetworkId(APP + "-" + env).exec().getId();
            assertThat(task.getNetworks()).extracting(n -> n.getTarget()).contains(envNet);
            assertThat(task.getContainerSpec().getEnv()).contains("DEPLOY_ENV=" + env, "APP_VERSION=1.0.0");
            assertThat(task.getResources().getLimits().getMemoryBytes()).isEqualTo(64L << 20);
            assertThat(task.getPlacement().getConstraints()).containsExactly("node.role == manager");
            assertThat(s.getSpec().getMode().getReplicated().getReplicas()).isEqualTo(2);
            assertThat(s.getSpec().getLabels()).containsEntry("io.swarm-canary.port", "80"); // from ports: "8080:80"
            assertThat(swarm.runningTasks(service)).hasSize(2);
            String expected = swarm.secretName(APP, env, "db_password", SECRET);
            assertThat(swarm.secretsOfTrack(APP + "-" + env)).extracting(x -> x.getSpec().getName()).containsExactly(expected);
            assertThat(swarm.httpGetInside(swarm.containerOf(service), "/secret/db_password")).isEqualTo(Names.sha256(SECRET));
            // and the edge routes the environment's domain to it
            assertThat(get(APP + "." + env + ".test:" + PORT, "/env/DEPLOY_ENV").body().trim()).isEqualTo(env);
        }
    }

    @Test
    void whatAReleaseCannotHonourIsReportedAndTheSameDeployAgainChangesNothing() throws Exception {
        Cli.Result again = deploy("webdev", "1.0.0");
        JsonNode json = JSON.readTree(again.stdout());
        assertThat(json.path("outcome").asText()).isEqualTo("UNCHANGED");
        assertThat(json.path("warnings").toString()).contains("services.files.build: not honoured",
                "services.files.depends_on: not honoured", "published port 8080 not honoured");
    }

    @Test
    void badInputIsExitTwoWithFileAndLineAndCreatesNothing() throws Exception {
        Path bad = dir.resolve("bad-compose.yml");
        Files.writeString(bad, Files.readString(dir.resolve("docker-compose.yml")).replace("      replicas: 2", "      replica: 2"));
        Cli.Result typo = run(cli().env("DEPLOY_ENV", "webdev").env("VERSION", "2.0.0"), "deploy", "--compose", bad.toString(),
                "--app", APP, "--env", "webdev", "--version", "2.0.0", "--edge", EDGE, "--output", "json");
        assertThat(typo.exitCode()).as(typo.toString()).isEqualTo(2);
        assertThat(typo.stderr()).contains("bad-compose.yml:20: services.files.deploy.replica: unknown key; did you mean 'replicas'?",
                "Nothing was changed.");
        Cli.Result unset = run(cli().env("DEPLOY_ENV", "webdev"), "deploy", "--compose",
                dir.resolve("docker-compose.yml").toString(), "--app", APP, "--env", "webdev", "--version", "2.0.0", "--edge", EDGE);
        assertThat(unset.exitCode()).as(unset.toString()).isEqualTo(2);
        assertThat(unset.stderr()).contains("docker-compose.yml:8: services.files.environment.APP_VERSION: variable VERSION is"
                + " required: the pipeline sets VERSION");
        assertThat(swarm.service(APP + "-webdev-2_0_0")).isEmpty();
        assertThat(swarm.secretsOfTrack(APP + "-webdev")).hasSize(1);
    }

    private static HttpResponse<String> get(String host, String path) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + Bed.PROBE_HOST + ":" + PORT + path)).header("Host", host)
                .timeout(Duration.ofSeconds(5)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
