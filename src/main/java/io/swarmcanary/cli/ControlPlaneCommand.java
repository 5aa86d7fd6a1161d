package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.EdgeEndpoints;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.NamingKey;
import io.swarmcanary.release.Names;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmEvents;
import io.swarmcanary.xds.ControlPlane;
import io.swarmcanary.xds.ControlPlaneClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "control-plane",
        description = {
            "Run the xDS control plane of an edge (a long-running server). It reads the edge's route table and",
            "releases from the cluster and serves them to every Envoy of the edge over ADS (gRPC): release",
            "clusters over CDS, their running tasks over EDS, routes and weights over RDS, so a shift reaches",
            "Envoy without a restart. It follows the engine's events: a change to a service, config or node",
            "is read at once (the whole edge again every --resync, in case one was missed); where the tasks",
            "run is read every --interval (Swarm sends no event for a task).",
            "It keeps no state: restarted, it serves the same versions and Envoy sees no change; while it is",
            "away, Envoy keeps its last good config. GET /status on --status-port shows what every Envoy has",
            "ACKed (or rejected); POST /refresh re-reads the edge at once. Neither port is published: Envoy reaches",
            "both over the edge's network, and commands read the status through the edge's stats host",
            "(GET /swarm-canary/control-plane/status with a stats token).",
            "",
            "With --tls-ca, --tls-cert and --tls-key, ADS is mutual TLS: only a client certificate of that CA",
            "naming spiffe://swarm-canary/<edge>/envoy opens a stream ('edge ensure' makes them per edge).",
            "With --sds, it serves each domain's certificate and key to Envoy over SDS (on that same ADS stream),",
            "as the secret tls:<domain>: 'edge ensure --tls' on an xds edge mounts them here, not into Envoy, so a",
            "rotation restarts only this control plane and Envoy keeps every connection.",
            "",
            "You do not normally start it yourself: 'edge ensure --delivery xds' runs it as the Swarm service",
            "<edge>-xds (one task on a manager, docker.sock mounted)."},
        footer = {"", "Examples:",
            "  swarm-canary edge ensure --edge envoy --delivery xds        # creates and runs envoy-xds",
            "  swarm-canary control-plane --edge envoy                      # by hand, e.g. to debug",
            "  swarm-canary control-plane --edge envoy --port 18000 --status-port 18001 --interval 500ms",
            "  swarm-canary control-plane --edge envoy --tls-ca ca.crt --tls-cert server.crt --tls-key server.key",
            "  curl -s localhost:18001/status                               # by hand: what each Envoy has ACKed",
            "  curl -s -x <node>:10000 -H \"x-canary-token: $(swarm-canary canary-token --stats)\" \\",
            "      http://swarm-canary-stats/swarm-canary/control-plane/status   # the edge's, through its Envoy"})
public final class ControlPlaneCommand implements Callable<Integer> {
    @Mixin HelpOption help;

