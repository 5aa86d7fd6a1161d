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
        plane.followingEvents(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> tasksOnly() >= 5);
        assertThat(reads.get(0)).isTrue(); // the start reads everything
        assertThat(reads.stream().skip(1).filter(w -> w)).as("the events' stream opening: one read of it all").hasSize(1);
        long before = whole();

        plane.changed();
        await().atMost(Duration.ofSeconds(5)).until(() -> whole() == before + 1);
        long after = reads.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> reads.size() >= after + 3);
        assertThat(whole()).as("one change, one whole read").isEqualTo(before + 1);

        plane.refresh(); // POST /refresh: a whole read before it answers
        assertThat(whole()).isEqualTo(before + 2);
    }

    @Test
    void whileNoEventsArriveEveryTickReadsTheWholeEdge() throws Exception {
        plane().start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofHours(1), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> reads.size() >= 4);
        assertThat(tasksOnly()).as("no event stream open yet").isZero();
        plane.followingEvents(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> tasksOnly() >= 2);
        plane.followingEvents(false); // the stream broke
        long wholeBefore = whole();
        await().atMost(Duration.ofSeconds(10)).until(() -> whole() >= wholeBefore + 3);
    }

    @Test
    void eventsDuringAReadMakeOneMoreWholeReadNotOneEach() throws Exception {
        java.util.concurrent.CountDownLatch inRead = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean block = new java.util.concurrent.atomic.AtomicBoolean();
        plane = new ControlPlane("reads", whole -> {
            reads.add(whole);
            if (whole && block.getAndSet(false)) {
                inRead.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), YAML, "r1", Map.of());
        }, new PrintStream(OutputStream.nullOutputStream()));
        plane.start(freePort(), freePort(), Duration.ofMillis(200), Duration.ofHours(1), null);
        plane.followingEvents(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> whole() >= 2);
        block.set(true); // the next whole read blocks in the source above
        plane.changed();
        assertThat(inRead.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        long whileBlocked = whole();
        for (int i = 0; i < 200; i++) {
            plane.changed(); // they came after the blocked read began: it may not have seen them
        }
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> whole() == whileBlocked + 1);
        Thread.sleep(500);
        assertThat(whole()).as("200 events during one read: exactly one more whole read").isEqualTo(whileBlocked + 1);
    }

    @Test
    void aRefreshForTheRoutesTheReadItWaitedForServesReadsNoMore() throws Exception {
        // a CLI's write: its event starts a read of the new routes; the CLI's refresh, asked while that read runs,
        // waits for it and then finds them served
        java.util.concurrent.CountDownLatch inRead = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean block = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<String> revision = new java.util.concurrent.atomic.AtomicReference<>("r1");
        plane = new ControlPlane("reads", whole -> {
            reads.add(whole);
            if (whole && block.getAndSet(false)) {
                revision.set("r2"); // the write's new routes
                inRead.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), YAML, revision.get(), Map.of());
        }, new PrintStream(OutputStream.nullOutputStream()));
        plane.start(freePort(), freePort(), Duration.ofMillis(200), Duration.ofHours(1), null);
        plane.followingEvents(true);
        await().atMost(Duration.ofSeconds(5)).until(() -> whole() >= 2);
        assertThat(plane.status().routesVersion()).isEqualTo("r1");
        block.set(true);
        plane.changed();
        assertThat(inRead.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        long whileBlocked = whole();
        java.util.concurrent.atomic.AtomicReference<XdsStatus> forNew = new java.util.concurrent.atomic.AtomicReference<>();
        Thread wantsNew = new Thread(() -> forNew.set(plane.refresh("r2")));
        wantsNew.start();
        // it waits for the running read (the routes it reads are not served yet when it asks)
        await().atMost(Duration.ofSeconds(5)).until(() -> wantsNew.getState() == Thread.State.BLOCKED);
        release.countDown();
        wantsNew.join(5_000);
        assertThat(forNew.get().routesVersion()).isEqualTo("r2");
        assertThat(whole()).as("the routes it waits for are served: no read more").isEqualTo(whileBlocked);
        plane.refresh("routes-no-read-serves");
        assertThat(whole()).as("other routes: a read, as always").isEqualTo(whileBlocked + 1);
    }

    @Test
    void theStatusNamesTheLabelsItsRoutesWereMadeFromAndARefreshForThemReadsNoMore() throws Exception {
        // labels of revision l1, rendered with a release removed since they were written: routes of another hash
        plane = new ControlPlane("reads", whole -> {
            reads.add(whole);
            return new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), io.swarmcanary.envoy.XdsConfig.bootstrapOf(YAML),
                    "r9", Map.of(), "l1");
        }, new PrintStream(OutputStream.nullOutputStream()));
        plane.start(freePort(), freePort(), Duration.ofHours(1), Duration.ofHours(1), null);
        plane.refresh();
        XdsStatus status = plane.status();
        assertThat(status.routesVersion()).isEqualTo("r9");
        assertThat(status.labelledRevision()).isEqualTo("l1");
        assertThat(status.madeFrom("l1")).isTrue();
        assertThat(status.madeFrom("r9")).isTrue();
        assertThat(status.madeFrom("l2")).isFalse();
        long before = whole();
        plane.refresh("l1");
        assertThat(whole()).as("the labels it waits for are served: no read more").isEqualTo(before);
    }

    @Test
    void theWholeEdgeIsReadAgainEveryResyncWithoutAnyEvent() throws Exception {
        plane().start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofMillis(700), null);
        plane.followingEvents(true);
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
        plane.followingEvents(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> whole() >= 2);
        fail[0] = true;
        plane.changed();
        // the next tick after the failed one reads the whole edge again, not only its tasks
        await().atMost(Duration.ofSeconds(10)).until(() -> whole() >= 4 && plane.status().readError() == null);
        List<Boolean> seen = List.copyOf(reads); // the poller goes on reading meanwhile
        int failed = seen.lastIndexOf(true) - 1; // the failed one, then its retry
        assertThat(seen.get(failed)).isTrue();
        assertThat(seen.subList(failed, seen.size())).startsWith(true, true);
    }

    @Test
    void aRefusedConfigNamesItsRevisionUntilAReadWorksAgain() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean(true);
        plane = new ControlPlane("reads", whole -> {
            reads.add(whole);
            if (refuse.get()) {
                throw new ControlPlane.Refused("r2", "the generated Envoy config is invalid");
            }
            return new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), YAML, "r1", Map.of());
        }, new PrintStream(OutputStream.nullOutputStream()));
        plane.start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofHours(1), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> plane.status().refusedRevision() != null);
        assertThat(plane.status().refusedRevision()).isEqualTo("r2");
        assertThat(plane.status().readError()).isEqualTo("the generated Envoy config is invalid");

        refuse.set(false);
        plane.changed();
        await().atMost(Duration.ofSeconds(10)).until(() -> plane.status().readError() == null);
        assertThat(plane.status().refusedRevision()).isNull();
        assertThat(plane.status().routesVersion()).isEqualTo("r1");
    }

    @Test
    void aReadThatFailsForAnotherReasonRefusesNoRevision() throws Exception {
        plane = new ControlPlane("reads", whole -> {
            throw new IllegalStateException("the engine is away");
        }, new PrintStream(OutputStream.nullOutputStream()));
        plane.start(freePort(), freePort(), Duration.ofMillis(100), Duration.ofHours(1), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> plane.status().readError() != null);
        assertThat(plane.status().refusedRevision()).isNull();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
