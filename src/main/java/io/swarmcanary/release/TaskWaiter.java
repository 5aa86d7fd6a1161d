package io.swarmcanary.release;

import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.swarmcanary.wait.Wait;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Waits until every task of a service is RUNNING. A task with a HEALTHCHECK reaches RUNNING only once
 * healthy, so this is also the readiness gate. Fails fast when tasks keep failing or cannot be scheduled.
 */
public final class TaskWaiter {
    private static final Duration POLL = Duration.ofMillis(300);
    private static final Duration UNSCHEDULABLE_GRACE = Duration.ofSeconds(15);

    private final SwarmGateway swarm;
    private final Clock clock;
    private final int maxFailures;

    public TaskWaiter(SwarmGateway swarm, Clock clock, int maxFailures) {
        this.swarm = swarm;
        this.clock = clock;
        this.maxFailures = maxFailures;
    }

    /** Thrown when the service will not become ready; the message carries the task errors. */
    public static final class NotReadyException extends RuntimeException {
        public NotReadyException(String message) {
            super(message);
        }
    }

    public void awaitRunning(String service, int replicas, Duration timeout, Progress progress) {
        Instant[] unschedulableSince = {null};
        long[] lastRunning = {0};
        List<TaskInfo> lastFailed = new ArrayList<>();
        boolean ready = Wait.upTo(timeout, clock).every(POLL).onInterrupt(() -> new NotReadyException("interrupted while waiting"))
                .until(elapsed -> {
                    List<TaskInfo> tasks = swarm.tasks(service);
                    long running = tasks.stream().filter(t -> t.wanted() && t.running()).count();
                    // a task of a long-running service that completes has exited: as much a failure as a crash
                    List<TaskInfo> failed = tasks.stream().filter(t -> t.failed() || "complete".equals(t.state())).toList();
                    long starting = tasks.stream().filter(t -> t.wanted() && "starting".equals(t.state())).count();
                    progress.waiting(String.format("waiting for %s: %d/%d running, %d starting (health check), %d failed [%ds]",
                            service, running, replicas, starting, failed.size(), elapsed.toSeconds()));
                    if (running >= replicas) {
                        progress.done();
                        return Optional.of(true);
                    }
                    for (TaskInfo t : failed) {
                        // retrying cannot fix a missing image: say so at once instead of waiting for the timeout
                        if (t.imageMissing()) {
                            throw new NotReadyException(service + ": " + t.error() + " (on node " + t.nodeId() + ")");
                        }
                    }
                    if (failed.size() >= maxFailures) {
                        throw new NotReadyException(service + ": " + failed.size() + " tasks failed: " + errors(failed)
                                + healthCheck(failed));
                    }
                    boolean unschedulable = tasks.stream().anyMatch(TaskInfo::unschedulable);
                    if (unschedulable) {
                        unschedulableSince[0] = unschedulableSince[0] == null ? clock.instant() : unschedulableSince[0];
                        if (Duration.between(unschedulableSince[0], clock.instant()).compareTo(UNSCHEDULABLE_GRACE) > 0) {
                            throw new NotReadyException(service + ": tasks cannot be scheduled: " + errors(tasks.stream()
                                    .filter(t -> "pending".equals(t.state())).toList()));
                        }
                    } else {
                        unschedulableSince[0] = null;
                    }
                    lastRunning[0] = running;
                    lastFailed.clear();
                    lastFailed.addAll(failed);
                    return Optional.<Boolean>empty();
                }).isPresent();
        if (!ready) {
            throw new NotReadyException(service + ": not ready after " + timeout.toSeconds() + "s: " + lastRunning[0] + "/"
                    + replicas + " running" + (lastFailed.isEmpty() ? "" : "; task errors: " + errors(lastFailed)
                    + healthCheck(lastFailed)));
        }
    }

    /**
     * What the health check said, when it stopped tasks: Swarm's error says only "unhealthy container" (or, with some
     * networks, a secondary "network sandbox does not exist"), and the check's own output is what tells a user why.
     * The engine we talk to knows only its own containers; for a task elsewhere, say where to look.
     */
    private String healthCheck(List<TaskInfo> failed) {
        List<TaskInfo> latestFirst = new ArrayList<>(failed);
        Collections.reverse(latestFirst);
        // the latest task whose check the engine can show failing; else the latest Swarm says was unhealthy
        Optional<Map.Entry<TaskInfo, SwarmGateway.HealthCheckRun>> shown = latestFirst.stream()
                .flatMap(t -> swarm.lastHealthCheck(t.containerId()).filter(h -> h.exitCode() != 0).map(h -> Map.entry(t, h))
                        .stream())
                .findFirst();
        TaskInfo seen = shown.map(Map.Entry::getKey)
                .orElseGet(() -> latestFirst.stream().filter(TaskInfo::unhealthy).findFirst().orElse(null));
        Optional<SwarmGateway.HealthCheckRun> run = shown.map(Map.Entry::getValue);
        if (seen == null) {
            return "";
        }
        String output = run.map(h -> "; its last run exited " + h.exitCode() + (h.output().isEmpty() ? " with no output"
                        : ": " + h.output()))
                .orElse("; see its output with: docker inspect --format '{{json .State.Health}}' " + seen.containerId()
                        + " (on node " + seen.nodeId() + ")");
        return ". The health check stopped tasks as unhealthy" + output + ". If the app needs longer to start, give it"
                + " --health-start-period (with --health-cmd the default is " + ServiceDefinition.DEFAULT_HEALTH_START_PERIOD.toSeconds()
                + "s; a passing check ends it early); else check the health command";
    }

    static String errors(List<TaskInfo> tasks) {
        Set<String> distinct = new LinkedHashSet<>();
        for (TaskInfo t : tasks) {
            String why = t.error() != null && !t.error().isBlank() ? t.error()
                    : "complete".equals(t.state()) ? "the container exited with code 0 (or was stopped, e.g. by a failing health check)"
                    : t.message();
            distinct.add(t.state() + ": " + why);
        }
        return String.join("; ", distinct);
    }
}
