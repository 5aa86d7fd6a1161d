package io.swarmcanary.wait;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The one way the tool waits: look, and look again every interval until a look says the wait is over or the deadline
 * has passed; and back-off with jitter between retries. A look may report progress (it is told how long the wait has
 * run) and may end the wait at once by throwing.
 *
 * <pre>
 * Optional&lt;List&lt;TaskInfo&gt;&gt; done = Wait.upTo(timeout, clock).every(Duration.ofMillis(500))
 *         .until(elapsed -&gt; finished(tasks()) ? Optional.of(tasks) : Optional.empty());
 * </pre>
 */
public final class Wait {
    private final Clock clock;
    private final Duration timeout;
    private final Duration interval;
    private final Supplier<? extends RuntimeException> onInterrupt;

    private Wait(Clock clock, Duration timeout, Duration interval, Supplier<? extends RuntimeException> onInterrupt) {
        this.clock = clock;
        this.timeout = timeout;
        this.interval = interval;
        this.onInterrupt = onInterrupt;
    }

    /** A wait of at most {@code timeout} by this clock, looking every second unless {@link #every} says otherwise. */
    public static Wait upTo(Duration timeout, Clock clock) {
        return new Wait(clock, timeout, Duration.ofSeconds(1), () -> new IllegalStateException("interrupted while waiting"));
    }

    public Wait every(Duration interval) {
        return new Wait(clock, timeout, interval, onInterrupt);
    }

    /** What an interrupt of the wait throws (the thread's interrupt flag is kept). */
    public Wait onInterrupt(Supplier<? extends RuntimeException> onInterrupt) {
        return new Wait(clock, timeout, interval, onInterrupt);
    }

    /** One look: a value ends the wait, empty looks again; an exception ends the wait at once. */
    @FunctionalInterface
    public interface Look<T> {
        Optional<T> look(Duration elapsed);
    }

    /**
     * Looks until a look has a value and returns it; empty when the deadline passed first (the caller says what timing
     * out means). Looks at least once; the last sleep ends just after the deadline, so the last look is at the deadline.
     */
    public <T> Optional<T> until(Look<T> look) {
        Instant start = clock.instant();
        Instant deadline = start.plus(timeout);
        while (true) {
            Optional<T> value = look.look(Duration.between(start, clock.instant()));
            if (value.isPresent()) {
                return value;
            }
            Instant now = clock.instant();
            if (now.isAfter(deadline)) {
                return Optional.empty();
            }
            Duration left = Duration.between(now, deadline).plusMillis(1);
            sleep(left.compareTo(interval) < 0 ? left : interval, onInterrupt);
        }
    }

    /** Sleeps; an interrupt keeps the thread's flag and throws what {@code onInterrupt} makes. */
    public static void sleep(Duration duration, Supplier<? extends RuntimeException> onInterrupt) {
        try {
            Thread.sleep(Math.max(0, duration.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw onInterrupt.get();
        }
    }

    /**
     * Exponential back-off with jitter before retry {@code attempt} (1 = the first retry): {@code base} doubled per attempt
     * up to {@code max}, of which a random half, so that writers who collided do not collide again in step.
     */
    public static Duration backOff(int attempt, Duration base, Duration max) {
        long ceiling = Math.min(base.toMillis() << Math.min(attempt - 1, 6), max.toMillis());
        return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }
}
