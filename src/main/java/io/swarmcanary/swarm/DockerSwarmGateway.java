package io.swarmcanary.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.ContainerSpecConfig;
import com.github.dockerjava.api.model.ContainerSpecFile;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.PortConfigProtocol;
import com.github.dockerjava.api.model.ServiceGlobalModeOptions;
import com.github.dockerjava.api.model.UpdateConfig;
import com.github.dockerjava.api.model.UpdateFailureAction;
import com.github.dockerjava.api.model.UpdateOrder;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.SwarmNodePlatform;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.transport.DockerHttpClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/** {@link SwarmGateway} over docker-java, speaking the Engine API version its {@link DockerConnection} negotiated (1.41 to 1.45). */
public final class DockerSwarmGateway implements SwarmGateway {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DockerConnection connection;
    private final DockerClient docker;
    private final RegistryCredentials credentials;
    private String nodeName;

    /** With the registry logins the docker CLI of this process would use ({@link RegistryCredentials#fromEnvironment()}). */
    public DockerSwarmGateway(DockerConnection connection) {
        this(connection, RegistryCredentials.fromEnvironment());
    }

    public DockerSwarmGateway(DockerConnection connection, RegistryCredentials credentials) {
        this.connection = connection;
        this.docker = connection.client();
        this.credentials = credentials;
    }

    /** The X-Registry-Auth header for the image's registry, when this process has a login for it. */
    private Map<String, String> registryAuth(String image) {
        return credentials.forImage(image).map(c -> Map.of("X-Registry-Auth", c.header())).orElse(Map.of());
    }