    @Option(names = "--edge", defaultValue = "envoy", paramLabel = "NAME",
            description = "The edge whose route table is served (default: ${DEFAULT-VALUE}).")
    String edge;
    @Option(names = "--port", defaultValue = "" + XdsConfig.DEFAULT_GRPC_PORT,
            description = "ADS (gRPC) port Envoy connects to (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--status-port", defaultValue = "18001",
            description = "HTTP port of GET /status and POST /refresh (default: ${DEFAULT-VALUE}).")
    int statusPort;
    @Option(names = "--interval", defaultValue = "1s", converter = Durations.class, paramLabel = "DURATION",
            description = "How often where the releases' tasks run is read (Swarm sends no event for a task; default:"
                    + " ${DEFAULT-VALUE}).")
    Duration interval;
    @Option(names = "--resync", defaultValue = "30s", converter = Durations.class, paramLabel = "DURATION",
            description = "How often the whole edge (route table, releases, keys) is read without a change event: the"
                    + " engine's events (services, configs, nodes) and POST /refresh make a read at once; this is the"
                    + " safety net for a missed one (default: ${DEFAULT-VALUE}).")
    Duration resync;
    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM CA whose client certificates alone may open an ADS stream (with --tls-cert and --tls-key:"
                    + " ADS over mutual TLS; 'edge ensure' sets all three from the edge's Swarm secrets).")
    java.io.File tlsCa;
    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate the control plane serves ADS with.")
    java.io.File tlsCert;
    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8) private key of --tls-cert.")
    java.io.File tlsKey;
    @Option(names = "--sds", paramLabel = "DOMAIN=CERT_FILE,KEY_FILE",
            description = "Serve this domain's PEM certificate chain and key over SDS as tls:DOMAIN (repeatable; needs"
                    + " --tls-ca, --tls-cert and --tls-key: a key travels only over mutual TLS).")
    java.util.List<String> sds = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        for (int p : new int[] {port, statusPort}) {
            if (p < 1 || p > 65535) {
                throw new UserInputException("ports must be between 1 and 65535, got " + p);
            }
        }
        if (port == statusPort) {
            throw new UserInputException("--port and --status-port must differ");
        }
        if (interval.toMillis() < 100) {
            throw new UserInputException("--interval must be at least 100ms, got " + interval.toMillis() + "ms");
        }
        if (resync.compareTo(interval) < 0) {
            throw new UserInputException("--resync (" + resync.toMillis() + "ms) must be at least --interval ("
                    + interval.toMillis() + "ms)");
        }
        long tlsFiles = java.util.stream.Stream.of(tlsCa, tlsCert, tlsKey).filter(java.util.Objects::nonNull).count();
        if (tlsFiles != 0 && tlsFiles != 3) {
            throw new UserInputException("--tls-ca, --tls-cert and --tls-key go together (mutual TLS on ADS needs all three)");
        }
        ControlPlane.Tls tls = tlsFiles == 0 ? null
                : new ControlPlane.Tls(tlsCa, tlsCert, tlsKey, XdsConfig.envoyIdentity(edge));
        if (!sds.isEmpty() && tls == null) {
            throw new UserInputException("--sds needs --tls-ca, --tls-cert and --tls-key: a key goes to Envoy over mutual TLS only");
        }
        List<io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret> secrets = new java.util.ArrayList<>();
        java.util.TreeMap<String, String> sdsFiles = new java.util.TreeMap<>();
        for (String option : sds) {
            String[] parts = option.split("[=,]", -1);
            if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
                throw new UserInputException("--sds takes DOMAIN=CERT_FILE,KEY_FILE, got " + option);
            }
            secrets.add(XdsConfig.sdsSecret(parts[0], readFile(parts[1]), readFile(parts[2])));
            // twice one domain would make the snapshot's map fail with both secrets (keys) in its message
            if (sdsFiles.put(parts[0], parts[1] + "," + parts[2]) != null) {
                throw new UserInputException("--sds names domain " + parts[0] + " twice");
            }
        }
        try (DockerConnection docker = DockerConnection.fromEnvironment()) {
            // only reads: no probe, no control plane client, no waits
            DockerSwarmGateway swarm = new DockerSwarmGateway(docker);
            EdgeManager edges = new EdgeManager(swarm, p -> Optional.empty(),
                    ControlPlaneClient.NONE, Clock.systemUTC(), Duration.ZERO);
            LastPlan last = new LastPlan();
            ControlPlane controlPlane = new ControlPlane(edge, whole -> {
                EdgeManager.Plan plan = last.plan();
                if (whole || plan == null) {
                    EdgeManager.EdgeState state;
                    try {
                        state = edges.require(edge);
                    } catch (EdgeManager.UnreadableLabels unreadable) { // the same labels never parse: refuse them
                        throw unreadable(edge, unreadable);
                    }
                    String labelled = state.service().labels().get(EdgeManager.REVISION);
                    Map<String, List<ServiceInfo>> releases = edges.releasesByTrack(edge);
                    // the keys the config is made with too: the token key, and the naming key of sticky cookies
                    // (hashed: arrays compare by identity)
                    plan = last.of(List.of(state.service(), releases,
                            EdgeKey.read(swarm).map(EdgeKey::publicJwks).orElse(""),
                            NamingKey.read(swarm).map(Names::sha256).orElse("")),
                            labelled, () -> {
                                try {
                                    return edges.plan(state, releases);
                                } catch (UserInputException invalid) { // the config as labelled cannot be served
                                    throw refusal(labelled, invalid);
                                }
                            });
                }
                return new ControlPlane.Served(plan.edgeRoutes(), plan.config(), plan.revision(),
                        EdgeEndpoints.read(swarm, plan.edgeRoutes(), plan.settings().networks()), last.labelled());
            }, System.err);
            if (!secrets.isEmpty()) {
                controlPlane.serveCertificates(secrets, XdsConfig.sdsVersion(sdsFiles));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(controlPlane::close, "control-plane-shutdown"));
            controlPlane.start(port, statusPort, interval, resync, tls);
            // a release deployed or removed, a shift (the edge's service), the edge or naming key rotated (configs), a node
            // drained: read at once
            try (SwarmEvents events = SwarmEvents.follow(docker, List.of("service", "config", "node"), new SwarmEvents.Listener() {
                @Override
                public void changed() {
                    controlPlane.changed();
                }

                @Override
                public void following(boolean following) {
                    controlPlane.followingEvents(following);
                }
            }, System.err::println)) {
                controlPlane.awaitTermination();
            }
            return 0;
        }
    }

    /**
     * Labels this control plane cannot make a valid config of: refused by their revision, with why in its own words (a
     * CLI's "not applied; the live edge is untouched" would be wrong from here).
     */
    static ControlPlane.Refused refusal(String revision, UserInputException invalid) {
        if (invalid instanceof EdgeManager.InvalidConfig config) {
            return new ControlPlane.Refused(revision, config.what() + " that this control plane renders from the edge's"
                    + " labels is invalid:\n" + config.problems(), invalid);
        }
        return new ControlPlane.Refused(revision, invalid.getMessage(), invalid);
    }

    /** Labels that do not parse: refused by the revision next to them, if any. */
    static ControlPlane.Refused unreadable(String edge, EdgeManager.UnreadableLabels unreadable) {
        return new ControlPlane.Refused(unreadable.revision(), unreadable.getMessage()
                + " (written by a newer swarm-canary? update this control plane with 'swarm-canary edge"
                + " ensure --edge " + edge + "' of that version)", unreadable);
    }

    /** A certificate or key file's bytes; the error names the file, never what it holds. */
    private static byte[] readFile(String file) {
        try {
            return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file));
        } catch (java.io.IOException | RuntimeException e) {
            throw new UserInputException("cannot read " + file + " (--sds): " + e.getClass().getSimpleName());
        }
    }

    /** The last plan and what it was made from: rendering 100 tracks every poll costs more than reading them. */
    static final class LastPlan {
        private List<Object> inputs;
        private EdgeManager.Plan plan;
        private String labelled;

        /** The last plan made; null before the first. */
        synchronized EdgeManager.Plan plan() {
            return plan;
        }

        /** The edge's revision label the last plan was made from. */
        synchronized String labelled() {
            return labelled;
        }

        /** @param labelledRevision the edge's revision label in these reads */
        synchronized EdgeManager.Plan of(List<Object> read, String labelledRevision, Supplier<EdgeManager.Plan> render) {
            if (!read.equals(inputs)) {
                plan = render.get();
                inputs = read;
            }
            labelled = labelledRevision;
            return plan;
        }
    }
}
