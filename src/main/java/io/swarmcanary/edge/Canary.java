package io.swarmcanary.edge;

import io.swarmcanary.ConflictException;
import io.swarmcanary.release.DeployResult;
import io.swarmcanary.release.Deployer;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the lifecycle steps against the cluster: every step is one route table change on the edge plus the
 * cluster work around it, ordered so that a run killed at any point is finished by running it again.
 */
public final class Canary {
    private final SwarmGateway swarm;
    private final EdgeManager edges;
    private final String edge;

    public Canary(SwarmGateway swarm, EdgeManager edges, String edge) {
        this.swarm = swarm;
        this.edges = edges;
        this.edge = edge;
    }

    /**
     * @param claimed whether the deploy claimed the track's canary slot on the edge for the release
     * @param routing what the edge does with the release, in words; edgeResult is empty when no edge routes it
     * @param removed the releases the claim retired (a canary replaced with --replace-canary)
     */
    public record Deployed(DeployResult release, boolean claimed, String routing, Optional<EdgeManager.Result> edgeResult,
                           List<String> removed) {}

    /**
     * A deploy checked against the edge and the cluster, nothing changed yet.
     *
     * @param request the deploy as asked (the release as created is {@code release.request()}: attached to the edge's network)
     */
    public record DeployPlan(ReleaseRequest request, Preflight checked, Deployer.Plan release) {
        /** The edge will route the release: the deploy claims the track's canary slot before it creates anything. */
        public boolean claims() {
            return checked.routed();
        }
    }

    /** What a promote or rollback did. */
    public record Step(String track, String outcome, Lifecycle.Phase phase, Map<String, Integer> weights, List<String> removed,
                       EdgeManager.Result edge) {}

    /**
     * Deploys a release of a track. With an edge, the release is first recorded as the track's canary (so a
     * second deploy of the track fails before it creates anything), then created, then routed: the first
     * release takes 100%, a later one waits at weight 0.
     */
    public Deployed deploy(ReleaseRequest request, Deployer deployer, boolean replaceCanary, Progress progress) {
        return deploy(plan(request, deployer, progress), deployer, replaceCanary, progress);
    }

    /** Every check of a deploy, the edge's and the release's, from reads only. */
    public DeployPlan plan(ReleaseRequest request, Deployer deployer, Progress progress) {
        Preflight checked = preflight(request);
        return new DeployPlan(request, checked, deployer.plan(checked.toDeploy(), progress));
    }

    /** Applies a plan: the claim it says first, then the release; a release that could not be created frees the claim. */
    public Deployed deploy(DeployPlan plan, Deployer deployer, boolean replaceCanary, Progress progress) {
        ReleaseRequest request = plan.request();
        Track track = request.track();
        String service = request.serviceName();
        Optional<EdgeManager.EdgeState> state = plan.checked().state();
        List<String> removed = List.of();
        DeployResult result;
        if (plan.claims()) {
            claim(track, service, request.version(), replaceCanary, progress);
            try {
                removed = removeRetiring(track, progress);
                // right after the release exists: another team's deploy may have given one of its hosts to its track
                result = deployer.apply(plan.release(), progress, () -> edges.requireDomainsFirst(edge, track.name(),
                        request.domains(), "Release " + service + " and the secrets and configs this deploy created are"
                                + " removed again, and its canary slot on the edge freed."));
            } catch (RuntimeException failure) {
                if (swarm.service(service).isEmpty()) {
                    freeClaim(track, service, progress).ifPresent(why -> failure.addSuppressed(new IllegalStateException(why)));
                }
                throw failure;
            }
        } else {
            result = deployer.apply(plan.release(), progress);
        }
        boolean claimed = plan.claims();
        if (state.isEmpty()) {
            String routing = "edge '" + edge + "' does not exist yet: nothing routes to " + service
                    + " (create it with 'swarm-canary edge ensure --edge " + edge + "')";
            progress.info("note: " + routing);
            return new Deployed(result, claimed, routing, Optional.empty(), removed);
        }
        if (request.domains().isEmpty()) {
            return new Deployed(result, claimed, "no --domain: edge '" + edge + "' does not route to " + service, Optional.empty(),
                    removed);
        }
        // not TrackChange.of: the claim checked the track's name before the release was created
        EdgeManager.Result r = edges.updateTrack(edge, track.name(),
                (current, releases) -> Lifecycle.afterDeploy(service, current, releases), progress);
        // done means Envoy has found its tasks (its own membership_healthy gauge), whether or not the edge forces canaries
        edges.awaitHealthyHosts(edge, List.of(service), EdgeManager.HostCheck.WARN, progress);
        Map<String, Integer> weights = r.weights().getOrDefault(track.name(), Map.of());
        String routing = "edge " + r.edge() + " routes " + track.name() + ": " + weights
                + (weights.getOrDefault(request.version(), 0) == 0 && weights.size() > 1
                        ? "; the canary gets no traffic until you shift (or, on an edge with --force-canary on, requests with"
                                + " the header '" + io.swarmcanary.envoy.EnvoyConfigRenderer.TOKEN_HEADER + "' from 'swarm-canary"
                                + " canary-token')" : "");
        return new Deployed(result, claimed, routing, Optional.of(r), removed);
    }

    /**
     * The checks of a deploy that need the edge, from one read of it; nothing is created.
     *
     * @param routed   whether the edge will route the release (it exists and the release has domains)
     * @param toDeploy the request, attached to the edge's first network when it shares none with it
     */
    public record Preflight(Optional<EdgeManager.EdgeState> state, boolean routed, ReleaseRequest toDeploy, ServiceInfo release) {}

