package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.ServiceOptions;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.xds.ControlPlaneClient;
import io.swarmcanary.xds.XdsStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Delivery xds: the edge's control plane (a swarm-canary service on a manager) pushes routes and clusters to every Envoy
 * over ADS; its status endpoint, read through the edge's Envoy (the stats host, with a stats token), says which Envoy has
 * ACKed what.
 */
final class XdsDelivery implements Delivery {

    /** How long the control plane may hold a wait's status request for a change (an ACK) before it answers as it is. */
    static final java.time.Duration CHANGE_WAIT = java.time.Duration.ofSeconds(1);

    private final SwarmGateway swarm;
    private final ControlPlaneClient controlPlane;
    /** The tag of the status the last look saw: the next wait asks to be answered when the status differs from it. */
    private volatile String seen;

    XdsDelivery(SwarmGateway swarm, ControlPlaneClient controlPlane) {
        this.swarm = swarm;
        this.controlPlane = controlPlane;
    }

    /**
     * Delivery xds: served when every running Envoy task has ACKed the revision (RDS), the clusters served
     * with it (CDS) and, with SDS, the edge's certificates of these settings, as its control plane reports. Each task is matched to its own ADS stream by address (the stream's
     * peer is the task's address on the control-plane network), so a stale stream of a gone task, two streams of one
     * Envoy, or a stream from anything that is not a running Envoy task of this edge never stand for a task that has not
     * ACKed; a task whose addresses the engine has not reported yet is waited for. A NACK is a rejection (Envoy keeps its
     * previous config), counted only from such a task's own stream.
     */
    @Override
    public Look look(EdgeSettings settings, String revision, List<TaskInfo> running,
                     java.util.function.Predicate<String> rendersAs) {
        Optional<ControlPlaneClient.Tagged> tagged = ask(settings, running, (client, port) -> client.status(port, null,
                java.time.Duration.ZERO));
        seen = tagged.map(ControlPlaneClient.Tagged::etag).orElse(null);
        Optional<XdsStatus> status = tagged.map(ControlPlaneClient.Tagged::status);
        if (status.isEmpty() || !status.get().madeFrom(revision)) {
            // ask for a read now rather than at the control plane's next poll; the next wait asks for a change from its answer
            Optional<ControlPlaneClient.Tagged> refreshed = ask(settings, running,
                    (client, port) -> client.refreshTagged(port, revision));
            if (refreshed.isPresent()) {
                seen = refreshed.get().etag();
            }
            status = refreshed.map(ControlPlaneClient.Tagged::status);
        }
        // with SDS, also the certificates of these settings: a control plane still serving the previous ones is not current
        String certificates = EdgeTls.sdsVersion(settings);
        String described = status.map(s -> s.describe(running.size())).orElse(notAnswering(settings)) + " (want routes "
                + revision + (certificates == null ? "" : ", certificates " + certificates) + ")";
        // its own routes; or routes made from its labels with a release another team created or removed since, which this
        // CLI renders alike from the cluster now (a control plane of another build may render the labels otherwise)
        boolean current = status.isPresent() && status.get().serves(revision, rendersAs)
                && (certificates == null || certificates.equals(status.get().secretsVersion()));
        Optional<XdsStatus.Envoy> rejected = status.flatMap(s -> ours(s, running).stream().filter(e -> e.nack() != null).findFirst());
        String rejection = rejected.isPresent() && current ? "Envoy " + rejected.get().address()
                + " rejected the new config and keeps its previous one: " + rejected.get().nack() : null;
        if (!current && status.isPresent() && revision.equals(status.get().refusedRevision())) {
            // it will not serve this revision however long the wait: fail now, so the writer puts its change back (an
            // ensure that replaces a control plane of another version waits for the new one: EdgeManager.look)
            Optional<String> otherVersion = status.get().versionMismatch(settings.name());
            return new Look(described, false, refused(settings, revision, status.get())
                    + otherVersion.map(m -> "\n" + m).orElse(""), true, otherVersion.isPresent());
        }
        if (!current) {
            return new Look(described + status.flatMap(s -> s.versionMismatch(settings.name())).map(m -> "; " + m).orElse(""),
                    false, rejection);
        }
        XdsStatus s = status.get();
        List<String> behind = running.stream().filter(t -> !acked(t, s))
                .map(t -> "task " + t.id().substring(0, Math.min(12, t.id().length())) + " on node " + t.nodeId()
                        + (t.addresses().isEmpty() ? " (its address not reported yet)" : "")).toList();
        return new Look(described + (behind.isEmpty() ? "" : "; not yet up to date: " + String.join(", ", behind)),
                behind.isEmpty(), rejection);
    }

