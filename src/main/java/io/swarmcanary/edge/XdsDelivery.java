package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.xds.ControlPlaneClient;
import io.swarmcanary.xds.XdsStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Delivery xds: the edge's control plane (a swarm-canary service on a manager) pushes routes and clusters to every Envoy
 * over ADS; its status endpoint, read through the control-plane client, says which Envoy has ACKed what.
 */
final class XdsDelivery implements Delivery {
    /** Inside the control plane's container; published on the edge's xds status port. */
    static final int CONTROL_PLANE_STATUS_PORT = 18001;

    private final SwarmGateway swarm;
    private final ControlPlaneClient controlPlane;

    XdsDelivery(SwarmGateway swarm, ControlPlaneClient controlPlane) {
        this.swarm = swarm;
        this.controlPlane = controlPlane;
    }

    /**
     * Delivery xds: served when every running Envoy task has ACKed the revision (RDS) and the clusters served
     * with it (CDS), as its control plane reports. Each task is matched to its own ADS stream by address (the stream's
     * peer is the task's address on the edge's network), so a stale stream of a gone task, or two streams of one
     * Envoy, never stand for a task that has not ACKed. A NACK is a rejection: Envoy keeps its previous config.
     */
    @Override
    public Look look(EdgeSettings settings, String revision, List<TaskInfo> running) {
        Optional<XdsStatus> status = controlPlane.status(settings.xds().statusPort());
        if (status.isEmpty() || !revision.equals(status.get().routesVersion())) {
            // ask for a read now rather than at the control plane's next poll
            status = controlPlane.refresh(settings.xds().statusPort());
        }
        String seen = status.map(s -> s.describe(running.size())).orElse("control plane not answering on port "
                + settings.xds().statusPort()) + " (want routes " + revision + ")";
        boolean current = status.isPresent() && revision.equals(status.get().routesVersion());
        Optional<XdsStatus.Envoy> rejected = status.flatMap(s -> s.envoys().stream().filter(e -> e.nack() != null).findFirst());
        String rejection = rejected.isPresent() && current ? "Envoy " + rejected.get().address()
                + " rejected the new config and keeps its previous one: " + rejected.get().nack() : null;
        if (!current) {
            return new Look(seen, false, rejection);
        }
        boolean everyTask = upToDateTasks(running, status.get()) >= running.size();
        List<String> behind = everyTask ? List.of() : behind(running, status.get()).stream()
                .filter(t -> !t.addresses().isEmpty())
                .map(t -> "task " + t.id().substring(0, Math.min(12, t.id().length())) + " on node " + t.nodeId()).toList();
        return new Look(seen + (behind.isEmpty() ? "" : "; not yet up to date: " + String.join(", ", behind)),
                everyTask, rejection);
    }

    /** The running Envoy tasks with no ADS stream of their own (matched by address) that has ACKed the current config. */
    private static List<TaskInfo> behind(List<TaskInfo> running, XdsStatus s) {
        return running.stream().filter(t -> s.envoys().stream()
                .noneMatch(e -> t.addresses().contains(e.address()) && e.upToDate(s))).toList();
    }

    /**
     * How many running Envoy tasks are up to date, each by its own stream; when the engine did not report a task's
     * addresses (only fakes), by counting the up-to-date streams instead.
     */
    private static long upToDateTasks(List<TaskInfo> running, XdsStatus s) {
        if (running.stream().anyMatch(t -> t.addresses().isEmpty())) {
            return Math.min(running.size(), s.upToDate());
        }
        return running.size() - behind(running, s).size();
    }

    @Override
    public long pollMillis() {
        return 100;
    }

    @Override
    public EdgeManager.DeliveryStatus status(EdgeManager.EdgeState state, List<TaskInfo> running) {
        EdgeSettings settings = state.settings();
        String revision = state.service().labels().get(EdgeManager.REVISION);
        Optional<XdsStatus> status = controlPlane.status(settings.xds().statusPort());
        // per task, as the waits count: a stale stream of a gone task or two streams of one Envoy never count twice
        long acked = status.filter(s -> revision != null && revision.equals(s.routesVersion()))
                .map(s -> upToDateTasks(running, s)).orElse(0L);
        return new EdgeManager.DeliveryStatus(settings.name(), settings.delivery(), revision, running.size(),
                XdsConfig.controlPlaneService(settings.name()), settings.xds().statusPort(), status.isPresent(),
                status.map(s -> (long) s.envoys().size()).orElse(null), status.isPresent() ? acked : null,
                status.map(XdsStatus::readError).orElse(null),
                status.map(s -> s.envoys().stream().filter(e -> e.nack() != null).map(e -> e.address() + ": " + e.nack()).toList())
                        .orElse(List.of()),
                !running.isEmpty() && acked >= running.size());
    }

    /**
     * Creates or updates the control plane of an xds edge: one task on a manager (it reads the cluster
     * through the mounted docker.sock), on the edge's networks, its status endpoint published in host mode.
     * An unchanged spec does not restart it.
     */
    void ensureControlPlane(EdgeSettings settings, Progress progress) {
        String name = XdsConfig.controlPlaneService(settings.name());
        Map<String, String> labels = Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, Labels.Kind.CONTROL_PLANE,
                Labels.EDGE, settings.name());
        ServiceDefinition definition = new ServiceDefinition(name, settings.xds().image(), 1, labels, labels, List.of(),
                settings.networks(), List.of(), List.of(), null, List.of("node.role==manager"), false,
                List.of(new ServiceDefinition.PublishedPort(settings.xds().statusPort(), CONTROL_PLANE_STATUS_PORT)),
                List.of(),
                List.of("control-plane", "--edge", settings.name(), "--port", String.valueOf(XdsConfig.DEFAULT_GRPC_PORT),
                        "--status-port", String.valueOf(CONTROL_PLANE_STATUS_PORT)),
                List.of(new ServiceDefinition.BindMount("/var/run/docker.sock", "/var/run/docker.sock", false)));
        Optional<ServiceInfo> existing = swarm.service(name);
        if (existing.isPresent() && !Labels.Kind.CONTROL_PLANE.equals(existing.get().labels().get(Labels.KIND))) {
            throw new UserInputException("service '" + name + "' exists but is not this edge's control plane;"
                    + " nothing was changed. Remove it or choose another --edge name.");
        }
        if (existing.isEmpty()) {
            progress.info("creating control plane " + name + " (image " + settings.xds().image() + ", status on port "
                    + settings.xds().statusPort() + ")");
            swarm.createService(definition);
        } else {
            swarm.updateService(existing.get().id(), existing.get().versionIndex(), definition);
        }
    }
}