    public Preflight preflight(ReleaseRequest request) {
        Track track = request.track();
        String service = request.serviceName();
        // every release under this track name, on any edge or none: another app's would be moved and removed with it
        Map<String, String> sameName = new java.util.TreeMap<>(Labels.allReleases());
        sameName.put(Labels.TRACK, track.name());
        EdgeManager.requireOwnReleases(track, swarm.services(sameName), "Nothing was created.");
        Optional<EdgeManager.EdgeState> state = edges.read(edge);
        boolean routed = state.isPresent() && !request.domains().isEmpty();
        ReleaseRequest toDeploy = request;
        ServiceInfo release = new ServiceInfo("", service, 0, Deployer.serviceLabels(request), request.image(),
                request.replicas(), List.of(), request.networks(), Instant.now().toString());
        if (state.isPresent()) {
            edges.requireDomainsFree(edge, track.name(), request.domains()); // before anything is created
            if (routed) {
                // the whole edge as it would be with this release, rendered and validated before anything is created
                edges.requireRoutable(edge, track.name(), release);
            }
            if (state.get().settings().networks().stream().noneMatch(request.networks()::contains)) {
                // Envoy resolves tasks.<release> only on a network it shares with the release
                toDeploy = request.withNetwork(state.get().settings().networks().get(0));
            }
        }
        return new Preflight(state, routed, toDeploy, release);
    }

    public Step promote(Track track, Progress progress) {
        EdgeManager.Result r = edges.updateTrack(edge, track.name(), EdgeManager.TrackChange.of(track,
                (current, releases) -> Lifecycle.promote(track, current, releases)), progress);
        return step(track, r, List.of());
    }

    /** Stable back to 100%, then the retired release's service removed (its secrets stay for prune). */
    public Step rollback(Track track, Progress progress) {
        // the way back is never held up for long: a missing stable task is warned about, not waited for
        EdgeManager.Result r = edges.updateTrack(edge, track.name(), EdgeManager.TrackChange.of(track,
                (current, releases) -> Lifecycle.rollback(track, current, releases)), EdgeManager.HostCheck.WARN, progress);
        List<String> removed = removeRetiring(track, progress);
        if (!removed.isEmpty() && edges.require(edge).settings().usesXds()) {
            // the removed releases' clusters leave the edge only now that no route names them (make before break);
            // a redeploy edge swaps its whole config at once, so there the next write drops them without a restart now
            r = edges.updateTrack(edge, track.name(), (current, releases) -> current, EdgeManager.HostCheck.WARN, progress);
        }
        return step(track, r, removed);
    }

    public Lifecycle.Phase phase(Track track) {
        EdgeManager.EdgeState state = edges.require(edge);
        return Lifecycle.phase(state.routes().tracks().get(track.name()),
                edges.releasesByTrack(edge).getOrDefault(track.name(), List.of()));
    }

    private Step step(Track track, EdgeManager.Result r, List<String> removed) {
        return new Step(track.name(), r.outcome(), phase(track), r.weights().getOrDefault(track.name(), Map.of()), removed, r);
    }

    private void claim(Track track, String service, String version, boolean replaceCanary, Progress progress) {
        EdgeManager.TrackChange change = EdgeManager.TrackChange.of(track, (current, releases) ->
                Lifecycle.claim(track, service, version, current, releases, replaceCanary));
        try {
            edges.updateTrack(edge, track.name(), change, progress);
        } catch (ConflictException raced) {
            // someone changed the edge between our read and write: decide again on what they wrote
            progress.info("the edge changed meanwhile; reading it again");
            edges.updateTrack(edge, track.name(), change, progress);
        }
    }

    /** @return why the slot could not be freed, to report with the deploy's own failure */
    private Optional<String> freeClaim(Track track, String service, Progress progress) {
        try {
            edges.updateTrack(edge, track.name(), (current, releases) -> Lifecycle.releaseClaim(service, current), progress);
            return Optional.empty();
        } catch (RuntimeException e) {
            String why = "could not free the canary slot of " + service + " on edge " + edge + " (" + e.getMessage()
                    + "); 'swarm-canary rollback --app " + track.app() + " --env " + track.env() + "' frees it";
            progress.info(why);
            return Optional.of(why);
        }
    }

    /** Removes the services a rollback or a replaced canary left in the route table's retiring list. */
    private List<String> removeRetiring(Track track, Progress progress) {
        List<String> removed = new ArrayList<>();
        for (ServiceInfo s : retiring(track, edges.require(edge).routes().tracks().get(track.name()))) {
            progress.info("removing release " + s.name() + " (its secrets stay until 'swarm-canary prune')");
            swarm.removeService(s.id());
            removed.add(s.name());
        }
        return removed;
    }

    /** The services of this track that an entry's retiring list names and that still exist: what a step removes. */
    public List<ServiceInfo> retiring(Track track, RouteTable.TrackEntry entry) {
        List<ServiceInfo> found = new ArrayList<>();
        if (entry == null) {
            return found;
        }
        for (String service : entry.retiring()) {
            swarm.service(service).filter(s -> Labels.MANAGER.equals(s.labels().get(Labels.MANAGED_BY))
                    && track.name().equals(s.labels().get(Labels.TRACK))).ifPresent(found::add);
        }
        return found;
    }
}