    /** Why a refused revision is not served: the control plane's reason, its first lines (one per problem it found). */
    static String refused(EdgeSettings settings, String revision, XdsStatus status) {
        String why = String.valueOf(status.readError());
        List<String> lines = why.lines().toList();
        if (lines.size() > MAX_REASON_LINES) {
            why = String.join("\n", lines.subList(0, MAX_REASON_LINES)) + "\n... (" + (lines.size() - MAX_REASON_LINES)
                    + " more lines: 'swarm-canary status --edge " + settings.name() + "')";
        }
        return "the control plane of edge " + settings.name() + " refuses revision " + revision + ", the edge's config with"
                + " every track in it (every Envoy keeps the last config it was served): " + why;
    }

    static final int MAX_REASON_LINES = 12;

    /** Whether this Envoy task's own stream (its peer address is the task's) has ACKed what the control plane serves. */
    private static boolean acked(TaskInfo task, XdsStatus status) {
        return status.envoys().stream().anyMatch(e -> task.addresses().contains(e.address()) && e.upToDate(status));
    }

    /** The streams whose peer is a running Envoy task of this edge: only they count. */
    private static List<XdsStatus.Envoy> ours(XdsStatus status, List<TaskInfo> running) {
        return status.envoys().stream().filter(e -> running.stream().anyMatch(t -> t.addresses().contains(e.address()))).toList();
    }

    /**
     * Held by the control plane until its status differs from the one the last look saw (an Envoy ACKed, connected,
     * rejected; a new read), at most {@link #CHANGE_WAIT}. A control plane older than that answers at once: then, as
     * without an answer, a poll interval is slept instead.
     */
    @Override
    public void awaitChange(EdgeSettings settings, List<TaskInfo> running, java.time.Duration left) {
        long start = System.nanoTime();
        String before = seen;
        java.time.Duration hold = java.time.Duration.ofSeconds(Math.min(CHANGE_WAIT.toSeconds(), left.toSeconds()));
        if (before != null && !hold.isZero()) {
            Optional<ControlPlaneClient.Tagged> now = ask(settings, running, (client, port) -> client.status(port, before,
                    hold));
            String tag = now.map(ControlPlaneClient.Tagged::etag).orElse(null);
            seen = tag;
            if (tag != null && (!tag.equals(before) || System.nanoTime() - start >= pollMillis() * 1_000_000L)) {
                return; // changed, or held as long as a poll would have slept
            }
        }
        Delivery.pause(java.time.Duration.ofMillis(Math.min(pollMillis() - (System.nanoTime() - start) / 1_000_000L,
                left.toMillis())));
    }

    /** Through the probe host's Envoy; when it does not answer, through each node's Envoy in turn. */
    private <T> Optional<T> ask(EdgeSettings settings, List<TaskInfo> running,
                                BiFunction<ControlPlaneClient, Integer, Optional<T>> call) {
        Optional<T> answer = call.apply(controlPlane, settings.port());
        if (answer.isPresent()) {
            return answer;
        }
        for (String host : EveryEnvoy.nodeHosts(swarm, running)) {
            answer = call.apply(controlPlane.at(host), settings.port());
            if (answer.isPresent()) {
                return answer;
            }
        }
        return answer;
    }

