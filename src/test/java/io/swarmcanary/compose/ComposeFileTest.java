package io.swarmcanary.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.ReleaseOptions.MountTarget;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.SecretSource;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing a stack file into a release and an edge: what is honoured, reported and refused, with file and line. */
class ComposeFileTest {
    static final String STACK = """
            version: "3.8"
            x-defaults: &defaults
              restart_policy:
                condition: on-failure
                max_attempts: 3
            services:
              files:
                image: registry.example.com/files:${TAG}
                build: ./files
                container_name: files
                depends_on: [db]
                command: ["httpd", "-f", "-p", "8080"]
                entrypoint: /bin/sh -c 'exec "$$@"' --
                environment:
                  GREETING: hello ${WHO:-world}
                  LOG_LEVEL: debug
                  FROM_SHELL:
                env_file: files.env
                labels:
                  team: storage
                secrets:
                  - db_password
                  - source: tls_key
                    target: tls.key
                    uid: "100"
                    mode: 0400
                configs:
                  - source: files_conf
                    target: /etc/files/files.conf
                  - files_conf
                networks:
                  - webdev_public
                  - webdev_backend
                ports:
                  - "8081:8080"
                volumes:
                  - data:/data
                healthcheck:
                  test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/health"]
                  interval: 5s
                  timeout: 2s
                  retries: 3
                  start_period: 1m30s
                stop_grace_period: 20s
                cap_drop: [ALL]
                cap_add: [net_bind_service]
                deploy:
                  replicas: 2
                  endpoint_mode: dnsrr
                  labels:
                    com.example.owner: storage
                  placement:
                    constraints: [node.role == worker, node.labels.zone != b]
                    preferences:
                      - spread: node.labels.zone
                    max_replicas_per_node: 2
                  resources:
                    limits: {cpus: "0.5", memory: 64M}
                    reservations: {cpus: "0.25", memory: 32M}
                  <<: *defaults
                  update_config: {parallelism: 1, delay: 10s, order: start-first, failure_action: rollback}
              envoy:
                image: envoyproxy/envoy:v1.34-latest
                command: ["-c", "/etc/envoy/envoy.yaml"]
                configs:
                  - source: envoy_yaml
                    target: /etc/envoy/envoy.yaml
                networks: [webdev_public]
                ports:
                  - target: 10000
                    published: 80
                    mode: host
                deploy:
                  mode: global
                  placement:
                    constraints: [node.role == worker]
            networks:
              webdev_public:
                external: true
              webdev_backend:
                external:
                  name: backend-overlay
            volumes:
              data:
            secrets:
              db_password:
                file: ./secrets/db_password
                name: files_db_password_v1
              tls_key:
                environment: TLS_KEY
            configs:
              files_conf:
                file: ./files.conf
              envoy_yaml:
                file: ./envoy.yaml
            """;

    @TempDir Path dir;
    Path file;
    final Map<String, String> env = Map.of("TLS_KEY", "not-a-real-key", "FROM_SHELL", "shell-value");

