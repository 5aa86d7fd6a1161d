package io.swarmcanary.wait;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WaitTest {
    private final Clock clock = Clock.systemUTC();

    @Test
    void looksUntilALookHasAValue() {
        AtomicInteger looks = new AtomicInteger();
        Optional<String> done = Wait.upTo(Duration.ofSeconds(5), clock).every(Duration.ofMillis(1))
                .until(elapsed -> looks.incrementAndGet() == 3 ? Optional.of("ready") : Optional.empty());
        assertThat(done).contains("ready");
        assertThat(looks).hasValue(3);
    }

    @Test
    void aDeadlineThatPassesEndsTheWaitEmptyAfterALastLookAtTheDeadline() {
        List<Duration> seen = new ArrayList<>();
        long started = System.nanoTime();
        Optional<Object> done = Wait.upTo(Duration.ofMillis(120), clock).every(Duration.ofMillis(50))
                .until(elapsed -> {
                    seen.add(elapsed);
                    return Optional.empty();
                });
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(done).isEmpty();
        assertThat(seen.get(0)).isLessThan(Duration.ofMillis(50)); // the first look is at once
        assertThat(seen.get(seen.size() - 1)).isGreaterThanOrEqualTo(Duration.ofMillis(120)); // and the last at the deadline
        assertThat(tookMillis).isLessThan(1000); // the last sleep stops at the deadline
    }

    @Test
    void aLookThatThrowsEndsTheWaitAtOnce() {
        AtomicInteger looks = new AtomicInteger();
        assertThatThrownBy(() -> Wait.upTo(Duration.ofSeconds(5), clock).every(Duration.ofMillis(1)).until(elapsed -> {
            looks.incrementAndGet();
            throw new IllegalStateException("rejected");
        })).hasMessage("rejected");
        assertThat(looks).hasValue(1);
    }

    @Test
    void anInterruptKeepsTheFlagAndThrowsTheCallersException() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Wait.upTo(Duration.ofSeconds(5), clock).every(Duration.ofSeconds(1))
                    .onInterrupt(() -> new IllegalStateException("interrupted while waiting for the edge"))
                    .until(elapsed -> Optional.empty())).hasMessage("interrupted while waiting for the edge");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void backOffDoublesUpToTheMaximumWithAJitteredHalf() {
        for (int i = 0; i < 200; i++) {
            assertThat(Wait.backOff(1, Duration.ofMillis(200), Duration.ofSeconds(3)).toMillis()).isBetween(100L, 200L);
            assertThat(Wait.backOff(3, Duration.ofMillis(200), Duration.ofSeconds(3)).toMillis()).isBetween(400L, 800L);
            assertThat(Wait.backOff(30, Duration.ofMillis(200), Duration.ofSeconds(3)).toMillis()).isBetween(1500L, 3000L);
        }
    }
}
