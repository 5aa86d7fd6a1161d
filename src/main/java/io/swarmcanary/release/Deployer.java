package io.swarmcanary.release;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.swarmcanary.UserInputException;
import io.swarmcanary.swarm.AlreadyExistsException;
import io.swarmcanary.swarm.InUseException;
import io.swarmcanary.swarm.NetworkInfo;
import io.swarmcanary.swarm.NotFoundException;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.SecretMount;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.wait.Wait;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Creates one release: content-addressed secrets, then the versioned service, then waits until every task
 * is running and healthy. On failure it removes only what this run created.
 */
public final class Deployer {
    /** How long undoing a deploy retries a secret or config Docker still calls in use. */
    private static final Duration IN_USE_RETRY = Duration.ofSeconds(10);
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private final SwarmGateway swarm;
    private final Clock clock;
    private final Map<String, String> environment;

    public Deployer(SwarmGateway swarm, Clock clock, Map<String, String> environment) {
        this.swarm = swarm;
        this.clock = clock;
        this.environment = environment;
    }

    /** A secret to be mounted: its content-addressed name and value (value kept out of toString). */
    record PlannedSecret(SecretSource source, String name, byte[] value) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A config to be mounted: its content-addressed name and content. */
    record PlannedConfig(ConfigSource source, String name, byte[] content) {}

    /** Plans and applies at once: for callers with nothing to do between the checks and the first change. */
    public DeployResult deploy(ReleaseRequest request, Progress progress) {
        return apply(plan(request, progress), progress);
    }

    /**
     * A release as it would be created: everything checked, nothing changed in the cluster. Secret values stay inside
     * (the printable view is {@link #secrets()}, names only).
     */
    public static final class Plan {
        private final ReleaseRequest request;
        private final List<PlannedSecret> secrets;
        private final NamingKey.Key namingKey;
        private final List<PlannedConfig> configs;
        private final RoutingReport routing;
        private final String specHash;
        private final Optional<ServiceInfo> existing;
        private final ImageResolver.Resolved image;
        private final Map<String, Boolean> secretExists;
        private final Map<String, Boolean> configExists;
        private final Instant started;

        Plan(ReleaseRequest request, List<PlannedSecret> secrets, NamingKey.Key namingKey, List<PlannedConfig> configs,
             RoutingReport routing, String specHash, Optional<ServiceInfo> existing, ImageResolver.Resolved image,
             SwarmGateway swarm, Instant started) {
            this.started = started;
            this.request = request;
            this.secrets = List.copyOf(secrets);
            this.namingKey = namingKey;
            this.configs = List.copyOf(configs);
            this.routing = routing;
            this.specHash = specHash;
            this.existing = existing;
            this.image = image;
            this.secretExists = new LinkedHashMap<>();
            secrets.forEach(x -> secretExists.put(x.name(), swarm.secret(x.name()).isPresent()));
            this.configExists = new LinkedHashMap<>();
            configs.forEach(c -> configExists.put(c.name(), swarm.config(c.name()).isPresent()));
        }

        public ReleaseRequest request() {
            return request;
        }

        /** The image as the service will run it: pinned to its registry digest when the registry has it. */
        public String image() {
            return image.reference();
        }

        /** Whether the release exists already with this definition (a re-run: nothing to create). */
        public boolean exists() {
            return existing.isPresent();
        }

        /** One mounted secret or config: its logical name, the cluster object it maps to, and whether it is new. */
        public record Mounted(String name, String object, String target, boolean create) {}

        /**
         * The secrets by content-addressed name; when the cluster has no naming key yet, the names are made with the
         * key the deploy will store, so a dry run shows no name (object null).
         */
        public List<Mounted> secrets() {
            return secrets.stream().map(x -> new Mounted(x.source().name(), namingKey.stored() ? x.name() : null,
                    "/run/secrets/" + request.options().secretTarget(x.source()).target(), !secretExists.get(x.name()))).toList();
        }

        public List<Mounted> configs() {
            return configs.stream().map(c -> new Mounted(c.source().name(), c.name(), c.source().target().target(),
                    !configExists.get(c.name()))).toList();
        }