    @Override
    public ImageLookup lookUpImage(String image) {
        String registry = RegistryCredentials.registryOf(image);
        Map<String, String> headers = registryAuth(image);
        var builder = DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET)
                .path(connection.apiPrefix() + "/distribution/" + image + "/json");
        headers.forEach(builder::putHeader);
        try (var response = connection.http().execute(builder.build()); InputStream in = response.getBody()) {
            String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int status = response.getStatusCode();
            if (status / 100 == 2) {
                JsonNode distribution = JSON.readTree(text);
                String digest = distribution.path("Descriptor").path("digest").asText("");
                if (digest.startsWith("sha256:")) {
                    return new ImageLookup(ImageLookup.Result.FOUND, registry, digest, platforms(distribution), null,
                            !headers.isEmpty());
                }
                return new ImageLookup(ImageLookup.Result.UNREACHABLE, registry, null, "the engine gave no digest", !headers.isEmpty());
            }
            String message = messageOf(text.trim());
            return new ImageLookup(classify(status, message), registry, null, message, !headers.isEmpty());
        } catch (IOException e) {
            return new ImageLookup(ImageLookup.Result.UNREACHABLE, registry, null, String.valueOf(e.getMessage()), !headers.isEmpty());
        }
    }

    /**
     * The platforms of a distribution inspect answer as the docker CLI puts them in the spec (its client's
     * {@code imageDigestAndPlatforms}): architecture and OS only, and no architecture for "arm", whose nodes report
     * "armv7l" and would match no task (docker/swarmkit#2294).
     */
    static List<Platform> platforms(JsonNode distribution) {
        List<Platform> platforms = new ArrayList<>();
        for (JsonNode p : distribution.path("Platforms")) {
            String architecture = p.path("architecture").asText("");
            platforms.add(new Platform("arm".equalsIgnoreCase(architecture) ? null : architecture, p.path("os").asText("")));
        }
        return platforms;
    }

    /** The engine answers a registry's refusal with 401 or, for a missing login, 500 "no basic auth credentials". */
    static ImageLookup.Result classify(int status, String message) {
        String m = message.toLowerCase(java.util.Locale.ROOT);
        if (status == 401 || status == 403 || m.contains("no basic auth credentials") || m.contains("unauthorized")
                || m.contains("authentication required") || m.contains("denied")) {
            return ImageLookup.Result.DENIED;
        }
        if (status == 404 || m.contains("manifest unknown") || m.contains("not found") || m.contains("name unknown")) {
            return ImageLookup.Result.NOT_FOUND;
        }
        return ImageLookup.Result.UNREACHABLE;
    }

    @Override
    public Map<String, String> nodeAddresses() {
        Map<String, String> addresses = new java.util.TreeMap<>();
        call("list nodes", () -> docker.listSwarmNodesCmd().exec()).forEach(n -> {
            String address = n.getStatus() == null ? null : n.getStatus().getAddress();
            // 0.0.0.0: a node listening on every address says nothing of where it is reached
            if (address != null && !address.isBlank() && !address.equals("0.0.0.0")) {
                addresses.put(n.getId(), address);
            }
        });
        return addresses;
    }

    @Override
    public String nodeName() {
        if (nodeName == null) {
            nodeName = Objects.requireNonNullElse(call("info", () -> docker.infoCmd().exec()).getName(), connection.dockerHost());
        }
        return nodeName;
    }

    @Override
    public boolean imageExists(String image) {
        try {
            call("inspect image " + image, () -> docker.inspectImageCmd(image).exec());
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public Optional<NetworkInfo> network(String nameOrId) {
        try {
            var n = call("inspect network " + nameOrId, () -> docker.inspectNetworkCmd().withNetworkId(nameOrId).exec());
            return Optional.of(new NetworkInfo(n.getId(), n.getName(), n.getDriver(), n.getScope(),
                    Boolean.TRUE.equals(n.getInternal())));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<SecretInfo> secret(String name) {
        // the name filter matches substrings: keep only the exact name
        return call("list secrets", () -> docker.listSecretsCmd().withNameFilter(List.of(name)).exec()).stream()
                .filter(s -> name.equals(s.getSpec().getName()))
                .findFirst()
                .map(DockerSwarmGateway::toSecretInfo);
    }

    @Override
    public List<SecretInfo> secrets(Map<String, String> labels) {
        return call("list secrets", () -> docker.listSecretsCmd().withLabelFilter(labels).exec()).stream()
                .map(DockerSwarmGateway::toSecretInfo)
                .sorted(Comparator.comparing(SecretInfo::name))
                .toList();
    }

    private static SecretInfo toSecretInfo(com.github.dockerjava.api.model.Secret s) {
        return new SecretInfo(s.getId(), s.getSpec().getName(), s.getSpec().getLabels(),
                s.getCreatedAt() == null ? null : s.getCreatedAt().toInstant().toString());
    }

    @Override
    public SecretInfo createSecret(String name, byte[] data, Map<String, String> labels) {
        // docker-java's SecretSpec.withData re-encodes through the platform charset, which corrupts binary
        // secrets: send the exact bytes with a raw request instead.
        String id = createSwarmObject("secret", name, data, labels);
        return new SecretInfo(id, name, labels, Instant.now().toString());
    }

    @Override
    public void removeSecret(String id) {
        run("remove secret " + id, () -> docker.removeSecretCmd(id).exec());
    }

    @Override
    public Optional<ServiceInfo> service(String name) {
        try {
            return Optional.of(toServiceInfo(call("inspect service " + name, () -> docker.inspectServiceCmd(name).exec())));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<ServiceInfo> services(Map<String, String> labels) {
        return call("list services", () -> docker.listServicesCmd().withLabelFilter(labels).exec()).stream()
                .map(DockerSwarmGateway::toServiceInfo)
                .sorted(Comparator.comparing(ServiceInfo::name))
                .toList();
    }

    private static ServiceInfo toServiceInfo(Service s) {
        ServiceSpec spec = s.getSpec();
        TaskSpec task = spec.getTaskTemplate();
        ContainerSpec container = task == null ? null : task.getContainerSpec();
        int replicas = spec.getMode() != null && spec.getMode().getReplicated() != null
                ? (int) spec.getMode().getReplicated().getReplicas()
                : 0;
        List<String> secrets = container == null || container.getSecrets() == null ? List.of()
                : container.getSecrets().stream().map(ContainerSpecSecret::getSecretName).toList();
        List<String> networks = task == null || task.getNetworks() == null ? List.of()
                : task.getNetworks().stream().map(NetworkAttachmentConfig::getTarget).toList();
        return new ServiceInfo(s.getId(), spec.getName(), s.getVersion().getIndex(), spec.getLabels(),
                container == null ? null : container.getImage(), replicas, secrets, networks,
                s.getCreatedAt() == null ? null : s.getCreatedAt().toInstant().toString());
    }

    @Override
    public ServiceInfo createService(ServiceDefinition d) {
        if (d.needsJson()) {
            // docker-java has no placement preferences nor CapabilityDrop: send the same spec as JSON with them added
            raw(DockerHttpClient.Request.Method.POST, "/services/create", StackOptions.json(spec(d), d),
                    "create service " + d.name(), registryAuth(d.image()));
            return service(d.name()).orElseThrow(() -> new IllegalStateException("service " + d.name() + " vanished right after creation"));
        }
        var create = docker.createServiceCmd(spec(d));
        // the nodes pull with this login (docker service create --with-registry-auth)
        credentials.forImage(d.image()).ifPresent(c -> create.withAuthConfig(c.authConfig()));
        run("create service " + d.name(), create::exec);
        return service(d.name()).orElseThrow(() -> new IllegalStateException("service " + d.name() + " vanished right after creation"));
    }

    @Override
    public void updateService(String id, long versionIndex, ServiceDefinition d) {
        Map<String, String> auth = registryAuth(d.image());
        try {
            if (auth.isEmpty() && !d.needsJson()) {
                // no login to send: the engine keeps the one the service already holds
                run("update service " + d.name(), () -> docker.updateServiceCmd(id, spec(d)).withVersion(versionIndex).exec());
            } else {
                // docker-java's update command takes no login (nor what needsJson names): the same spec as JSON, with
                // X-Registry-Auth when there is a login
                raw(DockerHttpClient.Request.Method.POST, "/services/" + id + "/update?version=" + versionIndex,
                        StackOptions.json(spec(d), d), "update service " + d.name(), auth);
            }
        } catch (VersionConflictException e) {
            throw new VersionConflictException("someone else changed service " + d.name()
                    + " since it was read; nothing was applied. Re-run the command.");
        }
    }

    @Override
    public String updateState(String serviceName) {
        var status = call("inspect service " + serviceName, () -> docker.inspectServiceCmd(serviceName).exec()).getUpdateStatus();
        return status == null || status.getState() == null ? null : status.getState().name().toLowerCase();
    }

    @Override
    public Optional<ConfigInfo> config(String name) {
        // docker-java's ConfigSpec has neither data nor labels: read configs with raw requests
        return listConfigs(filter("name", name)).stream()
                .filter(c -> name.equals(c.name()))
                .findFirst();
    }

    @Override
    public List<ConfigInfo> configs(Map<String, String> labels) {
        String[] pairs = labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        return listConfigs(filter("label", pairs)).stream().sorted(Comparator.comparing(ConfigInfo::name)).toList();
    }

    /** The Engine API's {@code ?filters=} for one key: {"key":["value",...]}, URL-encoded. */
    private static String filter(String key, String... values) {
        return filters(Map.of(key, List.of(values)));
    }

    /** The Engine API's {@code ?filters=} for several keys (all must match): {"key":["value",...],...}, URL-encoded. */
    private static String filters(Map<String, ? extends Collection<String>> byKey) {
        var filters = JSON.createObjectNode();
        byKey.forEach((key, values) -> values.forEach(filters.withArray(key)::add));
        return "?filters=" + URLEncoder.encode(filters.toString(), StandardCharsets.UTF_8);
    }

    private List<ConfigInfo> listConfigs(String filter) {
        JsonNode list = raw(DockerHttpClient.Request.Method.GET, "/configs" + filter, null, "list configs");
        List<ConfigInfo> result = new java.util.ArrayList<>();
        for (JsonNode c : list) {
            Map<String, String> labels = JSON.convertValue(c.path("Spec").path("Labels"),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
            String data = c.path("Spec").path("Data").asText("");
            result.add(new ConfigInfo(c.path("ID").asText(), c.path("Spec").path("Name").asText(), labels,
                    Base64.getDecoder().decode(data), c.path("CreatedAt").asText(null)));
        }
        return result;
    }

    @Override
    public ConfigInfo createConfig(String name, byte[] data, Map<String, String> labels) {
        String id = createSwarmObject("config", name, data, labels);
        return new ConfigInfo(id, name, labels, data, Instant.now().toString());
    }

    /** POST /secrets/create or /configs/create with the exact bytes; returns the new object's ID. */
    private String createSwarmObject(String kind, String name, byte[] data, Map<String, String> labels) {
        ObjectNode body = JSON.createObjectNode();
        body.put("Name", name);
        body.set("Labels", JSON.valueToTree(labels));
        body.put("Data", Base64.getEncoder().encodeToString(data));
        return raw(DockerHttpClient.Request.Method.POST, "/" + kind + "s/create", body, "create " + kind + " " + name)
                .path("ID").asText();
    }

    @Override
    public void removeConfig(String id) {
        run("remove config " + id, () -> docker.removeConfigCmd(id).exec());
    }

    @Override
    public NetworkInfo createOverlayNetwork(String name, Map<String, String> labels, boolean internal) {
        run("create network " + name, () -> docker.createNetworkCmd().withName(name).withDriver("overlay")
                .withAttachable(!internal).withInternal(internal).withLabels(labels).exec());
        return network(name).orElseThrow();
    }

    @Override
    public void removeNetwork(String id) {
        run("remove network " + id, () -> docker.removeNetworkCmd(id).exec());
    }

    private static ServiceSpec spec(ServiceDefinition d) {
        ContainerSpec container = new ContainerSpec()
                .withImage(d.image())
                .withLabels(d.containerLabels())
                .withEnv(d.env())
                .withSecrets(d.secrets().stream()
                        .map(m -> new ContainerSpecSecret()
                                .withSecretId(m.secretId())
                                .withSecretName(m.secretName())
                                .withFile(new ContainerSpecFile().withName(m.target())
                                        .withUid(m.uid()).withGid(m.gid()).withMode(m.mode())))
                        .toList());
        if (!d.healthCmd().isEmpty()) {
            container.withHealthCheck(new HealthCheck()
                    .withTest(d.healthCmd())
                    .withInterval(2_000_000_000L)
                    .withTimeout(2_000_000_000L)
                    .withRetries(3)
                    // zero would mean "inherit the image's start period"; the image's belongs to its own check, not ours.
                    // Applied here, not in the definition, so releases deployed before the default keep their spec hash.
                    .withStartPeriod(Math.max(1_000_000L, (d.healthStartPeriod() == null
                            ? ServiceDefinition.DEFAULT_HEALTH_START_PERIOD : d.healthStartPeriod()).toNanos())));
        }
        ServicePlacement placement = new ServicePlacement().withConstraints(d.constraints());
        if (!d.platforms().isEmpty()) { // as the docker CLI: only when the registry listed some
            placement.setPlatforms(d.platforms().stream()
                    .map(p -> new SwarmNodePlatform().withArchitecture(p.architecture()).withOs(p.os())).toList());
        }
        TaskSpec task = new TaskSpec()
                .withContainerSpec(container)
                .withPlacement(placement)
                .withNetworks(d.networks().stream().map(n -> new NetworkAttachmentConfig().withTarget(n)).toList());
        if (!d.args().isEmpty()) {
            container.withArgs(d.args());
        }
        if (!d.configs().isEmpty()) {
            container.withConfigs(d.configs().stream()
                    .map(c -> new ContainerSpecConfig()
                            .withConfigID(c.configId())
                            .withConfigName(c.configName())
                            .withFile(new ContainerSpecFile().withName(c.target()).withUid(c.uid()).withGid(c.gid()).withMode(c.mode())))
                    .toList());
        }
        if (!d.binds().isEmpty()) {
            container.withMounts(d.binds().stream()
                    .map(b -> new com.github.dockerjava.api.model.Mount()
                            .withType(com.github.dockerjava.api.model.MountType.BIND)
                            .withSource(b.source()).withTarget(b.target()).withReadOnly(b.readOnly()))
                    .toList());
        }
        ServiceModeConfig mode = d.global()
                ? new ServiceModeConfig().withGlobal(new ServiceGlobalModeOptions())
                : new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(d.replicas()));
        // service VIPs need IPVS; Envoy resolves tasks.<service> anyway, and ports are published per node
        EndpointSpec endpoint = new EndpointSpec().withMode(EndpointResolutionMode.DNSRR)
                .withPorts(d.ports().stream().map(p -> new PortConfig()
                        .withProtocol(PortConfigProtocol.TCP)
                        .withPublishedPort(p.published())
                        .withTargetPort(p.target())
                        .withPublishMode(PortConfig.PublishMode.host)).toList());
        ServiceSpec spec = new ServiceSpec()
                .withName(d.name())
                .withLabels(d.labels())
                .withTaskTemplate(task)
                .withMode(mode)
                .withEndpointSpec(endpoint);
        if (d.global()) {
            // host-mode ports cannot be held by two tasks on one node: stop the old task first
            spec.withUpdateConfig(new UpdateConfig().withParallelism(1L).withOrder(UpdateOrder.STOP_FIRST)
                    .withFailureAction(UpdateFailureAction.PAUSE).withMonitor(2_000_000_000L));
        } else if (d.ports().isEmpty()) {
            // a release is reached through the edge, not a port of its own: when a task is replaced (update --force, a
            // node drained) the new one runs before the old stops, so a one-replica release is never without a host
            spec.withUpdateConfig(new UpdateConfig().withParallelism(1L).withOrder(UpdateOrder.START_FIRST));
        }
        StackOptions.apply(d, spec);
        return spec;
    }

    @Override
    public void removeService(String nameOrId) {
        try {
            run("remove service " + nameOrId, () -> docker.removeServiceCmd(nameOrId).exec());
        } catch (NotFoundException e) {
            // already gone: removal is idempotent
        }
    }

    @Override
    public List<TaskInfo> tasks(String serviceName) {
        // raw: docker-java's Task has no NetworksAttachments, and the addresses tie an Envoy's xds stream to its task
        List<TaskInfo> tasks = new ArrayList<>();
        for (JsonNode t : raw(DockerHttpClient.Request.Method.GET, "/tasks" + filter("service", serviceName), null,
                "list tasks of " + serviceName)) {
            tasks.add(toTaskInfo(t));
        }
        tasks.sort(Comparator.comparing(TaskInfo::timestamp, Comparator.nullsFirst(Comparator.naturalOrder())));
        return List.copyOf(tasks);
    }

    @Override
    public Optional<HealthCheckRun> lastHealthCheck(String containerId) {
        if (containerId == null || containerId.isBlank()) {
            return Optional.empty();
        }
        try {
            var health = call("inspect container " + containerId, () -> docker.inspectContainerCmd(containerId).exec())
                    .getState().getHealth();
            if (health == null || health.getLog() == null || health.getLog().isEmpty()) {
                return Optional.empty();
            }
            var last = health.getLog().get(health.getLog().size() - 1);
            String output = last.getOutput() == null ? "" : last.getOutput().strip();
            // the engine keeps up to 4 KiB of output per run: the first lines say enough in an error message
            return Optional.of(new HealthCheckRun(last.getExitCodeLong() == null ? -1 : last.getExitCodeLong(),
                    output.length() > 300 ? output.substring(0, 300) + "..." : output));
        } catch (NotFoundException e) {
            return Optional.empty(); // on another node (the manager knows only its own containers), or removed
        }
    }

    static TaskInfo toTaskInfo(JsonNode t) {
        JsonNode status = t.path("Status");
        List<String> addresses = new ArrayList<>();
        Map<String, List<String>> byNetwork = new LinkedHashMap<>();
        for (JsonNode attachment : t.path("NetworksAttachments")) {
            List<String> onThis = new ArrayList<>();
            for (JsonNode cidr : attachment.path("Addresses")) {
                onThis.add(cidr.asText().replaceFirst("/\\d+$", ""));
            }
            addresses.addAll(onThis);
            String network = attachment.path("Network").path("Spec").path("Name").asText("");
            if (!network.isEmpty()) {
                byNetwork.computeIfAbsent(network, n -> new ArrayList<>()).addAll(onThis);
            }
        }
        return new TaskInfo(t.path("ID").asText(), t.path("Slot").asInt(0), t.path("NodeID").asText(null),
                status.path("State").asText("unknown"), t.path("DesiredState").asText("unknown"),
                status.path("Message").asText(null), status.path("Err").asText(null),
                status.path("ContainerStatus").path("ContainerID").asText(null), status.path("Timestamp").asText(null), addresses,
                byNetwork);
    }

    @Override
    public Map<String, List<TaskInfo>> wantedTasks(Collection<String> serviceNames) {
        Map<String, List<TaskInfo>> result = new LinkedHashMap<>();
        serviceNames.forEach(n -> result.put(n, new ArrayList<>()));
        if (serviceNames.isEmpty()) {
            return result;
        }
        // two reads whatever the number of services: their ids (tasks name only those), then their tasks
        Map<String, String> nameById = new HashMap<>();
        for (JsonNode s : raw(DockerHttpClient.Request.Method.GET, "/services" + filter("name", serviceNames.toArray(String[]::new)),
                null, "list services")) {
            String name = s.path("Spec").path("Name").asText();
            if (result.containsKey(name)) { // the name filter matches prefixes too
                nameById.put(s.path("ID").asText(), name);
            }
        }
        if (nameById.isEmpty()) {
            return result;
        }
        for (JsonNode t : raw(DockerHttpClient.Request.Method.GET, "/tasks" + filters(Map.of("service", nameById.keySet(),
                "desired-state", List.of("running"))), null, "list tasks")) {
            String name = nameById.get(t.path("ServiceID").asText());
            if (name != null) {
                result.get(name).add(toTaskInfo(t));
            }
        }
        return result;
    }

    @Override
    public List<ServiceReferences> serviceReferences() {
        List<ServiceReferences> result = new java.util.ArrayList<>();
        for (JsonNode s : raw(DockerHttpClient.Request.Method.GET, "/services", null, "list services")) {
            JsonNode previous = s.path("PreviousSpec");
            result.add(new ServiceReferences(s.path("ID").asText(), s.path("Spec").path("Name").asText(),
                    s.path("CreatedAt").asText(null), refs(s.path("Spec")), previous.isObject() ? refs(previous) : null));
        }
        result.sort(Comparator.comparing(ServiceReferences::name));
        return result;
    }

    private static ServiceReferences.Refs refs(JsonNode spec) {
        JsonNode container = spec.path("TaskTemplate").path("ContainerSpec");
        java.util.Set<String> secretIds = new java.util.HashSet<>();
        java.util.Set<String> secretNames = new java.util.HashSet<>();
        container.path("Secrets").forEach(x -> {
            secretIds.add(x.path("SecretID").asText());
            secretNames.add(x.path("SecretName").asText());
        });
        java.util.Set<String> configIds = new java.util.HashSet<>();
        java.util.Set<String> configNames = new java.util.HashSet<>();
        container.path("Configs").forEach(x -> {
            configIds.add(x.path("ConfigID").asText());
            configNames.add(x.path("ConfigName").asText());
        });
        Map<String, String> labels = JSON.convertValue(spec.path("Labels"),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
        return new ServiceReferences.Refs(container.path("Image").asText(null), labels, secretIds, secretNames, configIds,
                configNames);
    }

    @Override
    public String createGlobalJob(GlobalJob job) {
        ObjectNode body = JSON.createObjectNode();
        body.put("Name", job.name());
        body.set("Labels", JSON.valueToTree(job.labels()));
        ObjectNode task = body.putObject("TaskTemplate");
        ObjectNode container = task.putObject("ContainerSpec");
        container.put("Image", job.image());
        container.set("Command", JSON.valueToTree(job.command()));
        container.set("Env", JSON.valueToTree(job.env()));
        var mounts = container.putArray("Mounts");
        job.binds().forEach((source, target) -> mounts.addObject().put("Type", "bind").put("Source", source).put("Target", target));
        // a job that failed once is reported, not retried in a loop
        task.putObject("RestartPolicy").put("Condition", "none");
        body.putObject("Mode").putObject("GlobalJob");
        return raw(DockerHttpClient.Request.Method.POST, "/services/create", body, "create job " + job.name(),
                registryAuth(job.image())).path("ID").asText();
    }

    @Override
    public String serviceLogs(String serviceId) {
        var text = new ByteArrayOutputStream();
        // docker-java splits Docker's multiplexed stream (or passes a TTY's as it came); bytes are decoded once, at the end
        var frames = new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                text.writeBytes(frame.getPayload());
            }
        };
        call("logs of service " + serviceId, () -> {
            try {
                return docker.logServiceCmd(serviceId).withStdout(true).withStderr(true).exec(frames).awaitCompletion();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("logs of service " + serviceId + ": interrupted", e);
            }
        });
        return text.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int readyNodes() {
        int ready = 0;
        for (JsonNode n : raw(DockerHttpClient.Request.Method.GET, "/nodes", null, "list nodes")) {
            if ("ready".equals(n.path("Status").path("State").asText()) && "active".equals(n.path("Spec").path("Availability").asText())) {
                ready++;
            }
        }
        return ready;
    }

    /** A raw Engine API call; the request body is never echoed into the error. */
    JsonNode raw(DockerHttpClient.Request.Method method, String path, JsonNode body, String what) {
        return raw(method, path, body, what, Map.of());
    }

    /** ... with extra headers (X-Registry-Auth), which, like the body, never appear in an error. */
    JsonNode raw(DockerHttpClient.Request.Method method, String path, JsonNode body, String what, Map<String, String> headers) {
        var builder = DockerHttpClient.Request.builder()
                .method(method)
                .path(connection.apiPrefix() + path);
        headers.forEach(builder::putHeader);
        if (body != null) {
            try {
                builder.putHeader("Content-Type", "application/json")
                        .body(new ByteArrayInputStream(JSON.writeValueAsBytes(body)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        var request = builder.build();
        try (var response = connection.http().execute(request); InputStream in = response.getBody()) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (response.getStatusCode() / 100 != 2) {
                throw typed(response.getStatusCode(), what + ": " + messageOf(text), null);
            }
            return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException(what + ": " + e.getMessage(), e);
        }
    }

    /** One docker-java command, its refusal translated: docker-java's exceptions never leave the gateway. */
    private static <T> T call(String what, Supplier<T> command) {
        try {
            return command.get();
        } catch (DockerException e) {
            // docker-java's message is "Status <code>: " and the engine's body
            String body = String.valueOf(e.getMessage()).replaceFirst("^Status " + e.getHttpStatus() + ": ", "").trim();
            throw typed(e.getHttpStatus(), what + ": " + messageOf(body), e);
        }
    }

    private static void run(String what, Runnable command) {
        call(what, () -> {
            command.run();
            return null;
        });
    }

    /** The engine's words from an error body ({"message": ...}), or the body as it came when it is not JSON. */
    static String messageOf(String body) {
        try {
            return JSON.readTree(body).path("message").asText(body);
        } catch (IOException notJson) {
            return body;
        }
    }

    /** The engine's refusal as the type callers decide on: the one place that reads Docker's statuses and words. */
    static RuntimeException typed(int status, String message, Throwable cause) {
        String m = message.toLowerCase(java.util.Locale.ROOT);
        if (m.contains("update out of sequence")) {
            // Swarm's optimistic concurrency: a stale version index is refused with this message (HTTP 500)
            return new VersionConflictException(message);
        }
        if (status == 404) {
            return new NotFoundException(message, cause);
        }
        // "secret 'x' is in use by the following service: y" (400); a network: "... has active endpoints" (403)
        if (m.contains(" in use") || m.contains("active endpoints")) {
            return new InUseException(status, message, cause);
        }
        if (status == 409) {
            return new AlreadyExistsException(message, cause);
        }
        return new DockerApiException(status, message, cause);
    }
}