    static String notAnswering(EdgeSettings settings) {
        return "control plane not answering through the edge's stats host on port " + settings.port()
                + " (an edge made by an older swarm-canary: run 'edge ensure' again)";
    }

    @Override
    public long pollMillis() {
        return 100;
    }

    @Override
    public EdgeManager.DeliveryStatus status(EdgeManager.EdgeState state, List<TaskInfo> running) {
        EdgeSettings settings = state.settings();
        long envoys = running.size();
        String revision = state.service().labels().get(EdgeManager.REVISION);
        Optional<XdsStatus> status = ask(settings, running, ControlPlaneClient::status);
        // per task, as the waits count (upToDate: the stream ACKed the control plane's routes, here the edge's revision)
        // routes made from the edge's labels count when the control plane runs this CLI's version (status renders nothing)
        long acked = status.filter(s -> s.serves(revision, routes -> io.swarmcanary.ProductVersion.current().equals(s.version())))
                .map(s -> running.stream().filter(t -> acked(t, s)).count()).orElse(0L);
        return new EdgeManager.DeliveryStatus(settings.name(), settings.delivery(), revision, envoys,
                XdsConfig.controlPlaneService(settings.name()), null, status.isPresent(),
                status.map(s -> (long) ours(s, running).size()).orElse(null), status.isPresent() ? acked : null,
                status.map(XdsStatus::readError).orElse(null),
                status.map(s -> ours(s, running).stream().filter(e -> e.nack() != null).map(e -> e.address() + ": " + e.nack()).toList())
                        .orElse(List.of()),
                status.isPresent() && envoys > 0 && acked >= envoys,
                status.map(s -> s.version() == null ? "unknown (older than the field)" : s.version()).orElse(null),
                status.map(XdsStatus::refusedRevision).filter(r -> !r.isBlank()).orElse(null)); // blank: none named
    }

    /**
     * Creates or updates the control plane of an xds edge: one task on a manager (it reads the cluster
     * through the mounted docker.sock), on the network it shares with the Envoys alone. No port is published: Envoy
     * reaches ADS and the status endpoint over that network, and the CLI reads the status through Envoy's stats host.
     * An unchanged spec does not restart it.
     */
    void ensureControlPlane(EdgeSettings settings, Progress progress) {
        List<io.swarmcanary.swarm.SecretMount> mounts = new java.util.ArrayList<>(
                AdsPki.controlPlaneMounts(swarm, settings.name(), settings.xds().pki()));
        mounts.addAll(EdgeTls.controlPlaneMounts(swarm, settings)); // it serves them to Envoy over SDS
        ServiceDefinition definition = controlPlaneDefinition(settings, mounts);
        String name = definition.name();
        Optional<ServiceInfo> existing = swarm.service(name);
        if (existing.isPresent() && !Labels.Kind.CONTROL_PLANE.equals(existing.get().labels().get(Labels.KIND))) {
            throw new UserInputException("service '" + name + "' exists but is not this edge's control plane;"
                    + " nothing was changed. Remove it or choose another --edge name.");
        }
        if (existing.isEmpty()) {
            progress.info("creating control plane " + name + " (image " + settings.xds().image()
                    + ", its status read through the edge's stats host)");
            swarm.createService(definition);
        } else {
            swarm.updateService(existing.get().id(), existing.get().versionIndex(), definition);
        }
    }