        public String defaultRouteNetwork() {
            return routing.defaultRouteNetwork();
        }

        public List<String> warnings() {
            return routing.warnings();
        }
    }

    /** Step 1 of a deploy: everything that can be checked without changing the cluster. */
    public Plan plan(ReleaseRequest request, Progress progress) {
        Instant start = clock.instant();
        Track track = request.track();
        String service = request.serviceName();
        List<PlannedSecret> secrets = new ArrayList<>();
        NamingKey.Key namingKey = request.secrets().isEmpty() ? null : NamingKey.readOrNew(swarm);
        for (SecretSource s : request.secrets()) {
            byte[] value = s.read(environment);
            secrets.add(new PlannedSecret(s, secretName(namingKey.bytes(), track, s, value), value));
        }
        List<PlannedConfig> configs = new ArrayList<>();
        for (ConfigSource c : request.options().configs()) {
            byte[] content = c.read();
            configs.add(new PlannedConfig(c, Names.contentAddressed(track, c.name(), content), content));
        }
        List<NetworkInfo> networks = new ArrayList<>();
        for (String n : request.networks()) {
            networks.add(swarm.network(n).orElseThrow(() -> new UserInputException("network '" + n
                    + "' does not exist; create it (docker network create --driver overlay " + n
                    + ") or fix --network. Nothing was created.")));
        }
        for (NetworkInfo n : networks) {
            if (!"swarm".equals(n.scope())) {
                throw new UserInputException("network '" + n.name() + "' has scope '" + n.scope()
                        + "'; Swarm services need a swarm-scoped network (e.g. an overlay). Nothing was created.");
            }
        }
        RoutingReport routing = RoutingReport.of(networks);
        routing.warnings().forEach(w -> progress.info("warning: " + w));

        ServiceDefinition definition = definition(request, secrets, Map.of(), configs, Map.of());
        String specHash = Names.sha256(canonical(definition)).substring(0, 16);

        Optional<ServiceInfo> existing = swarm.service(service);
        existing.ifPresent(e -> requireSameRelease(e, specHash));
        // the image as the spec will hold it: pinned to its registry digest, with the registry's platforms, when a
        // registry has it. The spec hash stays on the image as requested, so a re-run says "unchanged" (an existing
        // release needs no lookup).
        ImageResolver.Resolved image = existing.isPresent() ? ImageResolver.Resolved.asGiven(request.image())
                : ImageResolver.resolve(swarm, request.image(), request.checkImage(), true, "image",
                        "Nothing was created.", progress);
        return new Plan(request, secrets, namingKey, configs, routing, specHash, existing, image, swarm, start);
    }

    /**
     * Step 2 of a deploy: creates what the plan found missing, remembering what this run created, and waits for the
     * release's tasks; on failure removes only what this run created. A release that exists already is waited for.
     */
    public DeployResult apply(Plan plan, Progress progress) {
        return apply(plan, progress, () -> {});
    }

