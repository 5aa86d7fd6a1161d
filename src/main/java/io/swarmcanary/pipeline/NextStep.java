package io.swarmcanary.pipeline;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Names;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a pipeline releasing one version of a track does next, decided from one read of the cluster: is this version the
 * track's canary, at what weight, and which gates, shifts and promote remain. The pipeline only carries the plan out
 * (Jenkins' input, lock, timeout); a re-run after a dead build asks again and resumes where the cluster is.
 */
public final class NextStep {
    /** The pipeline's actions, in the words of the steps that carry them out. */
    public static final String DEPLOY = "deploy";
    public static final String GATE = "gate";
    public static final String SHIFT = "shift";
    public static final String PROMOTE = "promote";
    public static final String DONE = "done";
    public static final String UNROUTED = "unrouted";

    private NextStep() {}

    /** One thing to do; {@code weight} is the canary's share it is about (the gate's current one, the shift's target). */
    public record Action(String action, Integer weight, String reason) {}

    /**
     * @param service             the release's service name, as deploy names it
     * @param canaryIsThisVersion the track's canary (claimed, maybe not created yet) is this version's release
     * @param deployed            this version's service exists and no rollback retired it
     * @param weight              this version's share of the track now (0 when it has none)
     * @param weights             every live release's share, by version
     * @param next                the first of {@code actions}
     * @param actions             everything left to do, in order, ending in promote or done
     */
    public record Decision(String track, String app, String env, String version, String service, String edge,
                           String phase, String stable, String canary, String previous, boolean canaryIsThisVersion,
                           boolean deployed, int weight, Map<String, Integer> weights, List<Integer> steps, boolean gates,
                           Action next, List<Action> actions) {}

    /** The canary's weights step by step: each 1-100, rising. */
    public static List<Integer> steps(List<Integer> steps) {
        if (steps == null || steps.isEmpty()) {
            throw new UserInputException("--steps needs at least one weight, e.g. --steps 5,25,50,100");
        }
        for (int i = 0; i < steps.size(); i++) {
            int w = steps.get(i);
            if (w < 1 || w > 100) {
                throw new UserInputException("--steps: every weight is a percentage 1-100; was " + w + " in " + steps);
            }
            if (i > 0 && w <= steps.get(i - 1)) {
                throw new UserInputException("--steps must rise step by step, e.g. 5,25,50,100; was " + steps);
            }
        }
        return List.copyOf(steps);
    }

    /**
     * @param edgeExists   whether the edge service exists at all
     * @param entry        the track's route table entry; null when the edge has none
     * @param releases     the track's releases routed by this edge, oldest first
     * @param unrouted     why the edge leaves the track out of its config (a domain another track has...); null when routed
     */
    public static Decision decide(Track track, String version, List<Integer> steps, boolean gates, String edge,
                                  boolean edgeExists, RouteTable.TrackEntry entry, List<ServiceInfo> releases, String unrouted) {
        String service = Names.serviceName(track, version);
        List<Integer> rising = steps(steps);
        List<ServiceInfo> live = Lifecycle.live(entry, releases);
        Lifecycle.Phase phase = Lifecycle.phase(entry, releases);
        Map<String, Integer> byService = live.isEmpty() ? Map.of() : EdgeManager.effectiveWeights(live, entry);
        Map<String, Integer> weights = new LinkedHashMap<>();
        byService.forEach((s, w) -> weights.put(Lifecycle.versionOf(live, s), w));
        boolean deployed = live.stream().anyMatch(r -> r.name().equals(service));
        boolean mine = service.equals(phase.canary());
        int weight = byService.getOrDefault(service, 0);

        List<Action> actions = new ArrayList<>();
        if (!deployed) {
            actions.add(new Action(DEPLOY, null, mine ? "the canary slot is claimed for " + service + " but its deploy did not finish"
                    : service + " is not deployed" + (phase.canary() == null ? "" : "; the track's canary is " + phase.canary())));
        } else if (!edgeExists) {
            actions.add(new Action(UNROUTED, null, "edge " + edge + " does not exist"));
        } else if (unrouted != null) {
            actions.add(new Action(UNROUTED, null, unrouted));
        } else if (live.size() == 1) {
            actions.add(new Action(DONE, weight, "the first release of " + track.name() + " takes all traffic: no canary to approve"));
        } else if (mine) {
            // a re-run finds the canary where an earlier build left it: its gate there comes first
            if (gates && weight > 0) {
                actions.add(new Action(GATE, weight, "the canary is at " + weight + "%"));
            }
            for (int step : rising) {
                if (step > weight) {
                    actions.add(new Action(SHIFT, step, null));
                    if (gates) {
                        actions.add(new Action(GATE, step, null));
                    }
                }
            }
            actions.add(new Action(PROMOTE, 100, null));
        } else if (service.equals(phase.stable()) && phase.previous() != null) {
            // promoted already (a re-run after the promote): promoting again converges and changes nothing
            actions.add(new Action(PROMOTE, 100, service + " is promoted; " + phase.previous() + " is kept for rollback"));
        } else if (service.equals(phase.stable())) {
            actions.add(new Action(DONE, weight, service + " is the stable release of " + track.name()));
        } else {
            actions.add(new Action(DEPLOY, null, service + " runs but is neither the canary nor the stable release of "
                    + track.name() + " (phase " + phase.describe() + ")"));
        }
        return new Decision(track.name(), track.app(), track.env(), version, service, edge, phase.describe(), phase.stable(),
                phase.canary(), phase.previous(), mine, deployed, weight, weights, rising, gates, actions.get(0), List.copyOf(actions));
    }
}