    /**
     * The control plane's JVM: a fixed small heap (it holds one edge's rendered config and a snapshot per poll) and
     * bounded off-heap areas, so its memory does not grow with the manager's; XdsEdgeIT prints its RSS. C1 only: at 100
     * tracks the C2 compiler's code and threads cost 47 MB of RSS and 42% more CPU for a loop that mostly waits
     * (bench/scale.sh, bench/README). 64 MB of heap is about twice its live set at 100 tracks (25-30 MB), and the serial
     * collector (one short pause per poll's garbage suits a service that mostly waits) gives back what it does not use
     * (free ratios 10-30%): 16-21 MB less RSS than -Xmx96m at 100 tracks, 186-191 MB (bench/README). A young generation of
     * 12 MB instead of a third of the heap: about 9 MB less RSS at 100 tracks, and room for the old one to
     * grow to 52 MB, for ~14 ms more collection per change (bench/README, 2026-12-01). A heap that still runs
     * out ends the JVM, so Swarm restarts it, rather than leave a control plane whose poller died.
     */
    static final String JVM_OPTIONS = "-Xmx64m -Xmn12m -XX:+UseSerialGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
            + " -XX:+ExitOnOutOfMemoryError -Xss512k -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=32m"
            + " -XX:MaxDirectMemorySize=64m -XX:TieredStopAtLevel=1";
    /**
     * glibc's malloc gives each thread that allocates natively (TLS, gRPC, the JIT) an arena of its own, up to 8 per core,
     * and keeps what each one freed: two arenas hold the same allocations in 5-6 MB less RSS at 100 tracks (bench/README).
     */
    static final String MALLOC_ARENAS = "MALLOC_ARENA_MAX=2";
    /** Above what those bounds add up to: reached only by a leak, which Swarm then restarts instead of the manager paying. */
    static final long MEMORY_LIMIT = 384L << 20;

    /**
     * The control plane's service: no published port; only the network it shares with the Envoys, so no release can
     * reach ADS or the status endpoint; a read-only root filesystem and no Linux capability (it only reads the cluster and
     * serves two ports above 1024). It needs docker.sock to read the edge's service, its releases and their tasks; the
     * bind is read-only, which keeps the socket file from being replaced but does not make the Docker API read-only: the
     * socket still takes writes, so the process in it is as trusted as any Docker API user. No-new-privileges cannot be
     * asked for a service before Engine API 1.46 (Privileges.NoNewPrivileges); the image has no setuid binary, and with
     * every capability dropped there is nothing to gain.
     */
    static ServiceDefinition controlPlaneDefinition(EdgeSettings settings) {
        return controlPlaneDefinition(settings, List.of());
    }

    /**
     * @param adsSecrets its ADS server certificate, key and CA: with them it serves ADS over mutual TLS only; and the
     *                   edge's certificates and keys it serves over SDS
     */
    static ServiceDefinition controlPlaneDefinition(EdgeSettings settings, List<io.swarmcanary.swarm.SecretMount> adsSecrets) {
        String name = XdsConfig.controlPlaneService(settings.name());
        Map<String, String> labels = Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, Labels.Kind.CONTROL_PLANE,
                Labels.EDGE, settings.name());
        // bounded: the image's default sizes the heap by the host's memory (half of it), and it shares a manager
        ServiceOptions readOnlyRoot = new ServiceOptions(List.of(), null, null, null, null, true, null, null, null, null,
                new ServiceOptions.Resources(null, MEMORY_LIMIT), null, List.of(), null, null, null, null);
        return new ServiceDefinition(name, settings.xds().image(), 1, labels, labels,
                List.of("JAVA_TOOL_OPTIONS=" + JVM_OPTIONS, MALLOC_ARENAS),
                List.of(XdsConfig.controlPlaneNetwork(settings.name())), adsSecrets, List.of(), null,
                List.of("node.role==manager"), false, List.of(), List.of(),
                command(settings),
                List.of(new ServiceDefinition.BindMount("/var/run/docker.sock", "/var/run/docker.sock", true)),
                readOnlyRoot, List.of(), List.of("ALL"));
    }

    private static List<String> command(EdgeSettings settings) {
        List<String> command = new java.util.ArrayList<>(List.of("control-plane", "--edge", settings.name(),
                "--port", String.valueOf(XdsConfig.DEFAULT_GRPC_PORT), "--status-port", String.valueOf(XdsConfig.STATUS_PORT)));
        command.addAll(AdsPki.controlPlaneOptions(settings.xds().pki()));
        command.addAll(EdgeTls.controlPlaneOptions(settings));
        return command;
    }
}
