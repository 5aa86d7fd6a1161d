package io.swarmcanary.compose;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same stack file through {@code docker stack deploy} (the real docker CLI) and through
 * {@code swarm-canary deploy --compose}: the two service specs must agree on every field both support.
 * The specs are read as the Engine's raw JSON (docker service inspect), because docker-java drops fields it
 * does not know, such as placement preferences.
 */
class ComposeRoundTripIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Fields both set from a stack file; secrets, configs and labels are compared separately, without names and IDs. */
    private static final List<String> FIELDS = List.of(
            "/TaskTemplate/ContainerSpec/Image", "/TaskTemplate/ContainerSpec/Args", "/TaskTemplate/ContainerSpec/Command",
            "/TaskTemplate/ContainerSpec/Env", "/TaskTemplate/ContainerSpec/Dir", "/TaskTemplate/ContainerSpec/User",
            "/TaskTemplate/ContainerSpec/Hostname", "/TaskTemplate/ContainerSpec/StopGracePeriod",
            "/TaskTemplate/ContainerSpec/StopSignal", "/TaskTemplate/ContainerSpec/Init", "/TaskTemplate/ContainerSpec/ReadOnly",
            "/TaskTemplate/ContainerSpec/TTY", "/TaskTemplate/ContainerSpec/Healthcheck",
            "/TaskTemplate/ContainerSpec/CapabilityAdd", "/TaskTemplate/ContainerSpec/CapabilityDrop",
            "/TaskTemplate/Resources", "/TaskTemplate/RestartPolicy", "/TaskTemplate/Placement",
            "/Mode", "/UpdateConfig", "/RollbackConfig", "/EndpointSpec/Mode");

    private final TestSwarm swarm = new TestSwarm();
    private final String app = TestSwarm.uniqueApp("sctest-compose-");
    private final String stack = app + "-stack";
    private final String network = app + "-net";

    @AfterEach
    void cleanUp() throws Exception {
        docker("stack", "rm", stack);
        swarm.removeTrack(app + "-webdev");
        removeConfigsOf(app + "-webdev");
        removeNetwork(swarm, network);
        swarm.close();
    }

    /** The network stays in use until the tasks of every service on it are gone. */
    static void removeNetwork(TestSwarm swarm, String network) {
        RuntimeException last = null;
        for (int i = 0; i < 180; i++) {
            try {
                swarm.docker.removeNetworkCmd(network).exec();
                return;
            } catch (com.github.dockerjava.api.exception.NotFoundException gone) {
                return;
            } catch (RuntimeException inUse) {
                last = inUse;
                TestSwarm.sleep(500);
            }
        }
        throw new AssertionError("could not remove test network " + network, last);
    }

    private void removeConfigsOf(String track) {
        for (int i = 0; i < 60; i++) {
            var configs = swarm.docker.listConfigsCmd().withFilters(Map.of("label", List.of("io.swarm-canary.track=" + track))).exec();
            if (configs.isEmpty()) {
                return;
            }
            configs.forEach(c -> {
                try {
                    swarm.docker.removeConfigCmd(c.getId()).exec();
                } catch (RuntimeException inUse) {
                    TestSwarm.sleep(500);
                }
            });
        }
    }

    @Test
    void aServiceFromTheStackFileMatchesWhatDockerStackDeployCreates(@TempDir Path dir) throws Exception {
        swarm.docker.createNetworkCmd().withName(network).withDriver("overlay").withAttachable(true).exec();
        Files.writeString(dir.resolve("db_password"), "rt-password");
        Files.writeString(dir.resolve("api_key"), "rt-key");
        Files.writeString(dir.resolve("app.conf"), "x=1\n");
        Files.writeString(dir.resolve("app.env"), "FROM_FILE=1\n# a comment\n");
        Path file = dir.resolve("docker-compose.yml");
        Files.writeString(file, """
                version: "3.8"
                services:
                  files:
                    image: ${IMAGE:-swarm-canary/testapp:latest}
                    entrypoint: ["/bin/sh", "-c"]
                    command: "'exec /app/start'"
                    environment:
                      APP_VERSION: "1.0.0"
                      GREETING: ${GREETING_WORD} world
                    env_file: app.env
                    labels:
                      team: storage
                    secrets:
                      - db_password
                      - source: api_key
                        target: api.key
                        uid: "100"
                        gid: "101"
                        mode: 0400
                    configs:
                      - app_conf
                      - source: app_conf
                        target: /etc/app.conf
                    networks: [shared]
                    healthcheck:
                      test: ["CMD-SHELL", "wget -q -O - http://127.0.0.1/health || exit 1"]
                      interval: 3s
                      timeout: 2s
                      retries: 2
                      start_period: 5s
                    stop_grace_period: 15s
                    stop_signal: SIGTERM
                    working_dir: /
                    user: root
                    hostname: files-host
                    init: true
                    cap_drop: [ALL, chown]
                    cap_add: [net_bind_service, CAP_SETUID, setgid, CHOWN]
                    deploy:
                      replicas: 1
                      endpoint_mode: dnsrr
                      labels: {com.example.owner: storage}
                      placement:
                        constraints: [node.role == manager]
                        preferences: [{spread: node.labels.zone}]
                        max_replicas_per_node: 2
                      resources:
                        limits: {cpus: "0.5", memory: 64M}
                        reservations: {cpus: "0.1", memory: 16M}
                      restart_policy: {condition: on-failure, delay: 2s, max_attempts: 5, window: 30s}
                      update_config: {parallelism: 2, delay: 5s, failure_action: rollback, monitor: 10s, max_failure_ratio: 0.2, order: start-first}
                      rollback_config: {parallelism: 1, order: stop-first}
                networks:
                  shared:
                    external: true
                    name: %s
                secrets:
                  db_password:
                    file: ./db_password
                  api_key:
                    file: ./api_key
                configs:
                  app_conf:
                    file: ./app.conf
                """.formatted(network).replace("-swarm-canary/", "-" + Bed.image("swarm-canary/")));

        // with a registry (three-node bed) both pin the image's digest, as production does; without one both keep the tag
        String stackOut = docker("stack", "deploy", "--resolve-image", Bed.THREE ? "always" : "never", "--with-registry-auth", "-c", file.toString(), stack);
        // the variable comes from the environment: docker stack deploy does not read a .env file (swarm-canary does)
        Cli.Result ours = cli().env("GREETING_WORD", "hello").run("deploy", "--compose", file.toString(), "--service", "files", "--app", app,
                "--env", "webdev", "--version", "1.0.0", "--edge", app + "-noedge", "--timeout", "2m");
        assertThat(ours.exitCode()).as(ours.toString()).isZero();

        JsonNode theirs = inspect(stack + "_files");
        JsonNode mine = inspect(app + "-webdev-1_0_0");
        List<String> differences = new ArrayList<>();
        for (String field : FIELDS) {
            compare(field, theirs.at(field), mine.at(field), differences);
        }
        compare("secret files", files(theirs, "Secrets"), files(mine, "Secrets"), differences);
        compare("config files", files(theirs, "Configs"), files(mine, "Configs"), differences);
        compare("service labels", userLabels(theirs.path("Labels")), userLabels(mine.path("Labels")), differences);
        compare("container labels", userLabels(theirs.at("/TaskTemplate/ContainerSpec/Labels")),
                userLabels(mine.at("/TaskTemplate/ContainerSpec/Labels")), differences);
        compare("network targets", networks(theirs), networks(mine), differences);
        assertThat(differences).as("docker stack deploy vs swarm-canary deploy --compose (stack: %s)", stackOut).isEmpty();

        // the comparison is not vacuous: the fields it compared are set
        assertThat(mine.at("/TaskTemplate/Placement/Preferences/0/Spread/SpreadDescriptor").asText()).isEqualTo("node.labels.zone");
        assertThat(mine.at("/TaskTemplate/ContainerSpec/Env").toString()).contains("GREETING=hello world", "FROM_FILE=1");
        assertThat(files(mine, "Secrets")).hasSize(2);
        assertThat(mine.at("/UpdateConfig/Order").asText()).isEqualTo("start-first");
        assertThat(mine.at("/TaskTemplate/ContainerSpec/CapabilityDrop").toString()).isEqualTo("[\"ALL\"]");
        assertThat(mine.at("/TaskTemplate/ContainerSpec/CapabilityAdd").toString())
                .isEqualTo("[\"CAP_CHOWN\",\"CAP_NET_BIND_SERVICE\",\"CAP_SETGID\",\"CAP_SETUID\"]");
        // pinned in the bed's registry: the registry's platforms too, as the CLI writes them (issue #18)
        assertThat(mine.at("/TaskTemplate/Placement/Platforms/0/OS").asText()).isEqualTo(Bed.THREE ? "linux" : "");
        // and the release is still a swarm-canary release
        assertThat(mine.at("/Labels/io.swarm-canary.track").asText()).isEqualTo(app + "-webdev");
    }

    private static void compare(String field, JsonNode theirs, JsonNode mine, List<String> differences) {
        if (!theirs.equals(mine)) {
            differences.add(field + ":\n    docker stack deploy: " + theirs + "\n    swarm-canary:        " + mine);
        }
    }

    /** Mounted files (target, owner, mode), without the names and IDs, which differ by design. */
    private static JsonNode files(JsonNode spec, String kind) {
        List<JsonNode> files = new ArrayList<>();
        spec.at("/TaskTemplate/ContainerSpec/" + kind).forEach(m -> files.add(m.path("File")));
        files.sort(Comparator.comparing(JsonNode::toString));
        ArrayNode out = JSON.createArrayNode();
        files.forEach(out::add);
        return out;
    }

    /** Labels the file asked for: without docker stack's and swarm-canary's own. */
    private static JsonNode userLabels(JsonNode labels) {
        ObjectNode out = JSON.createObjectNode();
        labels.fields().forEachRemaining(e -> {
            if (!e.getKey().startsWith("com.docker.stack.") && !e.getKey().startsWith("io.swarm-canary.")) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    private static JsonNode networks(JsonNode spec) {
        ArrayNode out = JSON.createArrayNode();
        spec.at("/TaskTemplate/Networks").forEach(n -> out.add(n.path("Target")));
        return out;
    }

    private static JsonNode inspect(String service) throws Exception {
        return JSON.readTree(docker("service", "inspect", "--format", "{{json .Spec}}", service));
    }

    /** The real docker CLI of this machine. */
    private static String docker(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("GREETING_WORD", "hello");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
