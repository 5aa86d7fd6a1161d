package io.swarmcanary.prune;

import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.InUseException;
import io.swarmcanary.swarm.NotFoundException;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.wait.Wait;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies a plan. Right before each removal it reads the services again and asks the planner whether the object is
 * still removable: one that became referenced (a deploy reused a secret, an update made it a rollback target) is
 * skipped, not forced. Docker's own refusals (the gateway's in use and not found) are skips too, never failures.
 */
public final class PruneExecutor {
    private final SwarmGateway swarm;
    private final PrunePlanner planner;
    private final Clock clock;
    private final Duration inUseRetry;

    public PruneExecutor(SwarmGateway swarm, PrunePlanner planner, Clock clock) {
        this(swarm, planner, clock, Duration.ofSeconds(30));
    }

    /** @param inUseRetry how long to retry an object Docker calls in use although no spec mounts it */
    PruneExecutor(SwarmGateway swarm, PrunePlanner planner, Clock clock, Duration inUseRetry) {
        this.swarm = swarm;
        this.planner = planner;
        this.clock = clock;
        this.inUseRetry = inUseRetry;
    }

    public record Skipped(PrunePlan.Item item, String reason) {}

    public record Failed(PrunePlan.Item item, String error) {}

    public record Result(List<PrunePlan.Item> removed, List<Skipped> skipped, List<Failed> failed, List<NodeCleanup.NodeReport> nodes,
                         long reclaimedBytes) {}

    /** @param nodeCleanup how to clean the nodes when the plan asks for it; empty to skip that part */
    public Result apply(PrunePlan plan, ClusterState planned, Optional<NodeCleanupRun> nodeCleanup, Progress progress) {
        List<PrunePlan.Item> removed = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<Failed> failed = new ArrayList<>();
        int done = 0;
        for (PrunePlan.Item item : plan.remove()) {
            progress.waiting("pruning: " + done++ + "/" + plan.remove().size() + " (" + item.kind() + " " + item.name() + ")");
            try {
                Optional<String> keepNow = recheck(plan, planned, item);
                if (keepNow.isPresent()) {
                    skipped.add(new Skipped(item, keepNow.get()));
                    continue;
                }
                Optional<String> refused = remove(plan, planned, item);
                if (refused.isPresent()) {
                    skipped.add(new Skipped(item, refused.get()));
                } else {
                    removed.add(item);
                }
            } catch (RuntimeException e) {
                failed.add(new Failed(item, String.valueOf(e.getMessage())));
            }
        }
        progress.done();
        long reclaimed = removed.stream().mapToLong(i -> i.bytes() == null ? 0 : i.bytes()).sum();
        List<NodeCleanup.NodeReport> nodes = List.of();
        if (nodeCleanup.isPresent() && plan.policy().images()) {
            List<String> removedReleases = removed.stream().filter(i -> i.kind().equals(PrunePlan.RELEASE)).map(PrunePlan.Item::id).toList();
            List<String> images = imagesStillFree(plan);
            nodes = nodeCleanup.get().run(images, plan.containerTracks(), removedReleases, plan.policy(), progress);
            reclaimed += nodes.stream().mapToLong(NodeCleanup.NodeReport::reclaimedBytes).sum();
        }
        return new Result(removed, skipped, failed, nodes, reclaimed);
    }

    /** Empty when the item is still removable on a fresh read; else why it is kept now. */
    private Optional<String> recheck(PrunePlan plan, ClusterState planned, PrunePlan.Item item) {
        ClusterState fresh = planned.withServices(swarm.serviceReferences(), clock.instant());
        // releases first: by the time secrets are re-checked, the releases removed are gone and those skipped still count
        PrunePlan now = planner.plan(fresh, plan.policy(), item.kind().equals(PrunePlan.RELEASE));
        if (now.removes(item)) {
            return Optional.empty();
        }
        if (item.kind().equals(PrunePlan.RELEASE) && fresh.services().stream().noneMatch(s -> s.id().equals(item.id()))) {
            return Optional.of("already gone");
        }
        return Optional.of("kept after all: " + now.kept(item).map(PrunePlan.Item::reason).orElse("changed since the plan"));
    }

    /** Removes one object; empty when done, else why Docker refused it. */
    private Optional<String> remove(PrunePlan plan, ClusterState planned, PrunePlan.Item item) {
        String[] inUse = {""}; // Docker's last refusal
        // a look's value is the outcome: empty Optional when removed, else why not
        return Wait.upTo(inUseRetry, clock).every(Duration.ofMillis(Math.min(1000, inUseRetry.toMillis())))
                .onInterrupt(() -> new IllegalStateException("interrupted"))
                .until(elapsed -> {
                    try {
                        switch (item.kind()) {
                            case PrunePlan.RELEASE -> swarm.removeService(item.id());
                            case PrunePlan.SECRET -> swarm.removeSecret(item.id());
                            default -> swarm.removeConfig(item.id());
                        }
                        return Optional.of(Optional.<String>empty());
                    } catch (NotFoundException gone) {
                        return Optional.of(Optional.of("already gone"));
                    } catch (InUseException e) {
                        // no spec mounts it (checked just now), yet Docker says in use: the tasks of a release removed a
                        // moment ago are still stopping. Anything else is a reference that appeared since: skip it.
                        Optional<String> keepNow = recheck(plan, planned, item);
                        inUse[0] = String.valueOf(e.getMessage());
                        return keepNow.isPresent() ? Optional.of(keepNow) : Optional.<Optional<String>>empty();
                    }
                }).orElseGet(() -> Optional.of("Docker says it is in use: " + inUse[0]));
    }

    /** The planned images that no service runs now (a release that was skipped after all still holds its image). */
    private List<String> imagesStillFree(PrunePlan plan) {
        if (plan.images().isEmpty()) {
            return List.of();
        }
        java.util.Set<String> inUse = new java.util.HashSet<>();
        swarm.serviceReferences().forEach(s -> {
            inUse.add(PrunePlanner.withoutDigest(String.valueOf(s.current().image())));
            if (s.previous() != null) {
                inUse.add(PrunePlanner.withoutDigest(String.valueOf(s.previous().image())));
            }
        });
        return plan.images().stream().filter(i -> !inUse.contains(PrunePlanner.withoutDigest(i))).toList();
    }

    /** The node clean-up with its settings bound (image, timeout), so the executor only hands it the work. */
    @FunctionalInterface
    public interface NodeCleanupRun {
        List<NodeCleanup.NodeReport> run(List<String> images, List<String> tracks, List<String> removedServiceIds,
                                         PrunePolicy policy, Progress progress);
    }
}
