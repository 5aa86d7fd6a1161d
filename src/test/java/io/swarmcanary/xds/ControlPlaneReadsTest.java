package io.swarmcanary.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the control plane reads when: where the tasks run at every tick, the whole edge only at start, on a change
 * event, on POST /refresh (here {@link ControlPlane#refresh()}) and every resync. A fake source counts the reads.
 */
class ControlPlaneReadsTest {
    private static final String YAML = new EnvoyConfigRenderer().render(new EdgeRoutes(10000, List.of(), List.of()), Optional.empty());
    private final List<Boolean> reads = new CopyOnWriteArrayList<>();
    private ControlPlane plane;

    private ControlPlane plane() {
        plane = new ControlPlane("reads", whole -> {
            reads.add(whole);
            return new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), YAML, "r1", Map.of());
        }, new PrintStream(OutputStream.nullOutputStream()));
        return plane;
    }

    @AfterEach
    void close() {
        if (plane != null) {
            plane.close();
        }
    }

    private long whole() {
        return reads.stream().filter(w -> w).count();
    }

    private long tasksOnly() {
        return reads.stream().filter(w -> !w).count();
    }

    @Test
    void ticksReadOnlyTheTasksUntilAChangeComesAndThenTheWholeEdgeAtOnce() throws Exception {
        plane().start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofHours(1), null);
        assertThat(reads.get(0)).isTrue(); // the start reads everything
        await().atMost(Duration.ofSeconds(10)).until(() -> tasksOnly() >= 5);
        assertThat(whole()).isEqualTo(1);

        plane.changed();
        await().atMost(Duration.ofSeconds(5)).until(() -> whole() == 2);
        long after = reads.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> reads.size() >= after + 3);
        assertThat(whole()).as("one change, one whole read").isEqualTo(2);

        plane.refresh(); // POST /refresh: a whole read before it answers
        assertThat(whole()).isEqualTo(3);
    }

    @Test
    void aBurstOfEventsMakesFewWholeReadsNotOneEach() throws Exception {
        plane().start(freePort(), freePort(), Duration.ofHours(1), Duration.ofHours(1), null);
        for (int i = 0; i < 200; i++) {
            plane.changed();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> whole() >= 2);
        Thread.sleep(300);
        // one read queued at a time: a read that starts after an event covers every event before it
        assertThat(whole()).isBetween(2L, 3L);
        assertThat(tasksOnly()).isZero();
    }

    @Test
    void theWholeEdgeIsReadAgainEveryResyncWithoutAnyEvent() throws Exception {
        plane().start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofMillis(700), null);
        await().atMost(Duration.ofSeconds(15)).until(() -> whole() >= 3);
        assertThat(tasksOnly()).as("ticks in between read the tasks only").isGreaterThanOrEqualTo(4);
    }

    @Test
    void aWholeReadThatFailedIsTriedAgainAtTheNextTick() throws Exception {
        boolean[] fail = {false};
        plane = new ControlPlane("reads", whole -> {
            reads.add(whole);
            if (fail[0] && whole) {
                fail[0] = false;
                throw new IllegalStateException("the engine is away");
            }
            return new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), YAML, "r1", Map.of());
        }, new PrintStream(OutputStream.nullOutputStream()));
        plane.start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofHours(1), null);
        fail[0] = true;
        plane.changed();
        // the next tick after the failed one reads the whole edge again, not only its tasks
        await().atMost(Duration.ofSeconds(10)).until(() -> whole() >= 3 && plane.status().readError() == null);
        int failed = reads.subList(1, reads.size()).indexOf(true) + 1;
        assertThat(reads.get(failed + 1)).isTrue();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
