package io.swarmcanary.compose;

import io.swarmcanary.edge.EdgeSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The edge as the team's own Envoy stack file describes it ({@code edge ensure --compose}): image, networks,
 * placement constraints, global mode, the published port. The config is always the generated one; what the
 * file says beyond these is in {@link #warnings()}.
 *
 * @param image null when the file has none
 * @param port  the published port, null when the file publishes none
 */
public record ComposeEdge(String service, String image, Integer port, List<String> networks, List<String> constraints,
                          List<String> warnings) {

    /** @param service null: the service named like the edge, or the file's only service */
    public static ComposeEdge of(Path composeFile, String service, String edge, String stack, Map<String, String> environment) {
        ComposeFile file = ComposeFile.load(composeFile, environment);
        String name = service != null ? service : ComposeDeploy.defaultService(file, edge);
        ComposeFile.Value s = file.service(name);
        List<String> warnings = new ArrayList<>();

        String image = s.get("image").map(ComposeFile.Value::text).orElse(null);
        List<String> networks = ComposeRelease.networks(file, s, stack);
        List<String> constraints = List.of();
        Optional<ComposeFile.Value> deploy = s.get("deploy");
        if (deploy.isPresent()) {
            deploy.get().get("mode").ifPresent(m -> {
                if (!"global".equals(m.text())) {
                    warnings.add(m.where() + ": " + m.text() + " not honoured: the edge runs global, one Envoy per eligible node");
                }
            });
            deploy.get().get("replicas").ifPresent(r -> {
                r.use();
                warnings.add(r.where() + ": not honoured: the edge runs global, one Envoy per eligible node");
            });
            constraints = deploy.get().get("placement").flatMap(p -> p.get("constraints"))
                    .map(ComposeFile.Value::strings).orElse(List.of());
        }
        Integer port = null;
        for (ComposeFile.Value p : s.get("ports").map(ComposeFile.Value::items).orElse(List.of())) {
            Values.Port parsed = Values.port(p);
            p.use();
            if (port != null || parsed.published() == null) {
                warnings.add(p.where() + ": not honoured: the edge publishes one port (--port), "
                        + (port != null ? "the first one, " + port : "and this entry publishes none"));
                continue;
            }
            port = parsed.published();
            if (parsed.target() != EdgeSettings.LISTENER_PORT) {
                warnings.add(p.where() + ": target " + parsed.target() + " not honoured: the generated config listens on "
                        + EdgeSettings.LISTENER_PORT + ", so " + port + " is published to " + EdgeSettings.LISTENER_PORT);
            }
            if (!"host".equals(parsed.mode())) {
                warnings.add(p.where() + ": mode " + parsed.mode() + " not honoured: the edge publishes in host mode"
                        + " (the ingress routing mesh needs IPVS, and Envoy should see client addresses)");
            }
        }
        s.get("configs").ifPresent(c -> {
            c.use();
            warnings.add(c.where() + ": not honoured: the edge runs the generated config at /etc/envoy/envoy.yaml;"
                    + " to start from your own bootstrap, pass it as --template FILE");
        });
        for (String key : List.of("command", "entrypoint")) {
            s.get(key).ifPresent(c -> {
                c.use();
                warnings.add(c.where() + ": not honoured: Envoy runs with -c /etc/envoy/envoy.yaml --log-level warn");
            });
        }
        warnings.addAll(0, ComposeRelease.unhonoured(s, "edge"));
        return new ComposeEdge(name, image, port, networks, constraints, List.copyOf(warnings));
    }
}
