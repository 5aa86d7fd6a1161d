package io.swarmcanary.testing;

import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.AlreadyExistsException;
import io.swarmcanary.swarm.NetworkInfo;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.HashSet;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory swarm for unit tests of engine logic; the integration tests use the real one. */
public final class FakeSwarm implements SwarmGateway {
    public final Map<String, ServiceInfo> services = new LinkedHashMap<>();
    public final Map<String, ServiceDefinition> definitions = new LinkedHashMap<>();
    public final Map<String, SecretInfo> secrets = new LinkedHashMap<>();
    public final Map<String, byte[]> secretData = new LinkedHashMap<>();
    public final Map<String, NetworkInfo> networks = new LinkedHashMap<>();
    public final Set<String> images = new HashSet<>();
    /** What the image's registry answers; absent means no registry could be asked (the image is looked for on the node). */
    public final Map<String, io.swarmcanary.swarm.ImageLookup> registry = new LinkedHashMap<>();
    public final List<String> calls = new ArrayList<>();
    /** Task error per service name; absent means its tasks run at once. */
    public final Map<String, String> taskError = new LinkedHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    @Override
    public String nodeName() {
        return "fake-node";
    }

    /** Tasks given by a test for a service (e.g. Envoy tasks on several nodes); others are made up from its spec. */
    public final Map<String, List<TaskInfo>> tasksOf = new LinkedHashMap<>();
    /** The last health-check run of a container this engine runs, by container id (the others are on other nodes). */
    public final Map<String, HealthCheckRun> healthChecks = new LinkedHashMap<>();

    /** Node ID to address, as the engine reports them; one node by default. */
    public final Map<String, String> nodeAddresses = new LinkedHashMap<>(Map.of("fake-node-id", "127.0.0.1"));

    @Override
    public Map<String, String> nodeAddresses() {
        return Map.copyOf(nodeAddresses);
    }

    @Override
    public boolean imageExists(String image) {
        return images.contains(image);
    }

    @Override
    public io.swarmcanary.swarm.ImageLookup lookUpImage(String image) {
        return registry.getOrDefault(image, io.swarmcanary.swarm.ImageLookup.unavailable(image));
    }

    @Override
    public Optional<NetworkInfo> network(String name) {
        return Optional.ofNullable(networks.get(name));
    }

    @Override
    public Optional<SecretInfo> secret(String name) {
        return Optional.ofNullable(secrets.get(name));
    }

