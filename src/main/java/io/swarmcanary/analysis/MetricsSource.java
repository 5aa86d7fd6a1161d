package io.swarmcanary.analysis;

import io.swarmcanary.release.Progress;
import io.swarmcanary.wait.Wait;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where the analysis reads what happened to each release during a window that starts now. */
public interface MetricsSource {
    /**
     * Waits {@code window} (showing progress) and returns what each of {@code clusters} counted during it.
     *
     * @param warnings what the caller should know about the numbers (an Envoy restarted in the window, ...)
     */
    Window measure(List<String> clusters, Duration window, Progress progress);

    /** @param readers how many Envoy tasks (or Prometheus) the numbers come from */
    record Window(Map<String, ReleaseCounters> clusters, int readers, List<String> warnings) {}

    /** Waits out the window with a progress line every second; returns the time actually waited. */
    static void await(Duration window, String what, Progress progress) {
        long total = Math.max(1, window.toSeconds());
        Wait.upTo(window, java.time.Clock.systemUTC()).every(Duration.ofSeconds(1))
                .onInterrupt(() -> new IllegalStateException("interrupted during the analysis window"))
                .until(elapsed -> {
                    if (elapsed.compareTo(window) >= 0) {
                        return Optional.of(true);
                    }
                    progress.waiting(what + ": " + elapsed.toSeconds() + "s of " + total + "s");
                    return Optional.<Boolean>empty();
                });
        progress.done();
    }
}