    @BeforeEach
    void writeFiles() throws Exception {
        file = write("docker-compose.yml", STACK);
        write(".env", "# the tag the pipeline builds\nTAG=1.0.10\nWHO='from dotenv'\n");
        write("files.env", "LOG_LEVEL=info\nCACHE=on\n");
        Files.createDirectories(dir.resolve("secrets"));
        write("secrets/db_password", "pw");
        write("files.conf", "x=1");
        write("envoy.yaml", "static_resources: {}");
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private ComposeRelease files() {
        return ComposeRelease.of(ComposeFile.load(file, env), "files", null, env);
    }

    @Test
    void takesTheReleaseFromTheService() {
        ComposeRelease r = files();
        assertThat(r.image()).isEqualTo("registry.example.com/files:1.0.10");
        assertThat(r.replicas()).isEqualTo(2);
        assertThat(r.port()).isEqualTo(8080);
        // env_file first, environment: wins, a bare name comes from the environment, sorted like the docker CLI
        assertThat(r.env()).containsExactly("CACHE=on", "FROM_SHELL=shell-value", "GREETING=hello from dotenv", "LOG_LEVEL=debug");
        assertThat(r.networks()).containsExactly("webdev_public", "backend-overlay");
        assertThat(r.constraints()).containsExactly("node.role == worker", "node.labels.zone != b");
        assertThat(r.secrets()).containsExactly(
                SecretSource.parse("db_password=file:" + dir.resolve("secrets/db_password")),
                SecretSource.parse("tls_key=env:TLS_KEY"));
        assertThat(r.options().secretTargets()).containsEntry("tls_key", new MountTarget("tls.key", "100", "0", 0400))
                .containsEntry("db_password", MountTarget.of("db_password"));
        // a config without target lands at /<name>, as docker stack deploy mounts it
        assertThat(r.options().configs()).extracting(c -> c.target().target()).containsExactly("/etc/files/files.conf", "files_conf");
        assertThat(r.options().configs()).allSatisfy(c -> assertThat(c.file()).isEqualTo(dir.resolve("files.conf")));
        assertThat(r.options().args()).containsExactly("httpd", "-f", "-p", "8080");
        assertThat(r.options().containerLabels()).containsEntry("team", "storage");
        assertThat(r.options().serviceLabels()).containsEntry("com.example.owner", "storage");
        ServiceOptions o = r.options().service();
        assertThat(o.entrypoint()).containsExactly("/bin/sh", "-c", "exec \"$@\"", "--");
        assertThat(o.health()).isEqualTo(new ServiceOptions.Health(
                List.of("CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/health"),
                Duration.ofSeconds(5), Duration.ofSeconds(2), 3, Duration.ofSeconds(90)));
        assertThat(o.stopGracePeriod()).isEqualTo(Duration.ofSeconds(20));
        assertThat(o.limits()).isEqualTo(new ServiceOptions.Resources(500_000_000L, 64L << 20));
        assertThat(o.reservations()).isEqualTo(new ServiceOptions.Resources(250_000_000L, 32L << 20));
        assertThat(o.placementPreferences()).containsExactly("node.labels.zone");
        assertThat(o.maxReplicasPerNode()).isEqualTo(2);
        assertThat(o.restart()).isEqualTo(new ServiceOptions.RestartPolicy("on-failure", null, 3L, null)); // from the anchor
        assertThat(o.update()).isEqualTo(new ServiceOptions.RolloutPolicy(1L, Duration.ofSeconds(10), "rollback", null, null, "start-first"));
        assertThat(o.capabilityDrop()).containsExactly("ALL");
        assertThat(o.capabilityAdd()).containsExactly("CAP_NET_BIND_SERVICE"); // as the docker CLI writes it
    }

    @Test
    void reportsWhatAReleaseCannotHonourWithFileAndLine() {
        List<String> warnings = files().warnings();
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("docker-compose.yml:9: services.files.build: not honoured")
                .contains("build (and push) it in the pipeline"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(":10: services.files.container_name: not honoured"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains(":11: services.files.depends_on: not honoured"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("services.files.volumes: not honoured"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("services.files.ports[0]: published port 8081 not honoured"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("secrets.db_password.name: not honoured")
                .contains("names it by content"));
        // honoured keys are not reported
        assertThat(String.join("\n", warnings)).doesNotContain("services.files.healthcheck", "deploy.replicas", "environment", "command");
    }

    @Test
    void theEdgeComesFromItsServiceAndTheGeneratedConfigReplacesTheFilesOwn() {
        ComposeEdge e = ComposeEdge.of(file, "envoy", "envoy", null, env);
        assertThat(e.image()).isEqualTo("envoyproxy/envoy:v1.34-latest");
        assertThat(e.port()).isEqualTo(80);
        assertThat(e.networks()).containsExactly("webdev_public");
        assertThat(e.constraints()).containsExactly("node.role == worker");
        assertThat(e.warnings()).anySatisfy(w -> assertThat(w).contains("services.envoy.configs: not honoured")
                .contains("--template FILE"));
        assertThat(e.warnings()).anySatisfy(w -> assertThat(w).contains("services.envoy.command: not honoured"));
        assertThat(e.warnings()).noneSatisfy(w -> assertThat(w).contains("deploy.mode"));
    }

    @Test
    void flagsOverrideTheFile() {
        ComposeDeploy d = ComposeDeploy.of(file, "files", "files", null, env);
        ReleaseRequest r = d.request(new Track("files", "webdev"), "1.0.10", null, 3, null, List.of("files.example.com"),
                List.of("edge-net"), List.of(SecretSource.parse("db_password=env:DB")), List.of("LOG_LEVEL=warn", "NEW=1"),
                null, null, List.of("node.labels.ssd == true"), Duration.ofMinutes(1), false, "envoy");
        assertThat(r.image()).isEqualTo("registry.example.com/files:1.0.10");
        assertThat(r.replicas()).isEqualTo(3);
        assertThat(r.port()).isEqualTo(8080);
        assertThat(r.env()).contains("LOG_LEVEL=warn", "NEW=1", "CACHE=on").doesNotContain("LOG_LEVEL=debug");
        assertThat(r.secrets()).contains(SecretSource.parse("db_password=env:DB")).hasSize(2);
        assertThat(r.networks()).containsExactly("webdev_public", "backend-overlay", "edge-net");
        assertThat(r.constraints()).containsExactly("node.role == worker", "node.labels.zone != b", "node.labels.ssd == true");
    }

    // --- bad input: what, where (file and line), nothing changed

    private String errorOf(String yaml, Map<String, String> environment) throws Exception {
        Files.createDirectories(dir.resolve("bad")); // away from the .env file of the good one
        Path bad = write("bad/bad.yml", yaml);
        try {
            ComposeDeploy.of(bad, "files", "files", null, environment).request(new Track("files", "webdev"), "1.0.0", null,
                    null, null, List.of(), List.of(), List.of(), List.of(), null, null, List.of(), Duration.ofMinutes(1), false, "envoy");
        } catch (UserInputException e) {
            assertThat(e.getMessage()).endsWith("Nothing was changed.");
            return e.getMessage();
        }
        throw new AssertionError("no error for:\n" + yaml);
    }

    @Test
    void anUnknownKeyIsAnErrorWithItsPathAndLine() throws Exception {
        assertThat(errorOf("services:\n  files:\n    image: x\n    deploy:\n      replica: 2\n", Map.of()))
                .contains("bad.yml:5: services.files.deploy.replica: unknown key; did you mean 'replicas'?");
        assertThat(errorOf("services:\n  files:\n    image: x\n    secrets:\n      - sorce: a\n", Map.of()))
                .contains("bad.yml:5: services.files.secrets[0].sorce: unknown key; did you mean 'source'?");
        assertThat(errorOf("servces:\n  files: {}\n", Map.of())).contains("bad.yml:1: servces: unknown key; did you mean 'services'?");
    }

    @Test
    void aFileThatDoesNotParseSaysWhere() throws Exception {
        assertThat(errorOf("services:\n  files:\n    image: [x\n", Map.of())).contains("bad.yml:4: does not parse as YAML");
        assertThat(errorOf("services:\n  files:\n    image: a\n    image: b\n", Map.of()))
                .contains("bad.yml:4: services.files.image: duplicate key");
    }

    @Test
    void anUndefinedVariableNamesItselfAndItsLine() throws Exception {
        assertThat(errorOf("services:\n  files:\n    image: files:${TAG}\n", Map.of()))
                .contains("bad.yml:3: services.files.image: variable TAG is not set and has no default");
        assertThat(errorOf("services:\n  files:\n    image: x\n    environment:\n      - DB=${DB_URL:?the pipeline sets DB_URL}\n", Map.of()))
                .contains("bad.yml:5: services.files.environment[0]: variable DB_URL is required: the pipeline sets DB_URL");
    }

    @Test
    void missingThingsAreErrorsWithTheirLine() throws Exception {
        assertThat(errorOf("services:\n  web:\n    image: x\n  api:\n    image: y\n", Map.of()))
                .contains("service 'files' is not in").contains("web, api");
        assertThat(errorOf("services:\n  files:\n    image: x\n    secrets: [db]\nsecrets:\n  db:\n    file: ./nope\n", Map.of()))
                .contains("bad.yml:7: secrets.db.file: secret file").contains("does not exist");
        assertThat(errorOf("services:\n  files:\n    image: x\n    secrets: [db]\n", Map.of()))
                .contains("bad.yml:4: services.files.secrets[0]: 'db' is not defined under the top-level secrets:");
        assertThat(errorOf("services:\n  files:\n    image: x\n    secrets: [db]\nsecrets:\n  db:\n    environment: DB_PW\n", Map.of()))
                .contains("bad.yml:7: secrets.db.environment: secret 'db' comes from environment variable DB_PW, which is not set");
        assertThat(errorOf("services:\n  files:\n    image: x\n    secrets: [db]\nsecrets:\n  db:\n    external: true\n", Map.of()))
                .contains("bad.yml:7: secrets.db.external: external secrets are not used by releases");
        assertThat(errorOf("services:\n  files:\n    image: x\n    env_file: nope.env\n", Map.of()))
                .contains("bad.yml:4: services.files.env_file: env file").contains("does not exist");
    }

    @Test
    void networksMustBeExternalOrComeFromANamedStack() throws Exception {
        String yaml = "services:\n  files:\n    image: x\n    networks: [backend]\nnetworks:\n  backend: {}\n";
        assertThat(errorOf(yaml, Map.of())).contains("bad.yml:4: services.files.networks[0]: network 'backend' is not external")
                .contains("--stack NAME");
        Path f = write("stack.yml", yaml);
        assertThat(ComposeDeploy.of(f, "files", "files", "web", Map.of()).release().networks()).containsExactly("web_backend");
        assertThat(errorOf("services:\n  files:\n    image: x\n    networks: [nope]\n", Map.of()))
                .contains("network 'nope' is not defined under the top-level networks:");
    }

    @Test
    void refusesWhatWouldMisleadAndChecksValues() throws Exception {
        assertThat(errorOf("services:\n  files:\n    image: x\n    deploy:\n      mode: global\n", Map.of()))
                .contains("bad.yml:5: services.files.deploy.mode: a release runs replicated");
        assertThat(errorOf("services:\n  files:\n    image: x\n    deploy:\n      labels: {io.swarm-canary.track: x}\n", Map.of()))
                .contains("swarm-canary's own state");
        assertThat(errorOf("services:\n  files:\n    image: x\n    healthcheck:\n      interval: soon\n", Map.of()))
                .contains("bad.yml:5: services.files.healthcheck.interval: expected a duration");
        assertThat(errorOf("services:\n  files:\n    image: x\n    deploy:\n      restart_policy: {condition: always}\n", Map.of()))
                .contains("services.files.deploy.restart_policy.condition: expected one of none, on-failure, any");
        assertThat(errorOf("services:\n  files:\n    build: .\n", Map.of())).contains("has no image: add 'image:'");
        assertThat(errorOf("services:\n  files:\n    image: x\n    cap_add: [NET_ADMN]\n", Map.of()))
                .contains("bad.yml:4: services.files.cap_add: unknown capability 'NET_ADMN'").contains("Nothing was changed.");
    }

    @Test
    void valueFormatsReadLikeTheDockerCli() throws Exception {
        Path f = write("v.yml", "services:\n  files:\n    image: x\n    stop_grace_period: 1h2m3.5s\n"
                + "    deploy:\n      resources:\n        limits: {memory: 1.5g, cpus: 2}\n");
        ComposeRelease r = ComposeRelease.of(ComposeFile.load(f, Map.of()), "files", null, Map.of());
        assertThat(r.options().service().stopGracePeriod()).isEqualTo(Duration.ofSeconds(3723, 500_000_000));
        assertThat(r.options().service().limits()).isEqualTo(new ServiceOptions.Resources(2_000_000_000L, 1536L << 20));
    }
}
