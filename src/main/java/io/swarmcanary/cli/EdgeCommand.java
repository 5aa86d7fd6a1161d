package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.compose.ComposeEdge;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.TlsCertificates;
import io.swarmcanary.edge.TlsRequest;
import io.swarmcanary.operations.EdgeEnsureOperation;
import io.swarmcanary.operations.EdgeEnsurePlan;
import io.swarmcanary.operations.EdgeEnsureResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "edge", description = "Manage the edge: the Envoy service in front of every track.",
        subcommands = {EdgeCommand.Ensure.class})
public final class EdgeCommand {
    @Mixin HelpOption help;

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Command(name = "ensure",
            description = {
                "Create or update the Envoy edge service: global mode (one Envoy per node), the listener",
                "published in host mode on --port, the admin interface on 127.0.0.1 inside the container only.",
                "The config is generated from the cluster (built-in edge defaults or --template), validated,",
                "stored as a content-addressed Swarm config, and verified on the live Envoy."},
            footer = {"", "Examples:",
                "  swarm-canary edge ensure                                  # edge 'envoy' on port 10000",
                "  swarm-canary edge ensure --edge envoy --port 10000 --image docker.io/envoyproxy/envoy:v1.34-latest \\",
                "      --network envoy-net --constraint node.role==worker",
                "  swarm-canary edge ensure --template envoy.yaml            # your bootstrap; its route_config",
                "                                                             # named swarm_canary gets the tracks",
                "  swarm-canary edge ensure --edge envoy --port 10000 --delivery xds \\",
                "      --control-plane-image registry.example.com/swarm-canary/cli:0.1.0",
                "                                                             # shifts without Envoy restarts",
                "  # from the team's own Envoy stack file: image, networks, placement constraints, the published port;",
                "  # the edge always runs global with the generated config (a configs: envoy.yaml is reported, not used)",
                "  swarm-canary edge ensure --compose envoy-compose.yml [--service envoy] [--template envoy.yaml]",
                "  # flags override the file (--image, --port); --network and --constraint add to the file's",
                "  swarm-canary edge ensure --delivery xds --dry-run          # what would be created or updated",
                "", "Delivery: 'xds' (default for a new edge) runs the control plane <edge>-xds (the swarm-canary image,",
                "--control-plane-image, on a manager) that pushes routes and weights to every Envoy over ADS with mutual",
                "TLS, without restarting Envoy; shift/promote/rollback return once every Envoy has ACKed the new version,",
                "which they read through the stats host (no control-plane port is published). 'redeploy' needs no control",
                "plane: it ships each new config as a Swarm config and restarts the Envoy tasks (requests in flight on a",
                "restarting Envoy can fail). Without --delivery an existing edge keeps its delivery.",
                "", "Forcing the canary is off unless --force-canary on: then a request with the header x-canary-token",
                "carrying 'swarm-canary canary-token --app A --env E' reaches that track's canary (cluster <release>--forced,",
                "never counted by analysis); any other request is routed by weight, and the header never reaches an app.",
                "", "Stats: the virtual host 'swarm-canary-stats' on --port serves the CLI's stats reads (and GET /stats/prometheus)",
                "only with a token signed by the cluster's edge key (made by the first ensure; a Swarm config only Docker API",
                "users can read), rate-limited; anything else gets 401 or 404 and nothing from Envoy's admin.",
                "", "HTTPS: --tls DOMAIN=CERT_FILE,KEY_FILE (repeatable, *.example.com allowed) serves each domain's own",
                "certificate by SNI on --tls-port (443), TLS 1.2 and up; plain HTTP then answers with a redirect to https",
                "(--no-https-redirect keeps serving it), HSTS only with --hsts MAX_AGE. Certificates are stored as Swarm secrets",
                "named <edge>-tls-crt|key-<keyed hash>; an ensure without --tls keeps them; rotate by giving --tls again with the",
                "new files; --tls-remove DOMAIN stops serving one; --tls-default DOMAIN answers clients without SNI with that",
                "domain's certificate (none by default: no handshake). With --delivery xds the control plane holds them and",
                "serves them to Envoy over SDS: a rotation restarts no Envoy and keeps every open connection (new handshakes",
                "get the new certificate); with redeploy Envoy mounts them and restarts. Bad files are exit 2 with nothing changed:",
                "  swarm-canary edge ensure --tls shop.example.com=shop.crt,shop.key --tls '*.example.com=wild.crt,wild.key'",
                "From a stack file: the Envoy service's x-swarm-canary-tls names each domain's certificate and key as top-level",
                "secrets with file: (read and checked the same way), and a port with target 10443 is the HTTPS port:",
                "  ports: [\"80:10000\", \"443:10443\"]",
                "  x-swarm-canary-tls: {shop.example.com: {certificate: shop_crt, key: shop_key}}   # secrets: shop_crt: {file: shop.crt}",
                "", "Releases reach the edge over a shared network: deploy attaches them to the edge's first network."})
    static final class Ensure implements Callable<Integer>, SwarmCanary.JsonErrors {
        @Spec CommandSpec spec;
        @Mixin Output output;
        @Mixin HelpOption help;
        @Mixin EdgeOptions edgeOptions;
        @Mixin DryRunOption dryRun;