    @Override
    public List<SecretInfo> secrets(Map<String, String> labels) {
        return secrets.values().stream().filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    @Override
    public SecretInfo createSecret(String name, byte[] data, Map<String, String> labels) {
        calls.add("createSecret " + name);
        if (secrets.containsKey(name)) {
            throw new AlreadyExistsException("create secret " + name + ": secret " + name + " already exists");
        }
        SecretInfo s = new SecretInfo("sec" + ids.incrementAndGet(), name, labels, "2026-01-01T00:00:00Z");
        secrets.put(name, s);
        secretData.put(name, data.clone());
        return s;
    }

    @Override
    public void removeSecret(String id) {
        calls.add("removeSecret " + id);
        throwIfRefused(id);
        secrets.values().removeIf(s -> s.id().equals(id));
    }

    @Override
    public Optional<ServiceInfo> service(String name) {
        return Optional.ofNullable(services.get(name));
    }

    @Override
    public List<ServiceInfo> services(Map<String, String> labels) {
        return services.values().stream().filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    /** The creation time a new service gets (one for all unless a test orders them). */
    public java.util.function.Supplier<String> createdAt = () -> "2026-01-01T00:00:00Z";
    /** Runs after a service was created, with its name: another writer acting right then. */
    public java.util.function.Consumer<String> afterCreateService = name -> {};

    @Override
    public ServiceInfo createService(ServiceDefinition d) {
        calls.add("createService " + d.name());
        ServiceInfo s = new ServiceInfo("svc" + ids.incrementAndGet(), d.name(), 1, d.labels(), d.image(), d.replicas(),
                d.secrets().stream().map(m -> m.secretName()).toList(), d.networks(), createdAt.get());
        services.put(d.name(), s);
        definitions.put(d.name(), d);
        afterCreateService.accept(d.name());
        return s;
    }

    @Override
    public void removeService(String name) {
        calls.add("removeService " + name);
        throwIfRefused(name);
        services.remove(name);
        services.values().removeIf(s -> s.id().equals(name));
    }

    @Override
    public void updateService(String id, long versionIndex, ServiceDefinition d) {
        calls.add("updateService " + d.name());
        beforeUpdate.run();
        if (definitions.containsKey(d.name())) {
            previousDefinitions.put(d.name(), definitions.get(d.name()));
        }
        ServiceInfo current = services.get(d.name());
        if (current == null || current.versionIndex() != versionIndex) {
            throw new io.swarmcanary.swarm.VersionConflictException("update out of sequence");
        }
        services.put(d.name(), new ServiceInfo(current.id(), d.name(), versionIndex + 1, d.labels(), d.image(), d.replicas(),
                d.secrets().stream().map(m -> m.secretName()).toList(), d.networks(), current.createdAt()));
        definitions.put(d.name(), d);
    }

    /** Runs at the start of each service update, before its version check: plays a writer that got in between. */
    public Runnable beforeUpdate = () -> {};

    @Override
    public String updateState(String serviceName) {
        return "completed";
    }

    public final Map<String, ConfigInfo> configs = new LinkedHashMap<>();

    /** Runs at the start of each config create, before its name check: plays a writer that created one in between. */
    public ConfigCreate beforeCreateConfig = (name, data, labels) -> {};

    /** A config create's arguments. */
    public interface ConfigCreate {
        void run(String name, byte[] data, Map<String, String> labels);
    }

    @Override
    public Optional<ConfigInfo> config(String name) {
        return Optional.ofNullable(configs.get(name));
    }

    @Override
    public List<ConfigInfo> configs(Map<String, String> labels) {
        return configs.values().stream().filter(c -> c.labels().entrySet().containsAll(labels.entrySet())).toList();
    }

    @Override
    public ConfigInfo createConfig(String name, byte[] data, Map<String, String> labels) {
        calls.add("createConfig " + name);
        beforeCreateConfig.run(name, data, labels);
        if (configs.containsKey(name)) { // the engine's 409
            throw new AlreadyExistsException("create config " + name + ": config " + name + " already exists");
        }
        ConfigInfo c = new ConfigInfo("cfg" + ids.incrementAndGet(), name, labels, data, "2026-01-01T00:00:00Z");
        configs.put(name, c);
        return c;
    }

    @Override
    public void removeConfig(String id) {
        calls.add("removeConfig " + id);
        throwIfRefused(id);
        configs.values().removeIf(c -> c.id().equals(id));
    }

    @Override
    public NetworkInfo createOverlayNetwork(String name, Map<String, String> labels, boolean internal) {
        NetworkInfo n = new NetworkInfo("net" + ids.incrementAndGet(), name, "overlay", "swarm", internal);
        networks.put(name, n);
        return n;
    }

    @Override
    public void removeNetwork(String id) {
        calls.add("removeNetwork " + id);
        networks.values().removeIf(n -> n.id().equals(id));
    }

    @Override
    public Optional<HealthCheckRun> lastHealthCheck(String containerId) {
        return Optional.ofNullable(healthChecks.get(containerId));
    }

    @Override
    public List<TaskInfo> tasks(String serviceName) {
        if (tasksOf.containsKey(serviceName)) {
            return tasksOf.get(serviceName);
        }
        ServiceInfo s = services.get(serviceName);
        if (s == null) {
            return List.of();
        }
        String error = taskError.get(serviceName);
        List<TaskInfo> tasks = new ArrayList<>();
        ServiceDefinition d = definitions.get(serviceName);
        int count = d != null && d.global() ? 1 : s.replicas(); // a global service: one task on the one fake node
        for (int slot = 1; slot <= count; slot++) {
            tasks.add(error == null
                    ? new TaskInfo("t" + slot, slot, "n1", "running", "running", "started", null, "c" + slot, "2026-01-01T00:00:00Z")
                    : new TaskInfo("t" + slot, slot, "n1", "failed", "shutdown", "failed", error, "c" + slot, "2026-01-01T00:00:00Z"));
        }
        return tasks;
    }

    // ---- prune: previous specs, refusals, node jobs

    /** The definition each service had before its last update (Docker's PreviousSpec). */
    public final Map<String, ServiceDefinition> previousDefinitions = new LinkedHashMap<>();
    /** What Docker answers when an object (by ID or name) is removed, e.g. an "in use" refusal. */
    public final Map<String, RuntimeException> removeRefusals = new LinkedHashMap<>();
    /** Runs before each removal, to play a concurrent writer. */
    public Runnable beforeRemove = () -> {};
    public final List<io.swarmcanary.swarm.GlobalJob> jobs = new ArrayList<>();
    public String jobLogs = "";

    private void throwIfRefused(String idOrName) {
        beforeRemove.run();
        RuntimeException refusal = removeRefusals.get(idOrName);
        if (refusal != null) {
            throw refusal;
        }
    }

    @Override
    public List<io.swarmcanary.swarm.ServiceReferences> serviceReferences() {
        calls.add("serviceReferences");
        return services.values().stream().map(s -> new io.swarmcanary.swarm.ServiceReferences(s.id(), s.name(), s.createdAt(),
                refs(definitions.get(s.name()), s), previousDefinitions.containsKey(s.name())
                        ? refs(previousDefinitions.get(s.name()), null) : null)).toList();
    }

    private io.swarmcanary.swarm.ServiceReferences.Refs refs(ServiceDefinition d, ServiceInfo s) {
        if (d == null) {
            return new io.swarmcanary.swarm.ServiceReferences.Refs(s.image(), s.labels(), Set.of(),
                    Set.copyOf(s.secretNames()), Set.of(), Set.of());
        }
        return new io.swarmcanary.swarm.ServiceReferences.Refs(d.image(), s != null ? s.labels() : d.labels(),
                d.secrets().stream().map(m -> m.secretId()).collect(java.util.stream.Collectors.toSet()),
                d.secrets().stream().map(m -> m.secretName()).collect(java.util.stream.Collectors.toSet()),
                d.configs().stream().map(c -> c.configId()).collect(java.util.stream.Collectors.toSet()),
                d.configs().stream().map(c -> c.configName()).collect(java.util.stream.Collectors.toSet()));
    }

    @Override
    public String createGlobalJob(io.swarmcanary.swarm.GlobalJob job) {
        calls.add("createGlobalJob " + job.name());
        jobs.add(job);
        services.put(job.name(), new ServiceInfo("job" + ids.incrementAndGet(), job.name(), 1, job.labels(), job.image(), 0,
                List.of(), List.of(), "2026-01-01T00:00:00Z"));
        return services.get(job.name()).id();
    }

    @Override
    public String serviceLogs(String serviceId) {
        return jobLogs;
    }

    /** A running release of {@code track} on {@code edge} (port 8080, one replica), as a deploy leaves it; its service name. */
    public String addRelease(io.swarmcanary.release.Track track, String version, String edge, String domain, String network) {
        String name = track.name() + "-" + version.replace('.', '_');
        Map<String, String> labels = io.swarmcanary.release.Labels.ofTrack(track, "release");
        labels.put(io.swarmcanary.release.Labels.VERSION, version);
        labels.put(io.swarmcanary.release.Labels.PORT, "8080");
        labels.put(io.swarmcanary.release.Labels.DOMAINS, domain);
        labels.put(io.swarmcanary.release.Labels.EDGE, edge);
        createService(ServiceDefinition.replicated(name, "img", 1, labels, Map.of(), List.of(), List.of(network),
                List.of(), List.of(), null, List.of()));
        return name;
    }

    /**
     * An xds edge (network edge-net, Envoy image "envoy", control-plane image "cli") made by these edges, with one running
     * Envoy task at this address: where the tests of a fake control plane start.
     */
    public void xdsEdge(io.swarmcanary.edge.EdgeManager edges, String edge, String envoyAddress) {
        images.add("envoy");
        images.add("cli");
        tasksOf.put(edge, List.of(new TaskInfo("envoy-1", 0, "n1", "running", "running", "started", null, "c-1",
                "2026-12-01T00:00:00Z", List.of(envoyAddress))));
        edges.ensure(new io.swarmcanary.edge.EdgeSettings(edge, "envoy", 10000, List.of("edge-net"), List.of(), null,
                io.swarmcanary.edge.EdgeSettings.XDS, new io.swarmcanary.edge.EdgeSettings.Xds("cli")), Optional.empty(), false,
                io.swarmcanary.release.Progress.SILENT);
    }

    /** The same service with these labels, as a writer's update leaves it (its version index moves on). */
    public void relabel(String service, Map<String, String> labels) {
        ServiceInfo s = services.get(service);
        services.put(service, new ServiceInfo(s.id(), s.name(), s.versionIndex() + 1, Map.copyOf(labels), s.image(),
                s.replicas(), s.secretNames(), s.networkIds(), s.createdAt()));
    }

    /** An Envoy that serves the revision this swarm's edge service was last given and has found every release's tasks. */
    public io.swarmcanary.edge.EdgeProbe liveEdge(String edge) {
        return new io.swarmcanary.edge.EdgeProbe() {
            @Override
            public Optional<String> revision(int port) {
                return Optional.of(services.get(edge).labels().get(io.swarmcanary.edge.EdgeManager.REVISION));
            }

            @Override
            public Optional<Map<String, Long>> healthyHosts(int port, java.util.Collection<String> clusters) {
                return Optional.of(clusters.stream().collect(java.util.stream.Collectors.toMap(c -> c, c -> 1L)));
            }
        };
    }

    @Override
    public int readyNodes() {
        return 1;
    }
}