    /**
     * @param afterCreate a check run right after this run created the release's service (not when it existed already), before
     *                its tasks are awaited: when it throws, what this run created is removed, as on any failure
     */
    public DeployResult apply(Plan plan, Progress progress, Runnable afterCreate) {
        Instant start = plan.started;
        ReleaseRequest request = plan.request;
        Track track = request.track();
        String service = request.serviceName();
        List<PlannedSecret> secrets = plan.secrets;
        NamingKey.Key namingKey = plan.namingKey;
        List<PlannedConfig> configs = plan.configs;
        RoutingReport routing = plan.routing;
        String specHash = plan.specHash;
        Optional<ServiceInfo> existing = plan.existing;
        ImageResolver.Resolved image = plan.image;
        if (existing.isPresent()) {
            return whenExists(request, existing.get(), specHash, secrets, routing, start, progress);
        }

        List<String> createdSecrets = new ArrayList<>();
        List<String> reusedSecrets = new ArrayList<>();
        Map<String, String> secretIds = new LinkedHashMap<>();
        List<String> createdConfigs = new ArrayList<>();
        Map<String, String> configIds = new LinkedHashMap<>();
        boolean createdService = false;
        try {
            for (PlannedConfig c : configs) {
                Optional<io.swarmcanary.swarm.ConfigInfo> found = swarm.config(c.name());
                if (found.isPresent()) {
                    configIds.put(c.name(), found.get().id());
                } else {
                    Map<String, String> labels = Labels.ofTrack(track, Labels.Kind.CONFIG);
                    labels.put(Labels.PREFIX + "config", c.source().name());
                    configIds.put(c.name(), swarm.createConfig(c.name(), c.content(), labels).id());
                    createdConfigs.add(c.name());
                    progress.info("created config " + c.name() + " (mounted at " + c.source().target().target() + ")");
                }
            }
            if (namingKey != null) {
                NamingKey.store(swarm, namingKey); // the first secret ever deployed to this cluster
            }
            for (PlannedSecret s : secrets) {
                Optional<SecretInfo> found = swarm.secret(s.name());
                if (found.isPresent()) {
                    reusedSecrets.add(s.name());
                    secretIds.put(s.name(), found.get().id());
                } else {
                    SecretInfo created = createSecret(track, s);
                    if (created == null) { // someone created the same content at the same moment
                        reusedSecrets.add(s.name());
                        secretIds.put(s.name(), swarm.secret(s.name()).orElseThrow().id());
                    } else {
                        createdSecrets.add(s.name());
                        secretIds.put(s.name(), created.id());
                        progress.info("created secret " + s.name() + " (mounted at /run/secrets/"
                                + request.options().secretTarget(s.source()).target() + ")");
                    }
                }
            }
            ServiceDefinition withIds = definition(request, secrets, secretIds, configs, configIds);
            Map<String, String> labels = new TreeMap<>(withIds.labels());
            labels.put(Labels.SPEC_HASH, specHash);
            ServiceDefinition toCreate = withIds.withLabels(labels).withImage(image.reference(), image.platforms());
            try {
                swarm.createService(toCreate);
                createdService = true;
            } catch (AlreadyExistsException e) { // another run created it first: converge on theirs if it is the same release
                ServiceInfo theirs = swarm.service(service).orElseThrow(() -> e);
                return whenExists(request, theirs, specHash, secrets, routing, start, progress);
            }
            progress.info("created service " + service + " (" + request.replicas() + " replica"
                    + (request.replicas() == 1 ? "" : "s") + ", image " + image.reference() + ")");
            afterCreate.run();
            new TaskWaiter(swarm, clock, Math.max(3, request.replicas() * 2))
                    .awaitRunning(service, request.replicas(), request.timeout(), progress);
        } catch (RuntimeException failure) {
            progress.done();
            try {
                undo(service, createdService, createdSecrets, progress);
                undoConfigs(createdConfigs, progress);
            } catch (RuntimeException notUndone) { // the failure itself is the one to report; what stayed is named with it
                failure.addSuppressed(new IllegalStateException("could not remove all that this run created ("
                        + notUndone.getMessage() + "); 'swarm-canary status' shows the release, 'swarm-canary prune' removes"
                        + " unused secrets and configs", notUndone));
            }
            throw failure;
        }
        return new DeployResult(service, track.name(), request.version(), DeployResult.Outcome.CREATED,
                createdSecrets, reusedSecrets, routing.defaultRouteNetwork(), routing.warnings(),
                Duration.between(start, clock.instant()).toSeconds());
    }

    private DeployResult whenExists(ReleaseRequest request, ServiceInfo existing, String specHash,
                                    List<PlannedSecret> secrets, RoutingReport routing, Instant start, Progress progress) {
        requireSameRelease(existing, specHash);
        progress.info("release " + existing.name() + " already exists with the same definition; nothing to create");
        new TaskWaiter(swarm, clock, Math.max(3, request.replicas() * 2))
                .awaitRunning(existing.name(), request.replicas(), request.timeout(), progress);
        return new DeployResult(existing.name(), request.track().name(), request.version(), DeployResult.Outcome.UNCHANGED,
                List.of(), secrets.stream().map(PlannedSecret::name).toList(), routing.defaultRouteNetwork(),
                routing.warnings(), Duration.between(start, clock.instant()).toSeconds());
    }

