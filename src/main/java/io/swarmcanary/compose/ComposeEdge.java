package io.swarmcanary.compose;

import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.TlsCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The edge as the team's own Envoy stack file describes it ({@code edge ensure --compose}): image, networks,
 * placement constraints, global mode, the published ports, HTTPS certificates. The config is always the generated one;
 * what the file says beyond these is in {@link #warnings()}.
 *
 * @param image   null when the file has none
 * @param port    the published HTTP port, null when the file publishes none
 * @param tlsPort the published HTTPS port (target {@value EdgeSettings#TLS_LISTENER_PORT}), null when the file has none
 * @param tls     the certificates of {@value #TLS_KEY}: each domain's certificate and key files, from top-level secrets
 */
public record ComposeEdge(String service, String image, Integer port, List<String> networks, List<String> constraints,
                          List<String> warnings, Integer tlsPort, List<TlsCertificates.Spec> tls) {
    /**
     * The service's extension naming each domain's certificate and key, as top-level secrets with a {@code file:}:
     * {@code x-swarm-canary-tls: {shop.example.com: {certificate: shop_crt, key: shop_key}}}.
     */
    public static final String TLS_KEY = "x-swarm-canary-tls";

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
        Integer tlsPort = null;
        for (ComposeFile.Value p : s.get("ports").map(ComposeFile.Value::items).orElse(List.of())) {
            Values.Port parsed = Values.port(p);
            p.use();
            if (parsed.target() == EdgeSettings.TLS_LISTENER_PORT && parsed.published() != null && tlsPort == null) {
                tlsPort = parsed.published(); // the HTTPS listener's port
                if (!"host".equals(parsed.mode())) {
                    warnings.add(p.where() + ": mode " + parsed.mode() + " not honoured: the edge publishes in host mode");
                }
                continue;
            }
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
        List<TlsCertificates.Spec> tls = tls(file, s);
        if (tls.isEmpty() && tlsPort != null) {
            warnings.add("services." + name + ".ports: HTTPS port " + tlsPort + " (target " + EdgeSettings.TLS_LISTENER_PORT
                    + ") is published only once a certificate is given (" + TLS_KEY + " or --tls)");
        }
        warnings.addAll(0, ComposeRelease.unhonoured(s, "edge"));
        return new ComposeEdge(name, image, port, networks, constraints, List.copyOf(warnings), tlsPort, tls);
    }

    /** {@value #TLS_KEY}: domain to {certificate, key}, each a top-level secret read from its file. */
    private static List<TlsCertificates.Spec> tls(ComposeFile file, ComposeFile.Value service) {
        Optional<ComposeFile.Value> section = service.get(TLS_KEY);
        if (section.isEmpty()) {
            return List.of();
        }
        if (!section.get().isMap()) {
            throw section.get().error("expected a mapping of domain to {certificate: SECRET, key: SECRET}, e.g."
                    + " shop.example.com: {certificate: shop_crt, key: shop_key}");
        }
        List<TlsCertificates.Spec> specs = new ArrayList<>();
        section.get().entries().forEach((domain, pair) -> {
            if (!pair.isMap() || !pair.entries().keySet().equals(java.util.Set.of("certificate", "key"))) {
                throw pair.error("expected {certificate: SECRET, key: SECRET}: the names of two top-level secrets with 'file:'");
            }
            specs.add(new TlsCertificates.Spec(TlsCertificates.domain(domain), secretFile(file, pair.get("certificate").get()),
                    secretFile(file, pair.get("key").get())));
        });
        return List.copyOf(specs);
    }

    /** The file of a top-level secret: the CLI reads the certificate itself and stores it under its own name. */
    private static Path secretFile(ComposeFile file, ComposeFile.Value ref) {
        String name = ref.text();
        ComposeFile.Value top = ComposeRelease.topLevel(file, "secrets", name, ref);
        ComposeFile.Value f = top.get("file").orElseThrow(() -> top.error("a certificate or key for the edge needs 'file:'"
                + " (swarm-canary reads and checks it, then keeps it as a Swarm secret named by its content)"));
        Path path = file.directory().resolve(f.text()).normalize();
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw f.error("file " + path + " does not exist or is not readable");
        }
        return path;
    }
}