        @Option(names = "--port", defaultValue = "10000", description = "Public port, published on every node in host mode (default: ${DEFAULT-VALUE}).")
        int port;
        @Option(names = "--image", defaultValue = "docker.io/envoyproxy/envoy:v1.34-latest",
                description = "Envoy image, fully qualified so no registry search order picks another (default: ${DEFAULT-VALUE}).")
        String image;
        @Option(names = "--network", paramLabel = "NET", description = "Overlay network shared with the releases; repeatable (default: <edge>-net, created if missing).")
        List<String> networks = new ArrayList<>();
        @Option(names = "--constraint", paramLabel = "EXPR", description = "Placement constraint, e.g. node.role==worker; repeatable.")
        List<String> constraints = new ArrayList<>();
        @Option(names = "--template", paramLabel = "FILE", description = "Your own Envoy bootstrap YAML; validated before use.")
        Path template;
        @Option(names = "--no-image-check", description = "Do not require the image on this node.")
        boolean noImageCheck;
        @Option(names = "--delivery", paramLabel = "redeploy|xds",
                description = "How configs reach Envoy: xds (control plane, no restart) or redeploy (restarts Envoy). Default: the edge's current delivery, xds for a new edge.")
        String delivery;
        @Option(names = "--control-plane-image", paramLabel = "IMAGE",
                description = "xds (giving it asks for xds): image of the control plane, the swarm-canary image built from this repository's Dockerfile"
                        + " (default: ghcr.io/swarm-canary/cli:VERSION, this CLI's --version). Pinned to its digest when a registry knows it.")
        String controlPlaneImage;
        @Option(names = "--xds-status-port", paramLabel = "PORT",
                description = "Accepted for older pipelines and ignored (implies --delivery xds): the control plane publishes no port any more; commands read every Envoy's ACK through the edge's stats host, with a stats token.")
        Integer xdsStatusPort;
        @Option(names = "--force-canary", paramLabel = "on|off", arity = "1", converter = OnOff.class,
                description = "on: a request carrying a valid token for a track (swarm-canary canary-token) reaches that track's"
                        + " canary whatever the weights; off: nothing does. Default: the edge's current setting, off for a new edge.")
        Boolean forceCanary;
        @Option(names = "--tls", paramLabel = "DOMAIN=CERT_FILE,KEY_FILE",
                description = "Serve HTTPS for DOMAIN (or *.example.com) with this PEM certificate chain (leaf first) and PEM"
                        + " key (PKCS#1, EC or PKCS#8, no passphrase); checked first (readable, valid now, key fits, SAN covers"
                        + " DOMAIN), stored as Swarm secrets. Repeatable. A domain the edge has gets the new certificate (rotation).")
        List<String> tls = new ArrayList<>();
        @Option(names = "--tls-remove", paramLabel = "DOMAIN", description = "Stop serving DOMAIN's certificate; repeatable."
                + " Without any certificate left the edge serves plain HTTP only.")
        List<String> tlsRemove = new ArrayList<>();
        @Option(names = "--tls-port", paramLabel = "PORT", description = "HTTPS port, published on every node in host mode"
                + " (default: the edge's, 443 for its first certificate).")
        Integer tlsPort;
        @Option(names = "--https-redirect", negatable = true, description = "With a certificate, plain HTTP answers every"
                + " host with a redirect to https (default: on); --no-https-redirect serves plain HTTP too.")
        Boolean httpsRedirect;
        @Option(names = "--tls-default", paramLabel = "DOMAIN|off", description = "The domain whose certificate answers"
                + " clients that send no SNI (or a name no certificate covers); default: none, they get no handshake.")
        String tlsDefault;
        @Option(names = "--hsts", paramLabel = "MAX_AGE|off", description = "Send Strict-Transport-Security: max-age=MAX_AGE"
                + " (seconds) over HTTPS; off stops it. Default: the edge's, none for a new one.")
        String hsts;
        @Option(names = "--compose", paramLabel = "FILE", description = "Take the edge's image, networks, placement constraints and port from this stack file.")
        Path compose;
        @Option(names = "--service", paramLabel = "NAME", description = "With --compose: the Envoy service (default: the one named like --edge, or the file's only service).")
        String composeService;
        @Option(names = "--stack", paramLabel = "NAME", description = "With --compose: use <NAME>_<net> for the file's non-external networks.")
        String stack;

        @Override
        public Output output() {
            return output;
        }

        /** on|off (also true|false), so a script reads what it turns on. */
        static final class OnOff implements picocli.CommandLine.ITypeConverter<Boolean> {
            @Override
            public Boolean convert(String value) {
                return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                    case "on", "true" -> true;
                    case "off", "false" -> false;
                    default -> throw new picocli.CommandLine.TypeConversionException("expected on or off, got '" + value + "'");
                };
            }
        }

