package io.swarmcanary.operations;

import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.TlsRequest;
import io.swarmcanary.release.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** edge ensure: the Envoy service (and an xds edge's control plane) as these settings say, keeping its route table. */
public final class EdgeEnsureOperation {
    private final Operations ops;

    EdgeEnsureOperation(Operations ops) {
        this.ops = ops;
    }

    /**
     * @param template   the user's own bootstrap, when given
     * @param checkImage whether the images must exist in a registry or on the node
     * @param warnings   said about the input before (what a compose file asks that the edge does not honour)
     * @param tls        certificates to add or remove and HTTPS options; {@link TlsRequest#KEEP} keeps the edge's
     */
    public record Request(EdgeSettings settings, Optional<String> template, boolean checkImage, List<String> warnings,
                          TlsRequest tls) {
        public Request(EdgeSettings settings, Optional<String> template, boolean checkImage, List<String> warnings) {
            this(settings, template, checkImage, warnings, TlsRequest.KEEP);
        }
    }

    /** What ensure would do: every check done, the config rendered and validated, nothing created. */
    public EdgeEnsurePlan plan(Request request, Progress progress) {
        EdgeManager.EnsurePlan p = ops.edges().planEnsure(request.settings(), request.template(), request.tls(), request.checkImage(),
                progress);
        EdgeSettings s = p.settings();
        return new EdgeEnsurePlan(s.name(), true, p.outcome(), s.delivery(), s.image(), s.port(), s.networks(),
                p.networksToCreate(), s.templateConfig(), p.createsTemplate(), p.controlPlane(), p.plan().revision(),
                p.current().map(e -> e.service().labels().get(EdgeManager.REVISION)).orElse(null), p.config(),
                EdgeManager.weightsByVersion(p.plan()), concat(p.plan().warnings(), request.warnings()),
                s.usesXds() ? s.xds().image() : null,
                EdgeEnsureResult.Https.of(s.https()), p.tlsSecrets().stream().map(EdgeManager.TlsSecret::name).toList());
    }

    /** Creates or updates the edge; returns once the live Envoys serve its config. */
    public EdgeEnsureResult apply(Request request, Progress progress) {
        EdgeManager.Result r = ops.edges().ensure(request.settings(), request.template(), request.tls(), request.checkImage(),
                progress);
        java.util.Optional<EdgeSettings> settings = ops.edges().read(r.edge()).map(EdgeManager.EdgeState::settings);
        boolean xds = settings.filter(EdgeSettings::usesXds).isPresent();
        return new EdgeEnsureResult(r.edge(), r.outcome(), r.revision(), r.config(), r.weights(),
                concat(r.warnings(), request.warnings()), r.seconds(), request.settings().port(), xds,
                settings.map(EdgeSettings::forcesCanary).orElse(false), EdgeEnsureResult.Https.of(settings.map(EdgeSettings::https).orElse(null)));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
