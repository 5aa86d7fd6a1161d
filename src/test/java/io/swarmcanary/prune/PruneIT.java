package io.swarmcanary.prune;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.Service;
import io.swarmcanary.release.Names;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * On the real swarm, through the CLI: a track with five releases behind a real Envoy edge, its secret rotated, a
 * canary in flight, and a stable whose previous spec (the target of 'docker service rollback') mounts an older secret.
 * Every release runs its own image tag made for this test, so the node clean-up removes nothing anyone else uses.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PruneIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PORT = 10100;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("sctest-prune-");
    private static final String EDGE = APP + "-edge";
    private static final String TRACK = APP + "-webdev";
    private static final Map<String, String> SECRET_VALUES = Map.of("A", "alpha-" + APP, "B", "bravo-" + APP,
            "C", "charlie-" + APP, "D", "delta-" + APP);
    private static final Map<String, String> SECRETS = new TreeMap<>(); // A..D -> content-addressed name

    private static String localImage(int v) {
        return APP + "/app:1.0." + v;
    }

    /** The release's image as the swarm pulls it (on the three-node bed: from its registry). */
    private static String image(int v) {
        return Bed.image(localImage(v));
    }

    private static String release(int v) {
        return TRACK + "-1_0_" + v;
    }

    @BeforeAll
    static void fiveReleasesRotatedSecretsACanaryInFlight() throws Exception {
        for (int v = 1; v <= 5; v++) {
            // a real image of our own (not just a tag), so removing it deletes something and touches nothing shared
            Bed.hostDocker("build", "-q", "-t", localImage(v), "--label", "io.swarm-canary.test=" + APP, "-",
                    "<<FROM swarm-canary/testapp:latest\nLABEL io.swarm-canary.test.version=1.0." + v + "\n");
            Bed.publish(localImage(v));
        }
        // the shared base on every node, so that prune is seen to leave it alone everywhere
        Bed.pullOnEveryNode(TestSwarm.TESTAPP);
        SECRET_VALUES.forEach((k, value) -> SECRETS.put(k, swarm.secretName(APP, "webdev", "db", value)));
        ok(cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY, "--delivery", "redeploy", "-q"));
        ok(deploy(1, "A"));
        ok(deploy(2, "A"));
        ok(step("promote"));
        ok(deploy(3, "B"));
        ok(step("promote"));
        ok(deploy(4, "C"));
        ok(step("promote"));
        ok(deploy(5, "D"));
        ok(cli().run("shift", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev", "--weight", "10", "-q"));
        // the stable moves from secret C to D by a plain service update: C is now only in its previous spec
        docker("service", "update", "--detach=false", "-q", "--secret-rm", SECRETS.get("C"),
                "--secret-add", "source=" + SECRETS.get("D") + ",target=db", release(4));
        assertThat(secretsOf(release(4), false)).containsExactly(SECRETS.get("D"));
        assertThat(secretsOf(release(4), true)).containsExactly(SECRETS.get("C"));
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        try {
            swarm.docker.removeServiceCmd(EDGE).exec();
        } catch (NotFoundException ignored) {
            // not created
        }
        // images and the network stay in use until the containers are gone, which takes a while on a busy swarm
        for (int attempt = 0; attempt < 240 && !swarm.docker.listContainersCmd().withShowAll(true)
                .withNameFilter(List.of(APP + "-")).exec().isEmpty(); attempt++) {
            TestSwarm.sleep(500);
        }
        for (int attempt = 0; attempt < 60; attempt++) {
            try {
                for (var c : swarm.docker.listConfigsCmd().exec()) {
                    if (c.getSpec().getName().startsWith(EDGE + "-")) {
                        swarm.docker.removeConfigCmd(c.getId()).exec();
                    }
                }
                swarm.docker.listNetworksCmd().withNameFilter(EDGE + "-net").exec()
                        .forEach(n -> swarm.docker.removeNetworkCmd(n.getId()).exec());
                break;
            } catch (RuntimeException stillInUse) {
                TestSwarm.sleep(500);
            }
        }
        for (int v = 1; v <= 5; v++) {
            try {
                Bed.hostDocker("image", "rm", localImage(v));
            } catch (AssertionError gone) {
                // removed by the prune under test
            }
            Bed.unpublish(localImage(v));
        }
        swarm.close();
    }

    @Test
    @Order(1)
    void dryRunPlansExactlyThePolicyAndChangesNothing() {
        String before = snapshot();
        JsonNode out = json(ok(prune("--dry-run", "--images", "--prune-image", TestSwarm.DOCKER_CLI)));
        assertThat(names(out.path("plan").path("remove"), "release")).containsExactlyInAnyOrder(release(1), release(2));
        assertThat(names(out.path("plan").path("keep"), "release")).containsExactly(release(5), release(4), release(3));
        assertThat(reasons(out.path("plan").path("keep"))).containsEntry(release(5), "canary on edge " + EDGE)
                .containsEntry(release(3), "one of the 1 newest others (--keep 1)");
        assertThat(reasons(out.path("plan").path("keep"))).containsEntry(release(4), "stable on edge " + EDGE);
        assertThat(names(out.path("plan").path("remove"), "secret")).containsExactly(SECRETS.get("A"));
        assertThat(reasons(out.path("plan").path("keep"))).containsEntry(SECRETS.get("C"),
                "kept for 'docker service rollback': previous spec of service " + release(4));
        assertThat(out.path("plan").path("images")).extracting(JsonNode::asText).containsExactlyElementsOf(plannedImages(1, 2));
        assertThat(out.path("result").isMissingNode()).isTrue();
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    @Order(2)
    void badInputChangesNothing() {
        String before = snapshot();
        for (List<String> bad : List.of(List.of("--keep", "-1"), List.of("--keep", "two"), List.of("--older-than", "soon"),
                List.of("--older-than", "-5m"), List.of("--app", APP + "x", "--env", "webdev"), List.of("--edge", EDGE + "x"),
                List.of("--app", "no.dots", "--env", "webdev"), List.of("--image-label", "x y", "--images"))) {
            List<String> args = new ArrayList<>(List.of("prune", "--output", "json", "--older-than", "0s"));
            if (!bad.contains("--app")) {
                args.addAll(List.of("--app", APP, "--env", "webdev"));
            }
            args.addAll(bad);
            Cli.Result r = cli().run(args.toArray(String[]::new));
            assertThat(r.exitCode()).as(bad + "\n" + r).isEqualTo(2);
            assertThat(json(r).path("error").path("kind").asText()).as(bad.toString()).isEqualTo("bad-input");
            assertThat(r.stderr()).as(bad.toString()).containsAnyOf("Nothing was removed", "Nothing was changed");
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    @Order(3)
    void pruneRemovesWhatThePolicySaysAndTheImagesOfRemovedReleasesOnTheNode() {
        List<String> pinned = List.of(specImage(1), specImage(2));
        JsonNode out = json(ok(prune("--images", "--prune-image", TestSwarm.DOCKER_CLI)));
        JsonNode result = out.path("result");
        assertThat(names(result.path("removed"), "release")).containsExactlyInAnyOrder(release(1), release(2));
        assertThat(names(result.path("removed"), "secret")).containsExactly(SECRETS.get("A"));
        assertThat(result.path("skipped")).isEmpty();
        assertThat(result.path("failed")).isEmpty();
        assertThat(swarm.servicesOfTrack(TRACK)).extracting(s -> s.getSpec().getName())
                .containsExactlyInAnyOrder(release(3), release(4), release(5));
        assertThat(swarm.secretsOfTrack(TRACK)).extracting(s -> s.getSpec().getName())
                .containsExactlyInAnyOrder(SECRETS.get("B"), SECRETS.get("C"), SECRETS.get("D"));
        // the node jobs: one per node, both images deleted wherever they were, space reclaimed, the jobs removed
        assertThat(result.path("nodes")).hasSize(swarm.nodes().size());
        List<String> removedImages = new ArrayList<>();
        for (JsonNode node : result.path("nodes")) {
            assertThat(node.path("finished").asBoolean()).as(node.toString()).isTrue();
            assertThat(node.path("errors")).as(node.toString()).isEmpty();
            node.path("removedImages").forEach(i -> removedImages.add(i.asText()));
        }
        // a node that pulled from a registry holds the pinned reference only; the node it was built on holds the tag
        assertThat(removedImages).as(result.toString()).anyMatch(i -> i.equals(image(1)) || i.equals(pinned.get(0)))
                .anyMatch(i -> i.equals(image(2)) || i.equals(pinned.get(1)))
                .allMatch(i -> i.startsWith(image(1)) || i.startsWith(image(2)));
        assertThat(result.path("reclaimedBytes").asLong()).isPositive();
        assertThat(imageExists(1)).isFalse();
        assertThat(imageExists(2)).isFalse();
        assertThat(imageExists(3)).isTrue();
        for (var node : swarm.nodes()) {
            assertThat(node.inspectImageCmd(TestSwarm.TESTAPP).exec()).isNotNull();
        }
        assertThat(swarm.docker.listServicesCmd().withLabelFilter(Map.of("io.swarm-canary.kind", "prune-job")).exec()).isEmpty();
    }

    @Test
    @Order(4)
    void theStablesDockerRollbackStillWorks() throws Exception {
        docker("service", "rollback", "--detach=false", "-q", release(4));
        assertThat(secretsOf(release(4), false)).containsExactly(SECRETS.get("C"));
        String container = awaitContainer(release(4));
        assertThat(swarm.httpGetInside(container, "/secret/db"))
                .isEqualTo(Names.sha256(SECRET_VALUES.get("C").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @Order(5)
    void aSecondPruneFindsNothingMore() {
        JsonNode out = json(ok(prune()));
        assertThat(out.path("plan").path("remove")).isEmpty();
        assertThat(out.path("result").path("removed")).isEmpty();
    }

    // ---- helpers

    private static Cli.Result deploy(int v, String secret) {
        return cli().env("DB", SECRET_VALUES.get(secret)).run("deploy", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST,
                "--app", APP, "--env", "webdev", "--version", "1.0." + v, "--image", image(v), "--secret", "db=env:DB",
                "--domain", APP + ".test", "-q");
    }

    private static Cli.Result step(String verb) {
        return cli().run(verb, "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev", "-q");
    }

    private static Cli.Result prune(String... extra) {
        List<String> args = new ArrayList<>(List.of("prune", "--app", APP, "--env", "webdev", "--keep", "1",
                "--older-than", "0s", "--output", "json"));
        args.addAll(List.of(extra));
        return cli().run(args.toArray(String[]::new));
    }

    private static Cli.Result ok(Cli.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    private static JsonNode json(Cli.Result r) {
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r, e);
        }
    }

    private static List<String> names(JsonNode items, String kind) {
        List<String> names = new ArrayList<>();
        items.forEach(i -> {
            if (i.path("kind").asText().equals(kind)) {
                names.add(i.path("name").asText());
            }
        });
        return names;
    }

    private static Map<String, String> reasons(JsonNode items) {
        Map<String, String> reasons = new TreeMap<>();
        items.forEach(i -> reasons.put(i.path("name").asText(), i.path("reason").asText()));
        return reasons;
    }

    /** Everything of this test's track and edge that prune could touch, as one comparable string. */
    private static String snapshot() {
        List<String> parts = new ArrayList<>();
        swarm.servicesOfTrack(TRACK).forEach(s -> parts.add(s.getId() + ":" + s.getVersion().getIndex()));
        swarm.secretsOfTrack(TRACK).forEach(s -> parts.add(s.getId()));
        swarm.docker.listConfigsCmd().exec().stream().filter(c -> c.getSpec().getName().startsWith(EDGE + "-"))
                .forEach(c -> parts.add(c.getId()));
        for (int v = 1; v <= 5; v++) {
            parts.add(image(v) + "=" + imageExists(v));
        }
        return parts.stream().sorted().toList().toString();
    }

    /** Whether any node holds release v's image, by its build label: a node that pulled it pinned has no tag for it. */
    /** The image in release v's spec: name:tag@digest where deploy could ask a registry (the three-node bed), else name:tag. */
    private static String specImage(int v) {
        return swarm.service(release(v)).orElseThrow().getSpec().getTaskTemplate().getContainerSpec().getImage();
    }

    /** What prune plans to remove for these releases: each spec's image and, when pinned, its tag too (sorted). */
    private static List<String> plannedImages(int... versions) {
        java.util.TreeSet<String> images = new java.util.TreeSet<>();
        for (int v : versions) {
            images.add(image(v));
            images.add(specImage(v));
        }
        return List.copyOf(images);
    }

    private static boolean imageExists(int v) {
        return swarm.nodes().stream().anyMatch(node -> !node.listImagesCmd()
                .withLabelFilter(Map.of("io.swarm-canary.test", APP, "io.swarm-canary.test.version", "1.0." + v)).exec().isEmpty());
    }

    private static List<String> secretsOf(String service, boolean previous) {
        Service s = swarm.service(service).orElseThrow();
        try {
            // docker-java's model has no PreviousSpec: read it from the raw inspect
            String raw = docker("service", "inspect", "--format",
                    previous ? "{{json .PreviousSpec.TaskTemplate.ContainerSpec.Secrets}}" : "{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}",
                    s.getId());
            List<String> names = new ArrayList<>();
            JSON.readTree(raw).forEach(x -> names.add(x.path("SecretName").asText()));
            return names;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String awaitContainer(String service) {
        for (int i = 0; i < 120; i++) {
            var tasks = swarm.runningTasks(service);
            if (tasks.size() == 1) {
                return tasks.get(0).getStatus().getContainerStatus().getContainerID();
            }
            TestSwarm.sleep(500);
        }
        throw new AssertionError("no single running task of " + service);
    }

    /** The docker CLI; an argument "<<TEXT" is sent as its standard input instead. */
    private static String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        String stdin = null;
        for (String a : args) {
            if (a.startsWith("<<")) {
                stdin = a.substring(2);
            } else {
                command.add(a);
            }
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(Duration.ofMinutes(5).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(command + " failed: " + out);
            }
            return out.trim();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