    private static void requireSameRelease(ServiceInfo existing, String specHash) {
        if (!Labels.MANAGER.equals(existing.labels().get(Labels.MANAGED_BY))) {
            throw new UserInputException("service '" + existing.name() + "' exists but was not created by swarm-canary;"
                    + " nothing was changed. Remove it or choose another --version.");
        }
        if (!specHash.equals(existing.labels().get(Labels.SPEC_HASH))) {
            throw new UserInputException("release " + existing.name() + " already exists with a different definition"
                    + " (image, replicas, secrets, env, ...); nothing was changed. Releases are immutable: deploy a new --version.");
        }
    }

    /**
     * The keyed name; but a secret of this track created under the old, unkeyed name (a plain SHA-256 prefix of the same
     * value) keeps its name, so releases deployed before keep re-running as "unchanged".
     */
    private String secretName(byte[] key, Track track, SecretSource source, byte[] value) {
        String legacy = Names.contentAddressed(track, source.name(), value);
        boolean legacyExists = swarm.secret(legacy)
                .filter(found -> track.name().equals(found.labels().get(Labels.TRACK))
                        && source.name().equals(found.labels().get(Labels.SECRET)))
                .isPresent();
        return legacyExists ? legacy : Names.secretName(key, track, source.name(), value);
    }

    private SecretInfo createSecret(Track track, PlannedSecret s) {
        Map<String, String> labels = Labels.ofTrack(track, Labels.Kind.SECRET);
        labels.put(Labels.SECRET, s.source().name());
        try {
            return swarm.createSecret(s.name(), s.value(), labels);
        } catch (AlreadyExistsException raced) {
            return null;
        }
    }

    private void undo(String service, boolean createdService, List<String> createdSecrets, Progress progress) {
        if (createdService) {
            progress.info("removing service " + service + " (created by this run)");
            swarm.removeService(service);
        }
        for (String name : createdSecrets) {
            // a secret stays in use until the service's tasks are gone: retry briefly
            retryWhileInUse(() -> {
                swarm.secret(name).ifPresent(s -> swarm.removeSecret(s.id()));
                progress.info("removed secret " + name + " (created by this run)");
            }, progress);
        }
    }

    private void undoConfigs(List<String> createdConfigs, Progress progress) {
        for (String name : createdConfigs) {
            retryWhileInUse(() -> { // in use until the tasks are gone, like secrets
                swarm.config(name).ifPresent(c -> swarm.removeConfig(c.id()));
                progress.info("removed config " + name + " (created by this run)");
            }, progress);
        }
    }

    /** The labels the release's service will carry (the edge routes by them), known before anything is created. */
    public static Map<String, String> serviceLabels(ReleaseRequest r) {
        return definition(r, List.of(), Map.of()).labels();
    }

    static ServiceDefinition definition(ReleaseRequest r, List<PlannedSecret> secrets, Map<String, String> secretIds) {
        return definition(r, secrets, secretIds, List.of(), Map.of());
    }

    static ServiceDefinition definition(ReleaseRequest r, List<PlannedSecret> secrets, Map<String, String> secretIds,
                                        List<PlannedConfig> configs, Map<String, String> configIds) {
        Track track = r.track();
        // the file's labels first: the tool's own labels are its state and must win
        Map<String, String> labels = new TreeMap<>(r.options().serviceLabels());
        labels.putAll(Labels.ofTrack(track, Labels.Kind.RELEASE));
        labels.put(Labels.VERSION, r.version());
        labels.put(Labels.PORT, Integer.toString(r.port()));
        labels.put(Labels.DOMAINS, String.join(",", r.domains()));
        if (r.edge() != null) {
            labels.put(Labels.EDGE, r.edge());
        }
        List<SecretMount> mounts = secrets.stream()
                .map(s -> {
                    ReleaseOptions.MountTarget t = r.options().secretTarget(s.source());
                    return new SecretMount(secretIds.getOrDefault(s.name(), ""), s.name(), t.target(), t.uid(), t.gid(), t.mode());
                })
                .toList();
        List<ServiceDefinition.ConfigMount> configMounts = configs.stream()
                .map(c -> new ServiceDefinition.ConfigMount(configIds.getOrDefault(c.name(), ""), c.name(),
                        c.source().target().target(), c.source().target().uid(), c.source().target().gid(), c.source().target().mode()))
                .toList();
        List<String> health = r.healthCmd() == null || r.healthCmd().isBlank() ? List.of() : List.of("CMD-SHELL", r.healthCmd());
        Map<String, String> containerLabels = new TreeMap<>(r.options().containerLabels());
        containerLabels.put(Labels.TRACK, track.name());
        containerLabels.put(Labels.VERSION, r.version());
        io.swarmcanary.swarm.ServiceOptions options = health.isEmpty() ? r.options().service()
                : r.options().service().withHealth(null); // --health-cmd replaces the file's healthcheck
        return ServiceDefinition.replicated(r.serviceName(), r.image(), r.replicas(), labels, containerLabels,
                r.env(), r.networks(), mounts, health, r.healthStartPeriod(), r.constraints())
                .withOptions(configMounts, r.options().args(), options);
    }

