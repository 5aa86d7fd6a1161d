package io.swarmcanary.operations;

import io.swarmcanary.edge.Canary;
import io.swarmcanary.edge.Lifecycle;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.DeployResult;
import io.swarmcanary.release.Deployer;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** deploy: one release of a track as its own service, claimed as the track's canary on the edge first. */
public final class DeployOperation {
    private final Operations ops;

    DeployOperation(Operations ops) {
        this.ops = ops;
    }

    /**
     * What the deploy would do, from reads only: the release checked and resolved as it would be created, the claim on the
     * edge decided (a canary in flight is exit 3 here too) and the weights it would get. Nothing is created.
     *
     * @param warnings said about the input before (e.g. what a compose file asks that a release cannot honour)
     */
    public DeployPlan plan(ReleaseRequest request, Deployer deployer, boolean replaceCanary, List<String> warnings,
                           Progress progress) {
        Canary canary = ops.canary();
        Canary.DeployPlan planned = canary.plan(request, deployer, progress);
        Canary.Preflight checked = planned.checked();
        Deployer.Plan release = planned.release();
        Track track = request.track();
        String service = request.serviceName();
        String routing;
        Map<String, Integer> weights = Map.of();
        List<String> replaced = List.of();
        if (checked.state().isEmpty()) {
            routing = "edge '" + ops.edge() + "' does not exist yet: nothing would route to " + service
                    + " (create it with 'swarm-canary edge ensure --edge " + ops.edge() + "')";
        } else if (request.domains().isEmpty()) {
            routing = "no --domain: edge '" + ops.edge() + "' would not route to " + service;
        } else {
            List<ServiceInfo> releases = ops.edges().releasesByTrack(ops.edge()).getOrDefault(track.name(), List.of());
            RouteTable.TrackEntry current = checked.state().get().routes().tracks().get(track.name());
            RouteTable.TrackEntry claimed = Lifecycle.claim(track, service, request.version(), current, releases, replaceCanary);
            List<String> gone = canary.retiring(track, claimed).stream().map(ServiceInfo::name).toList();
            replaced = gone;
            // the track's releases once this one runs and the canary it replaces is removed
            List<ServiceInfo> after = new ArrayList<>(releases);
            if (after.stream().noneMatch(r -> r.name().equals(service))) {
                after.add(checked.release());
            }
            after.removeIf(r -> gone.contains(r.name()));
            weights = Operations.weightsByVersion(after, Lifecycle.afterDeploy(service, claimed, after));
            routing = "edge " + ops.edge() + " would route " + track.name() + ": " + weights
                    + (weights.getOrDefault(request.version(), 0) == 0 && weights.size() > 1
                            ? "; the canary would get no traffic until you shift (or, on an edge with --force-canary on,"
                                    + " requests with the header '" + io.swarmcanary.envoy.EnvoyConfigRenderer.TOKEN_HEADER
                                    + "' from 'swarm-canary canary-token')" : "");
        }
        List<String> allWarnings = new ArrayList<>(release.warnings());
        allWarnings.addAll(warnings);
        return new DeployPlan(service, track.name(), request.version(), ops.edge(), true,
                release.exists() ? "unchanged" : "create", release.image(), request.replicas(),
                checked.toDeploy().networks(), release.secrets(), release.configs(), release.defaultRouteNetwork(), routing,
                weights, replaced, allWarnings);
    }

    /** Deploys, waits for healthy tasks and for the edge to route the release. */
    public DeployReport apply(ReleaseRequest request, Deployer deployer, boolean replaceCanary, List<String> warnings,
                              Progress progress) {
        Canary.Deployed deployed = ops.canary().deploy(request, deployer, replaceCanary, progress);
        DeployResult result = deployed.release();
        List<String> allWarnings = new ArrayList<>(result.warnings());
        allWarnings.addAll(warnings);
        return new DeployReport(result.service(), result.track(), result.version(), result.outcome(), result.secretsCreated(),
                result.secretsReused(), result.defaultRouteNetwork(), allWarnings, result.seconds(), deployed.routing(),
                deployed.edgeResult().map(r -> r.weights().getOrDefault(result.track(), Map.of())).orElse(Map.of()),
                deployed.removed(), !request.networks().isEmpty());
    }
}