        private static Long hstsSeconds(String value) {
            if (value == null) {
                return null;
            }
            if (value.equalsIgnoreCase("off")) {
                return TlsRequest.HSTS_OFF;
            }
            try {
                long seconds = Long.parseLong(value);
                if (seconds >= 0) {
                    return seconds;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new UserInputException("invalid --hsts '" + value + "': a max-age in seconds (e.g. 31536000) or off."
                    + " Nothing was changed.");
        }

        @Override
        public Integer call() throws IOException {
            Optional<String> templateText = Optional.empty();
            if (template != null) {
                if (!Files.isRegularFile(template)) {
                    throw new UserInputException("template " + template + " does not exist. Nothing was changed.");
                }
                templateText = Optional.of(Files.readString(template));
            }
            List<String> composeWarnings = List.of();
            List<TlsCertificates.Spec> tlsSpecs = new ArrayList<>(tls.stream().map(TlsCertificates.Spec::parse).toList());
            if (compose != null) {
                ComposeEdge fromFile = ComposeEdge.of(compose, composeService, edgeOptions.edge, stack,
                        CommandContext.of(spec).environment());
                var parsed = spec.commandLine().getParseResult();
                // flags given replace the file's value; lists add to the file's
                image = parsed.hasMatchedOption("--image") || fromFile.image() == null ? image : fromFile.image();
                port = parsed.hasMatchedOption("--port") || fromFile.port() == null ? port : fromFile.port();
                networks = new ArrayList<>(new java.util.LinkedHashSet<>(concat(fromFile.networks(), networks)));
                constraints = new ArrayList<>(new java.util.LinkedHashSet<>(concat(fromFile.constraints(), constraints)));
                // a domain given with --tls takes that certificate instead of the file's
                java.util.Set<String> flagged = tlsSpecs.stream().map(TlsCertificates.Spec::domain).collect(java.util.stream.Collectors.toSet());
                fromFile.tls().stream().filter(t -> !flagged.contains(t.domain())).forEach(tlsSpecs::add);
                // the file's HTTPS port goes with certificates given now (without any, the file warned it is not published)
                tlsPort = tlsPort != null || tlsSpecs.isEmpty() ? tlsPort : fromFile.tlsPort();
                composeWarnings = fromFile.warnings();
                composeWarnings.forEach(w -> output.progress().info("warning: " + w));
            } else if (composeService != null || stack != null) {
                throw new UserInputException("--service and --stack need --compose FILE. Nothing was changed.");
            }
            List<String> nets = networks.isEmpty() ? List.of(EdgeManager.defaultNetwork(edgeOptions.edge)) : networks;
            if (controlPlaneImage != null && EdgeSettings.REDEPLOY.equals(delivery)) {
                throw new UserInputException("--control-plane-image is the xds delivery's control plane: drop it, or use"
                        + " --delivery xds. Nothing was changed.");
            }
            // a control-plane image asks for xds (on an existing xds edge: the way to update its control plane)
            String delivery = this.delivery == null && controlPlaneImage != null ? EdgeSettings.XDS : this.delivery;
            boolean xdsAsked = EdgeSettings.XDS.equals(delivery) || xdsStatusPort != null;
            EdgeSettings.Xds xdsAsAsked = new EdgeSettings.Xds(
                    controlPlaneImage != null ? controlPlaneImage : io.swarmcanary.ProductVersion.controlPlaneImage());
            EdgeSettings.Xds xds = xdsAsked ? xdsAsAsked : null;
            if (xdsStatusPort != null) { // accepted so existing pipelines keep working; nothing is published any more
                composeWarnings = concat(composeWarnings, List.of("--xds-status-port is no longer used: the control plane"
                        + " publishes no port, its status is read through the edge's stats host (with a stats token)"));
            }
            EdgeSettings settings = new EdgeSettings(edgeOptions.edge, image, port, nets, constraints, null, delivery, xds, forceCanary);
            // every certificate is read and checked before the cluster is touched
            TlsRequest tlsRequest = new TlsRequest(TlsCertificates.load(tlsSpecs, java.time.Instant.now()), tlsRemove, tlsPort, httpsRedirect, hstsSeconds(hsts), tlsDefault);
            try (Cluster cluster = CommandContext.of(spec).connect()) {
                io.swarmcanary.operations.Operations ops = edgeOptions.operations(cluster);
                if (delivery == null && !xdsAsked && ops.edges().read(edgeOptions.edge).isEmpty()) {
                    // a new edge without --delivery gets xds (no Envoy restart on every change); an existing one keeps its own
                    settings = settings.withDelivery(EdgeSettings.XDS, xdsAsAsked);
                }
                EdgeEnsureOperation ensure = ops.ensureEdge();
                EdgeEnsureOperation.Request request = new EdgeEnsureOperation.Request(settings, templateText, !noImageCheck,
                        composeWarnings, tlsRequest);
                PrintWriter out = spec.commandLine().getOut();
                if (dryRun.dryRun) {
                    EdgeEnsurePlan plan = ensure.plan(request, output.progress());
                    output.print(out, plan, plan.text());
                    return 0;
                }
                EdgeEnsureResult r = ensure.apply(request, output.progress());
                output.print(out, r, r.text());
                return 0;
            }
        }
    }
}
