package io.swarmcanary.analysis;

import io.swarmcanary.release.Progress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
        long end = System.nanoTime() + window.toNanos();
        long total = Math.max(1, window.toSeconds());
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                progress.done();
                return;
            }
            long elapsed = total - (long) Math.ceil(left / 1e9);
            progress.waiting(what + ": " + elapsed + "s of " + total + "s");
            try {
                Thread.sleep(Math.min(1000, left / 1_000_000 + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the analysis window");
            }
        }
    }
}