    /** The definition as stable JSON, without secret IDs (names already carry the content hash). */
    private static String canonical(ServiceDefinition d) {
        Map<String, Object> tree = new TreeMap<>();
        tree.put("name", d.name());
        tree.put("image", d.image());
        tree.put("replicas", d.replicas());
        tree.put("labels", new TreeMap<>(d.labels()));
        tree.put("containerLabels", new TreeMap<>(d.containerLabels()));
        tree.put("env", d.env());
        tree.put("networks", d.networks());
        tree.put("secrets", d.secrets().stream().map(m -> m.secretName() + "@" + m.target()).toList());
        tree.put("healthCmd", d.healthCmd());
        tree.put("healthStartPeriod", String.valueOf(d.healthStartPeriod()));
        tree.put("constraints", d.constraints());
        // fields a stack file may add: only when present, so releases deployed before them keep their hash
        if (d.secrets().stream().anyMatch(m -> !m.defaultFile())) {
            tree.put("secretFiles", d.secrets().stream().map(m -> m.target() + ":" + m.uid() + ":" + m.gid() + ":" + m.mode()).toList());
        }
        if (!d.configs().isEmpty()) {
            tree.put("configs", d.configs().stream().map(c -> c.configName() + "@" + c.target() + ":" + c.uid() + ":" + c.gid()
                    + ":" + c.mode()).toList());
        }
        if (!d.args().isEmpty()) {
            tree.put("args", d.args());
        }
        io.swarmcanary.swarm.ServiceOptions o = d.options();
        if (!o.equals(io.swarmcanary.swarm.ServiceOptions.NONE)) {
            // a record's text: every field, in a fixed order; the capabilities, which came later, apart and only when
            // given, so releases deployed before them keep their hash
            tree.put("options", o.toString().replace(", capabilityAdd=" + o.capabilityAdd() + ", capabilityDrop="
                    + o.capabilityDrop() + "]", "]"));
        }
        if (!o.capabilityAdd().isEmpty() || !o.capabilityDrop().isEmpty()) {
            tree.put("capabilities", new TreeMap<>(Map.of("add", o.capabilityAdd(), "drop", o.capabilityDrop())));
        }
        try {
            return CANONICAL.writeValueAsString(tree);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs a removal until it succeeds, for about ten seconds while Docker calls the object in use (its tasks still stop);
     * then gives up, as on any other refusal: the deploy's own failure is what gets reported.
     */
    private void retryWhileInUse(Runnable removal, Progress progress) {
        try {
            Wait.upTo(IN_USE_RETRY, clock).every(Duration.ofMillis(250)).until(elapsed -> {
                try {
                    removal.run();
                    return Optional.of(true);
                } catch (InUseException inUse) {
                    return Optional.<Boolean>empty();
                } catch (NotFoundException gone) {
                    return Optional.of(true);
                } catch (RuntimeException other) {
                    progress.info("could not undo: " + other.getMessage());
                    return Optional.of(false);
                }
            });
        } catch (IllegalStateException interrupted) {
            // the interrupt flag stays set; the deploy's own failure is what gets reported, not this
        }
    }
}
