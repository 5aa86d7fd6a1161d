package io.swarmcanary.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.ConflictException;
import io.swarmcanary.testing.TestSwarm;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real engine's refusals leave the gateway as the typed exceptions callers decide on, never as docker-java's. */
class DockerSwarmGatewayIT {
    private final TestSwarm swarm = new TestSwarm();
    private final DockerConnection connection = DockerConnection.fromEnvironment();
    private final DockerSwarmGateway gateway = new DockerSwarmGateway(connection);
    private final String track = TestSwarm.uniqueApp("gw") + "-it";
    private final Map<String, String> labels = Map.of("io.swarm-canary.track", track);

    @AfterEach
    void cleanUp() {
        swarm.removeTrack(track);
        gateway.configs(labels).forEach(c -> gateway.removeConfig(c.id()));
        swarm.close();
        connection.close();
    }

    @Test
    void theEnginesRefusalsComeOutTyped() {
        byte[] value = "s3cret".getBytes(StandardCharsets.UTF_8);
        SecretInfo secret = gateway.createSecret(track + "-s", value, labels);
        assertThatThrownBy(() -> gateway.createSecret(track + "-s", value, labels))
                .isInstanceOf(AlreadyExistsException.class).hasMessageStartingWith("create secret " + track + "-s: ")
                .hasMessageNotContaining("s3cret");
        gateway.createConfig(track + "-c", value, labels);
        assertThatThrownBy(() -> gateway.createConfig(track + "-c", value, labels)).isInstanceOf(AlreadyExistsException.class);

        // no replicas: the service only has to mount the secret for the engine to refuse its removal
        ServiceDefinition definition = ServiceDefinition.replicated(track, TestSwarm.TESTAPP, 0, labels, Map.of(), List.of(),
                List.of(), List.of(new SecretMount(secret.id(), secret.name(), "s")), List.of(), null, List.of());
        ServiceInfo created = gateway.createService(definition);
        assertThatThrownBy(() -> gateway.createService(definition)).isInstanceOf(AlreadyExistsException.class);
        assertThatThrownBy(() -> gateway.removeSecret(secret.id())).isInstanceOf(InUseException.class)
                .hasMessageStartingWith("remove secret " + secret.id() + ": ").hasMessageContaining("in use");

        gateway.updateService(created.id(), created.versionIndex(), definition);
        assertThatThrownBy(() -> gateway.updateService(created.id(), created.versionIndex(), definition))
                .isInstanceOf(VersionConflictException.class).isInstanceOf(ConflictException.class)
                .hasMessageContaining("someone else changed service " + track);

        gateway.removeService(track);
        gateway.removeService(track); // idempotent: gone is done
        assertThat(gateway.service(track)).isEmpty();
        gateway.removeSecret(secret.id());
        assertThatThrownBy(() -> gateway.removeSecret(secret.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> gateway.removeConfig(track + "-no-such-config")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> gateway.updateState(track)).isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("inspect service " + track + ": ");
        assertThat(gateway.network(track + "-no-such-network")).isEmpty();
        assertThat(gateway.imageExists(track + "-no-such-image:1")).isFalse();
    }

    /**
     * The control plane's change events from the real engine: the stream opens (following), a secret and a service of
     * this test are reported, and after close the follower has stopped and reports nothing more.
     */
    @Test
    void swarmEventsReportChangesOfTheFollowedTypesUntilClosed() {
        java.util.concurrent.atomic.AtomicInteger changes = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean following = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        SwarmEvents events = SwarmEvents.follow(connection, List.of("service", "secret"), new SwarmEvents.Listener() {
            @Override
            public void changed() {
                changes.incrementAndGet();
            }

            @Override
            public void following(boolean now) {
                following.set(now);
            }
        }, log::add);
        try {
            // a stream opened: following, and no event yet needed (an idle engine sends none)
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(following::get);
            int connected = changes.get();
            SecretInfo secret = gateway.createSecret(track + "-s", new byte[] {1}, labels);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> changes.get() > connected);
            int afterSecret = changes.get();
            gateway.createService(ServiceDefinition.replicated(track, TestSwarm.TESTAPP, 0, labels, Map.of(), List.of(),
                    List.of(), List.of(), List.of(), null, List.of()));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> changes.get() > afterSecret);
            events.close();
            assertThat(events.running()).as("the follower has stopped").isFalse();
            int closed = changes.get();
            gateway.removeService(track);
            gateway.removeSecret(secret.id());
            TestSwarm.sleep(1000);
            assertThat(changes.get()).as("no call after close").isEqualTo(closed);
            assertThat(log).as("no trouble following").containsExactly("following the engine's events: service, secret");
        } finally {
            events.close();
        }
    }

    /** The task logs as callers get them: stdout and stderr as text, each frame whole, however long. */
    @Test
    void serviceLogsComeOutAsText() {
        String longLine = "x".repeat(5000);
        String id = gateway.createGlobalJob(new GlobalJob(track + "-job", TestSwarm.TESTAPP, List.of("sh", "-c",
                "echo 'out: größe'; echo 'err: to stderr' >&2; echo " + longLine), List.of(), Map.of(), labels));
        int nodes = gateway.readyNodes();
        for (int i = 0; i < 240 && gateway.tasks(track + "-job").stream().filter(t -> "complete".equals(t.state())).count() < nodes; i++) {
            TestSwarm.sleep(250);
        }
        String logs = "";
        // the engine hands a task's log over a moment after the task completes
        for (int i = 0; i < 40 && !logs.contains(longLine); i++) {
            logs = gateway.serviceLogs(id);
            TestSwarm.sleep(250);
        }
        assertThat(logs).contains("out: größe\n", "err: to stderr\n", longLine + "\n")
                .doesNotContain("\u0000").doesNotContain("\u0001").doesNotContain("\u0002");
        assertThat(logs.lines().filter(l -> l.equals(longLine)).count()).isEqualTo(nodes);
        gateway.removeService(id);
        assertThatThrownBy(() -> gateway.serviceLogs(id)).isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("logs of service " + id + ": ");
    }
}
