package io.swarmcanary.edge;

import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.wait.Wait;
import java.time.Duration;
import java.util.List;

/** How an edge's config reaches its Envoys, and how to see that every Envoy has it. */
sealed interface Delivery permits RedeployDelivery, XdsDelivery {
    /**
     * What a delivery sees of the live Envoys: in words, whether they serve the wanted revision, and why they
     * rejected it (null unless they did).
     *
     * @param refused               the control plane refuses the revision itself (not an Envoy's NACK): that control
     *                              plane will never serve it
     * @param refusedByOtherVersion the refusing control plane runs another version than this CLI (an ensure that
     *                              replaces it may be under way)
     */
    record Look(String seen, boolean served, String rejection, boolean refused, boolean refusedByOtherVersion) {
        public Look(String seen, boolean served, String rejection) {
            this(seen, served, rejection, false, false);
        }
    }

    /** What the live Envoys show of this revision: each of the {@code running} Envoy tasks must serve it. */
    default Look look(EdgeSettings settings, String revision, List<TaskInfo> running) {
        return look(settings, revision, running, routes -> false);
    }

    /**
     * As {@link #look(EdgeSettings, String, List)}; {@code rendersAs} says whether routes of another version are this
     * revision's labels as this CLI renders them from the cluster now (a release created or removed since the write
     * changes the routes, not the labels). Asked only of routes a control plane made from this revision's labels.
     */
    Look look(EdgeSettings settings, String revision, List<TaskInfo> running, java.util.function.Predicate<String> rendersAs);

    /** How often a wait for the live Envoys asks again. */
    long pollMillis();

    /**
     * Between two looks of a wait for the Envoys: returns when what they show may have changed, at most about a second
     * later and never after {@code left}; a delivery that cannot be told sleeps a poll interval.
     */
    default void awaitChange(EdgeSettings settings, List<TaskInfo> running, Duration left) {
        awaitPoll(left);
    }

    /** Sleeps {@link #pollMillis()}, never past {@code left}. */
    default void awaitPoll(Duration left) {
        pause(Duration.ofMillis(Math.min(pollMillis(), left.toMillis())));
    }

    /** Sleeps (not at all for a duration that is not positive); an interrupt ends the wait for the edge. */
    static void pause(Duration duration) {
        Wait.sleep(duration, EdgeManager::interrupted);
    }

    /** Whether every Envoy has the edge's revision, as this delivery can tell. */
    EdgeManager.DeliveryStatus status(EdgeManager.EdgeState state, List<TaskInfo> running);
}
