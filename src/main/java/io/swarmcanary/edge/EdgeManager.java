package io.swarmcanary.edge;

import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.EnvoyConfigValidator;
import io.swarmcanary.envoy.ReleaseRoute;
import io.swarmcanary.envoy.TrackRoutes;
import io.swarmcanary.envoy.ValidationResult;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.DomainNames;
import io.swarmcanary.release.ImageResolver;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Names;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.NetworkInfo;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.xds.ControlPlaneClient;
import io.swarmcanary.xds.XdsStatus;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The edge: the Envoy service, its route table (a label) and its generated config (a content-addressed
 * Swarm config). Every change is rendered, validated, then applied as one service update carrying the
 * version index it was read at, and verified against the live Envoy before returning.
 */
public final class EdgeManager {
    public static final String ROUTE_TABLE = Labels.PREFIX + "route-table";
    public static final String SETTINGS = Labels.PREFIX + "edge-settings";
    public static final String EDGE = Labels.EDGE;
    public static final String CONFIG = Labels.PREFIX + "config";
    public static final String REVISION = Labels.PREFIX + "revision";
    static final String CONFIG_TARGET = "/etc/envoy/envoy.yaml";
    /** Inside the control plane's container; published on the edge's xds status port. */
    static final int CONTROL_PLANE_STATUS_PORT = 18001;
    /** The way back gets its own, longer wait; tests make it short. */
    Duration restoreTimeout = Duration.ofMinutes(3);
    /** Envoy re-resolves tasks.<service> every 5s: a release that runs is found within two rounds. */
    private static final Duration HOSTS_WARN_TIMEOUT = Duration.ofSeconds(12);
    /** Writes of other tracks in between are normal on a shared edge: re-read and re-apply this many times. */
    static final int MAX_WRITE_ATTEMPTS = 8;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(3);
    /** The first back-off; tests make it short. */
    Duration retryBase = Duration.ofMillis(200);

    private final SwarmGateway swarm;
    private final EdgeProbe probe;
    private final Clock clock;
    private final Duration convergeTimeout;
    private final EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withStatsHost();
    private final EnvoyConfigValidator validator = new EnvoyConfigValidator();
    private final XdsConfig xds = new XdsConfig();
    private final ControlPlaneClient controlPlane;

    public EdgeManager(SwarmGateway swarm, EdgeProbe probe, Clock clock, Duration convergeTimeout) {
        this(swarm, probe, ControlPlaneClient.NONE, clock, convergeTimeout);
    }

    /** @param controlPlane how an xds edge's control plane is asked what every Envoy has ACKed */
    public EdgeManager(SwarmGateway swarm, EdgeProbe probe, ControlPlaneClient controlPlane, Clock clock,
                       Duration convergeTimeout) {
        this.swarm = swarm;
        this.probe = probe;
        this.controlPlane = controlPlane;
        this.clock = clock;
        this.convergeTimeout = convergeTimeout;
    }

    /** The edge as read from the cluster. */
    public record EdgeState(ServiceInfo service, EdgeSettings settings, RouteTable routes) {}

    /**
     * A rendered, validated config for an edge, not yet applied.
     *
     * @param yaml      the full config (what redeploy ships; what the control plane of an xds edge serves from)
     * @param bootstrap the file Envoy starts with: {@code yaml} for redeploy, the static xDS bootstrap for xds
     */
    public record Plan(EdgeSettings settings, RouteTable routes, EdgeRoutes edgeRoutes, String yaml, String revision,
                       List<String> warnings, String bootstrap, Map<String, String> unrouted) {
        /**
         * @param unrouted tracks left out of the config because they cannot be routed (a domain another track had first,
         *                 a reserved host, an invalid name...), with the reason: every other track is still served
         */
        public Plan {
            unrouted = Map.copyOf(unrouted);
        }
    }

    public record Result(String edge, String outcome, String revision, String config, Map<String, Map<String, Integer>> weights,
                         List<String> warnings, long seconds) {}

    public Optional<EdgeState> read(String edge) {
        return swarm.service(edge).map(s -> {
            if (!"edge".equals(s.labels().get(Labels.KIND))) {
                throw new UserInputException("service '" + edge + "' exists but is not an edge managed by swarm-canary;"
                        + " nothing was changed. Choose another --edge name.");
            }
            return new EdgeState(s, EdgeSettings.fromJson(s.labels().get(SETTINGS)), RouteTable.fromJson(s.labels().get(ROUTE_TABLE)));
        });
    }

    public EdgeState require(String edge) {
        return read(edge).orElseThrow(() -> new UserInputException("edge '" + edge + "' does not exist; create it with"
                + " 'swarm-canary edge ensure --edge " + edge + "'. Nothing was changed."));
    }

    /** Creates or updates the Envoy service with these settings, keeping its route table. */
    public Result ensure(EdgeSettings requested, Optional<String> template, boolean checkImage, Progress progress) {
        Instant start = clock.instant();
        Optional<EdgeState> current = read(requested.name());
        EdgeSettings settings = requested;
        if (requested.delivery() == null) { // not asked for: keep the edge's
            EdgeSettings kept = current.map(EdgeState::settings).orElse(null);
            settings = kept != null && kept.usesXds()
                    ? settings.withDelivery(EdgeSettings.XDS, requested.xds() != null ? requested.xds() : kept.xds())
                    : settings.withDelivery(EdgeSettings.REDEPLOY, null);
        }
        if (template.isPresent()) {
            byte[] bytes = template.get().getBytes(StandardCharsets.UTF_8);
            settings = settings.withTemplate(requested.name() + "-template-" + Names.sha256(bytes).substring(0, 12));
        } else if (current.isPresent() && requested.templateConfig() == null) {
            settings = settings.withTemplate(current.get().settings().templateConfig());
        }
        if (requested.forceCanary() == null) { // not asked for: keep the edge's, off for a new one
            settings = settings.withForceCanary(current.map(c -> c.settings().forcesCanary()).orElse(false));
        }
        for (String n : settings.networks()) {
            Optional<NetworkInfo> network = swarm.network(n);
            if (network.isEmpty() && !n.equals(defaultNetwork(settings.name()))) {
                throw new UserInputException("network '" + n + "' does not exist; create it (docker network create"
                        + " --driver overlay --attachable " + n + ") or fix --network. Nothing was changed.");
            }
        }
        // the registry is asked with this run's login (a wrong one is exit 2 naming the registry, even with
        // --no-image-check: the nodes could not pull either), then the node
        ImageResolver.resolve(swarm, settings.image(), checkImage, false, "image", "Nothing was changed.", progress);
        if (settings.usesXds()) {
            ImageResolver.resolve(swarm, settings.xds().image(), checkImage, false, "control plane image",
                    "Build it (docker build -t " + settings.xds().image() + " .) or pass --control-plane-image. Nothing was changed.",
                    progress);
        }
        RouteTable routes = current.map(EdgeState::routes).orElse(RouteTable.empty());
        // render and validate before touching anything
        Plan plan = plan(settings, routes, template, releasesByTrack(settings.name()));
        if (EdgeKey.read(swarm).isEmpty()) { // the key Envoy checks tokens with, made once valid input is certain
            EdgeKey.of(swarm);
            plan = plan(settings, routes, template, releasesByTrack(settings.name()));
        }
        for (String n : settings.networks()) {
            if (swarm.network(n).isEmpty()) {
                progress.info("creating overlay network " + n);
                swarm.createOverlayNetwork(n, Map.of(Labels.MANAGED_BY, Labels.MANAGER, EDGE, settings.name()));
            }
        }
        if (template.isPresent() && swarm.config(settings.templateConfig()).isEmpty()) {
            swarm.createConfig(settings.templateConfig(), template.get().getBytes(StandardCharsets.UTF_8),
                    Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, "envoy-template", EDGE, settings.name()));
        }
        if (settings.usesXds()) {
            ensureControlPlane(settings, progress); // before Envoy, which connects to it on start
        }
        Result result;
        for (int attempt = 1; ; attempt++) {
            try {
                result = apply(current, plan, new SettingsWrite(current.map(EdgeState::settings).orElse(null), settings),
                        start, progress);
                break;
            } catch (StaleRead stale) {
                Optional<EdgeState> now = read(requested.name());
                // a track's write in between is normal: keep it and write the settings again on top of it
                if (attempt >= MAX_WRITE_ATTEMPTS || now.isEmpty() || current.isEmpty()
                        || !now.get().settings().equals(current.get().settings())) {
                    throw new ConflictException("someone else changed edge " + requested.name() + "'s settings meanwhile;"
                            + " nothing of this run was applied. Check 'swarm-canary status' and re-run.");
                }
                progress.info("edge " + requested.name() + " was changed by a track's update meanwhile; reading it again");
                backOff(attempt);
                current = now;
                plan = plan(settings, now.get().routes(), template, releasesByTrack(settings.name()));
            }
        }
        if (!settings.usesXds()) {
            swarm.service(XdsConfig.controlPlaneService(settings.name()))
                    .filter(s -> "control-plane".equals(s.labels().get(Labels.KIND)))
                    .ifPresent(s -> {
                        progress.info("removing control plane " + s.name() + ": the edge is back on delivery redeploy");
                        swarm.removeService(s.id());
                    });
        }
        return result;
    }

    /**
     * Creates or updates the control plane of an xds edge: one task on a manager (it reads the cluster
     * through the mounted docker.sock), on the edge's networks, its status endpoint published in host mode.
     * An unchanged spec does not restart it.
     */
    private void ensureControlPlane(EdgeSettings settings, Progress progress) {
        String name = XdsConfig.controlPlaneService(settings.name());
        Map<String, String> labels = Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, "control-plane",
                EDGE, settings.name());
        ServiceDefinition definition = new ServiceDefinition(name, settings.xds().image(), 1, labels, labels, List.of(),
                settings.networks(), List.of(), List.of(), null, List.of("node.role==manager"), false,
                List.of(new ServiceDefinition.PublishedPort(settings.xds().statusPort(), CONTROL_PLANE_STATUS_PORT)),
                List.of(),
                List.of("control-plane", "--edge", settings.name(), "--port", String.valueOf(XdsConfig.DEFAULT_GRPC_PORT),
                        "--status-port", String.valueOf(CONTROL_PLANE_STATUS_PORT)),
                List.of(new ServiceDefinition.BindMount("/var/run/docker.sock", "/var/run/docker.sock", false)));
        Optional<ServiceInfo> existing = swarm.service(name);
        if (existing.isPresent() && !"control-plane".equals(existing.get().labels().get(Labels.KIND))) {
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

    /** How a change computes a track's new entry from what the edge holds now. */
    @FunctionalInterface
    public interface TrackChange {
        /**
         * @param current  the track's entry in the route table, null when it has none
         * @param releases the track's releases on this edge, oldest first
         */
        RouteTable.TrackEntry apply(RouteTable.TrackEntry current, List<ServiceInfo> releases);
    }

    /**
     * Changes a track's weights on the edge; returns once the live Envoy serves them (or a later revision that still
     * carries them). Only this track's entry is written: each attempt reads the edge afresh and writes with that read's
     * version index, so another track's change in between is kept and this one is re-applied on top of it; a change of
     * this same track in between is a conflict (exit 3).
     */
    public Result updateTrack(String edge, String track, TrackChange change, Progress progress) {
        return updateTrack(edge, track, change, HostCheck.REQUIRE, progress);
    }

    /**
     * What to do when a change gives traffic to a release in which the live Envoy has not found a healthy task
     * yet: REQUIRE waits for it and fails without changing anything; WARN (the way back) waits briefly, then goes on.
     */
    public enum HostCheck { REQUIRE, WARN }

    public Result updateTrack(String edge, String track, TrackChange change, HostCheck hostCheck, Progress progress) {
        Instant start = clock.instant();
        EdgeState first = require(edge);
        Map<String, List<ServiceInfo>> firstReleases = releasesByTrack(edge);
        RouteTable.TrackEntry expected = first.routes().tracks().get(track);
        RouteTable.TrackEntry intended = change.apply(expected, firstReleases.getOrDefault(track, List.of()));
        List<String> gaining = gainingTraffic(firstReleases.getOrDefault(track, List.of()), expected, intended);
        if (!gaining.isEmpty()) {
            // Envoy finds a release's tasks by DNS (tasks.<service>, re-resolved every few seconds): weight given
            // before that is answered "503 no healthy upstream". The write below reads the edge afresh: no read is
            // held open across this wait, so other tracks' writes meanwhile cost nothing.
            awaitHealthyHosts(first.settings(), gaining, hostCheck, progress);
        }
        for (int attempt = 1; ; attempt++) {
            // the first read serves the first attempt, unless a wait for healthy hosts came in between
            boolean fresh = attempt == 1 && gaining.isEmpty();
            EdgeState state = fresh ? first : require(edge);
            RouteTable.TrackEntry current = state.routes().tracks().get(track);
            // someone else wrote this track in between: a conflict, unless they wrote just what this run would
            if (!Objects.equals(current, expected) && !Objects.equals(current, intended)) {
                throw new ConflictException("track " + track + " was changed by someone else meanwhile (its entry on edge "
                        + edge + " is now " + describe(current) + ", was " + describe(expected) + "); nothing of this run"
                        + " was applied. Check 'swarm-canary status' and re-run.");
            }
            Map<String, List<ServiceInfo>> releases = fresh ? firstReleases : releasesByTrack(edge);
            RouteTable.TrackEntry entry = fresh ? intended : change.apply(current, releases.getOrDefault(track, List.of()));
            Plan plan = plan(state.settings(), state.routes().with(track, entry), Optional.empty(), releases);
            String unrouted = plan.unrouted().get(track);
            if (unrouted != null && entry != null) {
                if (hostCheck == HostCheck.REQUIRE) {
                    throw new UserInputException("edge " + edge + " cannot route track " + track + ": " + unrouted
                            + ". Nothing was changed; every other track is served as before.");
                }
                progress.info("warning: edge " + edge + " cannot route track " + track + ": " + unrouted);
            }
            try {
                return apply(Optional.of(state), plan, new TrackWrite(track, current, entry), start, progress);
            } catch (StaleRead stale) {
                if (attempt >= MAX_WRITE_ATTEMPTS) {
                    throw new ConflictException("edge " + edge + " kept changing under " + attempt + " attempts to write"
                            + " track " + track + " (other tracks' updates); nothing of this run was applied. Re-run.");
                }
                progress.info("edge " + edge + " was changed by another update meanwhile; reading it again and"
                        + " re-applying track " + track + " (attempt " + (attempt + 1) + ")");
                backOff(attempt);
            }
        }
    }

    private static String describe(RouteTable.TrackEntry entry) {
        return entry == null ? "none" : "weights " + entry.weights() + (entry.canary() == null ? "" : ", canary " + entry.canary());
    }

    /** Exponential back-off with jitter, so that writers who collided do not collide again in step. */
    private void backOff(int attempt) {
        long base = Math.min(retryBase.toMillis() << Math.min(attempt - 1, 6), MAX_BACKOFF.toMillis());
        long millis = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to write the edge again");
        }
    }

    /** Releases that exist, have no traffic under the current entry and get some under the new one. */
    static List<String> gainingTraffic(List<ServiceInfo> releases, RouteTable.TrackEntry current, RouteTable.TrackEntry next) {
        if (next == null) {
            return List.of();
        }
        Map<String, Integer> before = effectiveWeights(releases, current);
        Map<String, Integer> after = effectiveWeights(releases, next);
        return after.entrySet().stream()
                .filter(e -> e.getValue() > 0 && before.getOrDefault(e.getKey(), 0) == 0)
                .map(Map.Entry::getKey).toList();
    }

    /**
     * Waits until the live Envoy has a healthy host in each of these release clusters, as its own stats say
     * ({@code membership_healthy} through the stats host).
     */
    public void awaitHealthyHosts(String edge, List<String> services, HostCheck hostCheck, Progress progress) {
        awaitHealthyHosts(require(edge).settings(), services, hostCheck, progress);
    }

    private void awaitHealthyHosts(EdgeSettings settings, List<String> services, HostCheck hostCheck, Progress progress) {
        Duration timeout = hostCheck == HostCheck.REQUIRE ? convergeTimeout : HOSTS_WARN_TIMEOUT;
        Instant deadline = clock.instant().plus(timeout);
        while (true) {
            Optional<Map<String, Long>> healthy = probe.healthyHosts(settings.port(), services);
            if (healthy.isEmpty()) {
                progress.info("note: cannot read the stats of the live Envoy of edge " + settings.name()
                        + " (no stats host in its config, or no answer on port " + settings.port()
                        + "); not checking that it has found the tasks of " + String.join(", ", services));
                return;
            }
            List<String> missing = services.stream().filter(s -> healthy.get().getOrDefault(s, 0L) == 0).toList();
            if (missing.isEmpty()) {
                progress.done();
                return;
            }
            String waiting = "waiting for edge " + settings.name() + " to find a healthy task of " + String.join(", ", missing)
                    + " before it gets traffic";
            progress.waiting(waiting);
            if (clock.instant().isAfter(deadline)) {
                progress.done();
                String why = "the live Envoy of edge " + settings.name() + " has found no healthy task of "
                        + String.join(", ", missing) + " within " + timeout.toSeconds() + "s";
                if (hostCheck == HostCheck.WARN) {
                    progress.info("warning: " + why + "; going on, because this is the way back");
                    return;
                }
                throw new IllegalStateException(why + ". Nothing was changed: traffic stays where it was. Check the"
                        + " release's tasks ('docker service ps " + missing.get(0) + "') and that they pass their health"
                        + " check and share a network with the edge.");
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the edge");
            }
        }
    }

    /** The config the edge would run now, rendered from the cluster. */
    public Plan currentPlan(String edge) {
        EdgeState state = require(edge);
        return plan(state.settings(), state.routes(), Optional.empty(), releasesByTrack(edge));
    }

    /**
     * A domain belongs to one track: refuses domains whose host (case, trailing dot and port aside) another track on
     * this edge already has.
     */
    public void requireDomainsFree(String edge, String track, List<String> domains) {
        for (Map.Entry<String, List<ServiceInfo>> other : releasesByTrack(edge).entrySet()) {
            if (other.getKey().equals(track)) {
                continue;
            }
            for (ServiceInfo release : other.getValue()) {
                for (String theirs : Labels.domains(release.labels())) {
                    for (String domain : domains) {
                        if (DomainNames.host(domain).equals(DomainNames.host(theirs))) {
                            throw new UserInputException("domain " + domain + " is already routed to track " + other.getKey()
                                    + " on edge " + edge + " (as " + theirs + "); a domain belongs to one track. Nothing was"
                                    + " created.");
                        }
                    }
                }
            }
        }
    }

    /**
     * Renders and validates the edge as it would be with this release of the track on it, before anything is created:
     * a release the edge could not route is refused (exit 2), so one deploy can never break the edge for the others.
     */
    public void requireRoutable(String edge, String track, ServiceInfo release) {
        EdgeState state = require(edge);
        Map<String, List<ServiceInfo>> releases = new TreeMap<>(releasesByTrack(edge));
        List<ServiceInfo> mine = new ArrayList<>(releases.getOrDefault(track, List.of()));
        mine.removeIf(r -> r.name().equals(release.name()));
        RouteTable.TrackEntry current = state.routes().tracks().get(track);
        Map<String, Integer> weights = new TreeMap<>(effectiveWeights(Lifecycle.live(current, mine), current));
        mine.add(release);
        releases.put(track, mine);
        weights.put(release.name(), weights.values().stream().mapToInt(Integer::intValue).sum() > 0 ? 0 : 100);
        RouteTable.TrackEntry entry = new RouteTable.TrackEntry(weights, release.name());
        Plan plan;
        try {
            plan = plan(state.settings(), state.routes().with(track, entry), Optional.empty(), releases);
        } catch (UserInputException e) {
            throw new UserInputException("edge " + edge + " could not serve " + release.name() + ": " + e.getMessage()
                    + "\nNothing was created.");
        }
        String why = plan.unrouted().get(track);
        if (why != null) {
            throw new UserInputException("edge " + edge + " could not route " + release.name() + " of track " + track + ": "
                    + why + ". Nothing was created; every other track is served as before.");
        }
    }

    /**
     * How the edge's config reaches Envoy and whether every Envoy has it. For xds: what the control plane
     * says about each Envoy's ACKs; {@code upToDate} is true when every running Envoy task has ACKed the
     * revision in the edge's labels.
     */
    public record DeliveryStatus(String edge, String delivery, String revision, long envoyTasks, String controlPlane,
                                 Integer statusPort, boolean controlPlaneAnswering, Long connected, Long ackedRevision,
                                 String readError, List<String> rejections, boolean upToDate) {
        public String describe() {
            if (!EdgeSettings.XDS.equals(delivery)) {
                return "edge " + edge + ": delivery " + delivery + ", revision " + revision + ", " + envoyTasks + " Envoy tasks";
            }
            if (!controlPlaneAnswering) {
                return "edge " + edge + ": delivery xds, revision " + revision + ", control plane " + controlPlane
                        + " not answering on port " + statusPort + " (Envoy keeps its last config)";
            }
            return "edge " + edge + ": delivery xds, revision " + revision + ", control plane " + controlPlane + ": "
                    + connected + "/" + envoyTasks + " Envoys connected, " + ackedRevision + " up to date"
                    + (upToDate ? "" : " (NOT up to date)")
                    + (readError == null ? "" : "; cannot read the edge: " + readError)
                    + (rejections.isEmpty() ? "" : "; rejected: " + String.join("; ", rejections));
        }
    }

    public DeliveryStatus deliveryStatus(EdgeState state) {
        EdgeSettings settings = state.settings();
        String revision = state.service().labels().get(REVISION);
        long envoys = swarm.tasks(settings.name()).stream().filter(t -> t.wanted() && t.running()).count();
        if (!settings.usesXds()) {
            return new DeliveryStatus(settings.name(), settings.delivery(), revision, envoys, null, null, false, null, null,
                    null, List.of(), true);
        }
        Optional<XdsStatus> status = controlPlane.status(settings.xds().statusPort());
        long acked = status.map(s -> s.envoys().stream().filter(e -> revision != null && revision.equals(e.routesVersion())
                && e.upToDate(s)).count()).orElse(0L);
        return new DeliveryStatus(settings.name(), settings.delivery(), revision, envoys,
                XdsConfig.controlPlaneService(settings.name()), settings.xds().statusPort(), status.isPresent(),
                status.map(s -> (long) s.envoys().size()).orElse(null), status.isPresent() ? acked : null,
                status.map(XdsStatus::readError).orElse(null),
                status.map(s -> s.envoys().stream().filter(e -> e.nack() != null).map(e -> e.address() + ": " + e.nack()).toList())
                        .orElse(List.of()),
                status.isPresent() && envoys > 0 && acked >= envoys);
    }

    public static String defaultNetwork(String edge) {
        return edge + "-net";
    }

    /** Releases routed by this edge, by track, oldest first. */
    public Map<String, List<ServiceInfo>> releasesByTrack(String edge) {
        Map<String, String> filter = new TreeMap<>(Labels.allReleases());
        filter.put(EDGE, edge);
        Map<String, List<ServiceInfo>> byTrack = new TreeMap<>();
        for (ServiceInfo s : swarm.services(filter)) {
            byTrack.computeIfAbsent(s.labels().get(Labels.TRACK), k -> new ArrayList<>()).add(s);
        }
        byTrack.values().forEach(l -> l.sort(Comparator.comparing(ServiceInfo::createdAt).thenComparing(ServiceInfo::name)));
        return byTrack;
    }

    /** Weights in force for a track: the route table's, or 100 on the newest release when it has none. */
    public static Map<String, Integer> effectiveWeights(List<ServiceInfo> releases, RouteTable.TrackEntry entry) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        if (entry != null) {
            releases.forEach(r -> weights.put(r.name(), entry.weights().getOrDefault(r.name(), 0)));
            if (weights.values().stream().mapToInt(Integer::intValue).sum() > 0) {
                return weights;
            }
            weights.clear();
        }
        releases.forEach(r -> weights.put(r.name(), 0));
        if (!releases.isEmpty()) {
            weights.put(releases.get(releases.size() - 1).name(), 100);
        }
        return weights;
    }

    Plan plan(EdgeSettings settings, RouteTable routes, Optional<String> newTemplate,
              Map<String, List<ServiceInfo>> releasesByTrack) {
        List<String> warnings = new ArrayList<>();
        List<TrackRoutes> tracks = new ArrayList<>();
        Map<String, Map<String, String>> claimed = new HashMap<>(); // track -> domain -> since when it has it
        releasesByTrack.forEach((track, all) -> {
            RouteTable.TrackEntry entry = routes.tracks().get(track);
            // a release being removed by a rollback gets no traffic, not even as a fallback
            List<ServiceInfo> releases = Lifecycle.live(entry, all);
            if (releases.isEmpty()) {
                return;
            }
            // ...but over xds keeps its cluster, at weight 0, until its service is gone: make before break. Envoy may
            // apply a new route table and the clusters it names in either order, and a cluster removed while a route
            // still names it answers 503 NC; a weight-0 member is never chosen, so removing it later is safe in any
            // order. A redeploy edge swaps its whole config at once and needs no such step.
            List<ServiceInfo> leaving = !settings.usesXds() ? List.of()
                    : all.stream().filter(r -> !releases.contains(r)).toList();
            TreeSet<String> domains = new TreeSet<>();
            releases.forEach(r -> domains.addAll(Labels.domains(r.labels())));
            if (domains.isEmpty()) {
                warnings.add("track " + track + " has no --domain: Envoy does not route to it");
                return;
            }
            Map<String, Integer> weights = effectiveWeights(releases, entry);
            // forcing is opt-in: without it no route reaches the canary but its weight
            String canary = settings.forcesCanary() && entry != null && entry.canary() != null
                    && weights.containsKey(entry.canary()) ? entry.canary() : null;
            List<ReleaseRoute> rr = java.util.stream.Stream.concat(releases.stream(), leaving.stream())
                    .map(r -> new ReleaseRoute(r.name(), r.labels().get(Labels.VERSION),
                            Integer.parseInt(r.labels().getOrDefault(Labels.PORT, "80")), weights.getOrDefault(r.name(), 0)))
                    .toList();
            ServiceInfo first = releases.get(0);
            TrackRoutes routesOfTrack = new TrackRoutes(first.labels().get(Labels.APP), first.labels().get(Labels.ENV),
                    List.copyOf(domains), rr, canary);
            tracks.add(routesOfTrack);
            Map<String, String> since = new HashMap<>();
            releases.forEach(r -> Labels.domains(r.labels()).forEach(d -> since.merge(d, r.createdAt(),
                    (a, b) -> a.compareTo(b) <= 0 ? a : b)));
            claimed.put(routesOfTrack.name(), since);
        });
        Map<String, String> unrouted = new TreeMap<>();
        List<TrackRoutes> served = routable(tracks, claimed, unrouted);
        unrouted.forEach((track, why) -> warnings.add("track " + track + " is not routed: " + why
                + "; every other track is served"));
        String templateText = newTemplate.orElseGet(() -> settings.templateConfig() == null ? null
                : new String(swarm.config(settings.templateConfig()).map(ConfigInfo::data)
                        .orElseThrow(() -> new IllegalStateException("the edge's template config " + settings.templateConfig()
                                + " is missing; re-run 'edge ensure --template FILE'")), StandardCharsets.UTF_8));
        EdgeRoutes edgeRoutes = new EdgeRoutes(EdgeSettings.LISTENER_PORT, null, served);
        // the revision names the config without itself in it, so the config is rendered once to hash, once to ship
        // Envoy checks tokens with the cluster's edge key; without one (an edge no ensure of this version has seen) no
        // token is accepted: no stats host, no forcing
        Optional<String> jwks = EdgeKey.read(swarm).map(EdgeKey::publicJwks);
        EnvoyConfigRenderer renderer = jwks.map(this.renderer::withEdgeKey).orElse(this.renderer);
        String revision = Names.sha256(renderer.render(edgeRoutes, Optional.ofNullable(templateText))).substring(0, 12);
        String yaml = renderer.render(edgeRoutes.withRevision(revision), Optional.ofNullable(templateText));
        ValidationResult validation = validator.validate(yaml);
        if (!validation.isValid()) {
            throw new UserInputException("the generated Envoy config is invalid, so it was not applied; the live edge is"
                    + " untouched:\n" + validation.describe());
        }
        // an xds Envoy starts from a bootstrap without the route table: that comes from the control plane
        String bootstrap = !settings.usesXds() ? yaml : xds.bootstrap(settings.name(), EdgeSettings.LISTENER_PORT,
                Optional.ofNullable(templateText), "tasks." + XdsConfig.controlPlaneService(settings.name()),
                XdsConfig.DEFAULT_GRPC_PORT, jwks);
        if (settings.usesXds()) {
            ValidationResult bootstrapValidation = validator.validate(bootstrap);
            if (!bootstrapValidation.isValid()) {
                throw new UserInputException("the xDS bootstrap for this edge is invalid, so it was not applied; the live"
                        + " edge is untouched:\n" + bootstrapValidation.describe());
            }
        }
        return new Plan(settings, routes, edgeRoutes, yaml, revision, List.copyOf(warnings), bootstrap, unrouted);
    }

    /**
     * The tracks the edge can route: each valid on its own, no reserved host, and each domain with the track that has
     * had it longest (a later claimant is the one left out). One track's bad state never takes the others down.
     */
    static List<TrackRoutes> routable(List<TrackRoutes> tracks, Map<String, Map<String, String>> claimed,
                                      Map<String, String> unrouted) {
        Map<String, String> owner = new HashMap<>();  // domain as Envoy compares it -> track
        Map<String, String> ownerSince = new HashMap<>();
        List<TrackRoutes> candidates = new ArrayList<>();
        for (TrackRoutes track : tracks) {
            Optional<String> problem = EnvoyConfigRenderer.problemOf(track);
            if (problem.isEmpty()) {
                problem = track.domains().stream().filter(DomainNames::isReserved).findFirst()
                        .map(d -> "domain " + d + " is reserved for the edge itself");
            }
            if (problem.isPresent()) {
                unrouted.put(track.name(), problem.get());
                continue;
            }
            candidates.add(track);
            for (String domain : track.domains()) {
                String key = DomainNames.normalize(domain);
                String since = claimed.getOrDefault(track.name(), Map.of()).getOrDefault(domain, "");
                String other = owner.get(key);
                if (other == null || since.compareTo(ownerSince.get(key)) < 0
                        || (since.equals(ownerSince.get(key)) && track.name().compareTo(other) < 0)) {
                    owner.put(key, track.name());
                    ownerSince.put(key, since);
                }
            }
        }
        List<TrackRoutes> result = new ArrayList<>();
        for (TrackRoutes track : candidates) {
            Optional<String> taken = track.domains().stream()
                    .filter(d -> !owner.get(DomainNames.normalize(d)).equals(track.name())).findFirst();
            if (taken.isPresent()) {
                unrouted.put(track.name(), "domain " + taken.get() + " is routed to track "
                        + owner.get(DomainNames.normalize(taken.get())) + ", which had it first");
            } else {
                result.add(track);
            }
        }
        return result;
    }

    private Result apply(Optional<EdgeState> current, Plan plan, Write ours, Instant start, Progress progress) {
        EdgeSettings settings = plan.settings();
        plan.warnings().forEach(w -> progress.info("warning: " + w));
        Map<String, Map<String, Integer>> weights = weightsByVersion(plan);
        if (current.isPresent()
                && plan.revision().equals(current.get().service().labels().get(REVISION))
                && settings.equals(current.get().settings())
                && plan.routes().equals(current.get().routes())) {
            progress.info("edge " + settings.name() + " already has revision " + plan.revision() + "; nothing to change");
            awaitConverged(settings, plan.revision(), ours, progress); // a re-run after a kill waits for what the first run started
            return new Result(settings.name(), "unchanged", plan.revision(), current.get().service().labels().get(CONFIG),
                    weights, plan.warnings(), Duration.between(start, clock.instant()).toSeconds());
        }
        ConfigInfo config = configOf(plan);
        String configName = config.name();
        if (current.isEmpty()) {
            progress.info("creating edge " + settings.name() + " (Envoy, global, port " + settings.port() + ")");
            swarm.createService(definition(settings, plan.routes(), config, plan.revision()));
            awaitConverged(settings, plan.revision(), ours, progress);
            return new Result(settings.name(), "created", plan.revision(), configName, weights, plan.warnings(),
                    Duration.between(start, clock.instant()).toSeconds());
        }
        progress.info("updating edge " + settings.name() + " to revision " + plan.revision() + " (config " + configName + ")");
        write(current.get(), plan, config);
        try {
            awaitConverged(settings, plan.revision(), ours, progress);
        } catch (Superseded later) {
            throw later; // a later writer replaced this very change: theirs stands, nothing to put back
        } catch (RuntimeException failure) {
            restore(settings.name(), ours, progress);
            throw failure;
        }
        return new Result(settings.name(), "updated", plan.revision(), configName, weights, plan.warnings(),
                Duration.between(start, clock.instant()).toSeconds());
    }

    /** The content-addressed Swarm config holding a plan's bootstrap, created when it does not exist yet. */
    private ConfigInfo configOf(Plan plan) {
        byte[] bytes = plan.bootstrap().getBytes(StandardCharsets.UTF_8);
        String name = plan.settings().name() + "-config-" + Names.sha256(bytes).substring(0, 12);
        return swarm.config(name).orElseGet(() -> swarm.createConfig(name, bytes,
                Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, "envoy-config", EDGE, plan.settings().name())));
    }

    /** One service update at the version index of the read the plan was made from; a writer in between makes it stale. */
    private void write(EdgeState read, Plan plan, ConfigInfo config) {
        try {
            swarm.updateService(read.service().id(), read.service().versionIndex(),
                    definition(plan.settings(), plan.routes(), config, plan.revision()));
        } catch (ConflictException stale) {
            throw new StaleRead(stale);
        }
    }

    /** The edge was written by someone else since it was read: read again, nothing was changed. */
    private static final class StaleRead extends RuntimeException {
        StaleRead(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** This write's change was replaced by a later writer's before the edge served it. */
    static final class Superseded extends ConflictException {
        Superseded(String message) {
            super(message);
        }
    }

    /**
     * What one write changed, so that waiting and restoring look at that alone: a track's entry, or the edge's
     * settings. Everything else on the edge belongs to other writers and is never put back.
     */
    sealed interface Write permits TrackWrite, SettingsWrite {
        /** Whether the edge as read now still holds this write's change. */
        boolean heldBy(EdgeState now);

        /** The edge as read now with this change taken back and everything else kept. */
        RouteTable routesBack(EdgeState now);

        EdgeSettings settingsBack(EdgeState now);

        Write reversed();

        String what();
    }

    record TrackWrite(String track, RouteTable.TrackEntry before, RouteTable.TrackEntry after) implements Write {
        public boolean heldBy(EdgeState now) {
            return Objects.equals(now.routes().tracks().get(track), after);
        }

        public RouteTable routesBack(EdgeState now) {
            return now.routes().with(track, before);
        }

        public EdgeSettings settingsBack(EdgeState now) {
            return now.settings();
        }

        public Write reversed() {
            return new TrackWrite(track, after, before);
        }

        public String what() {
            return "track " + track;
        }
    }

    record SettingsWrite(EdgeSettings before, EdgeSettings after) implements Write {
        public boolean heldBy(EdgeState now) {
            return now.settings().equals(after);
        }

        public RouteTable routesBack(EdgeState now) {
            return now.routes();
        }

        public EdgeSettings settingsBack(EdgeState now) {
            return before;
        }

        public Write reversed() {
            return new SettingsWrite(after, before);
        }

        public String what() {
            return "the edge's settings";
        }
    }

    /**
     * After a failed update: takes back this write's change only, on top of what the edge holds now, and only while
     * the edge still holds it. Other tracks' changes made meanwhile stay, so no restore ever undoes someone else.
     */
    private void restore(String edge, Write ours, Progress progress) {
        progress.info("the edge did not converge: putting the previous config back for " + ours.what()
                + " only (other changes stay)");
        for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
            EdgeState now = require(edge);
            if (!ours.heldBy(now)) {
                progress.info(ours.what() + " was changed again meanwhile; that change stands, nothing was put back");
                return;
            }
            Plan back;
            try {
                back = plan(ours.settingsBack(now), ours.routesBack(now), Optional.empty(), releasesByTrack(edge));
            } catch (RuntimeException e) {
                progress.info("could not render the edge without the change of " + ours.what() + ": " + e.getMessage());
                return;
            }
            try {
                write(now, back, configOf(back));
            } catch (StaleRead stale) {
                backOff(attempt);
                continue;
            }
            try {
                // the way back gets its own, longer wait: it must not fail for the reason the update did
                awaitConverged(back.settings(), back.revision(), ours.reversed(), restoreTimeout, progress);
                progress.info("the previous state of " + ours.what() + " is live again (revision " + back.revision() + ")");
            } catch (RuntimeException e) {
                progress.info("the previous state of " + ours.what() + " was put back but is not live yet: " + e.getMessage());
            }
            return;
        }
        progress.info("could not put back the previous state of " + ours.what() + ": the edge kept changing under "
                + MAX_WRITE_ATTEMPTS + " attempts");
    }

    private void awaitConverged(EdgeSettings settings, String revision, Write ours, Progress progress) {
        awaitConverged(settings, revision, ours, convergeTimeout, progress);
    }

    private void awaitConverged(EdgeSettings settings, String revision, Write ours, Duration timeout, Progress progress) {
        awaitLive(settings, timeout, settings.usesXds() ? 100 : 250, progress, running -> look(settings, revision, ours, running));
    }

    /**
     * Whether the live Envoys serve this write: its own revision, or a later one (another track's write) whose route
     * table still carries this write's change. A later one that replaced this change ends the wait: it stands.
     */
    private Look look(EdgeSettings settings, String revision, Write ours, long running) {
        Look mine = lookAt(settings, revision, running);
        if (mine.served() || mine.rejection() != null) {
            return mine;
        }
        Optional<EdgeState> now = read(settings.name());
        if (now.isEmpty()) {
            return mine;
        }
        if (!ours.heldBy(now.get())) {
            throw new Superseded(ours.what() + " on edge " + settings.name() + " was changed again by someone else before"
                    + " the edge served revision " + revision + "; that later change stands and nothing was put back."
                    + " Check 'swarm-canary status'.");
        }
        String later = now.get().service().labels().get(REVISION);
        if (later == null || later.isEmpty() || later.equals(revision)) {
            return mine;
        }
        Look theirs = lookAt(now.get().settings(), later, running);
        // another writer's rejected config is theirs to report; this change is simply not served yet
        return new Look(mine.seen() + "; or the later revision " + later + " that keeps " + ours.what() + ": "
                + (theirs.served() ? "served" : theirs.seen()), theirs.served(), null);
    }

    private Look lookAt(EdgeSettings settings, String revision, long running) {
        if (settings.usesXds()) {
            return acked(settings, revision, running);
        }
        Optional<String> served = probe.revision(settings.port());
        return new Look("serving " + served.orElse("-") + " (want " + revision + ")", served.filter(revision::equals).isPresent(), null);
    }

    /**
     * What a delivery sees of the live Envoys: in words, whether they serve the wanted revision, and why they
     * rejected it (null unless they did).
     */
    private record Look(String seen, boolean served, String rejection) {}

    /**
     * Waits until the rollout is complete, every wanted Envoy task runs and the delivery's look says the revision is
     * served; fails at once on a rollout rollback/pause or a rejection, else at the deadline.
     */
    private void awaitLive(EdgeSettings settings, Duration timeout, long pollMillis, Progress progress,
                           java.util.function.LongFunction<Look> look) {
        Instant deadline = clock.instant().plus(timeout);
        while (true) {
            String state = swarm.updateState(settings.name());
            List<TaskInfo> tasks = swarm.tasks(settings.name());
            long running = tasks.stream().filter(t -> t.wanted() && t.running()).count();
            long wanted = tasks.stream().filter(TaskInfo::wanted).count();
            Look seen;
            try {
                seen = look.apply(running);
            } catch (RuntimeException e) {
                progress.done();
                throw e;
            }
            String last = String.format("waiting for edge %s: %d/%d Envoy tasks running, rollout %s, %s",
                    settings.name(), running, wanted, state == null ? "new" : state, seen.seen());
            progress.waiting(last);
            if (seen.rejection() != null) {
                progress.done();
                throw new IllegalStateException(seen.rejection());
            }
            if (state != null && (state.startsWith("rollback") || state.equals("paused"))) {
                progress.done();
                throw new IllegalStateException("edge " + settings.name() + " update " + state + ": "
                        + tasks.stream().filter(TaskInfo::failed).map(t -> t.error() == null ? t.message() : t.error()).distinct().toList());
            }
            if ((state == null || state.equals("completed")) && running > 0 && running == wanted && seen.served()) {
                progress.done();
                return;
            }
            if (clock.instant().isAfter(deadline)) {
                progress.done();
                throw new IllegalStateException("edge " + settings.name() + " did not converge within "
                        + timeout.toSeconds() + "s (" + last + ")");
            }
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the edge");
            }
        }
    }

    /**
     * Delivery xds: served when every running Envoy task has ACKed the revision (RDS) and the clusters served
     * with it (CDS), as its control plane reports. A NACK is a rejection: Envoy keeps its previous config.
     */
    private Look acked(EdgeSettings settings, String revision, long running) {
        Optional<XdsStatus> status = controlPlane.status(settings.xds().statusPort());
        if (status.isEmpty() || !revision.equals(status.get().routesVersion())) {
            // ask for a read now rather than at the control plane's next poll
            status = controlPlane.refresh(settings.xds().statusPort());
        }
        String seen = status.map(s -> s.describe(running)).orElse("control plane not answering on port "
                + settings.xds().statusPort()) + " (want routes " + revision + ")";
        boolean current = status.isPresent() && revision.equals(status.get().routesVersion());
        Optional<XdsStatus.Envoy> rejected = status.flatMap(s -> s.envoys().stream().filter(e -> e.nack() != null).findFirst());
        String rejection = rejected.isPresent() && current ? "Envoy " + rejected.get().address()
                + " rejected the new config and keeps its previous one: " + rejected.get().nack() : null;
        return new Look(seen, current && status.get().upToDate() >= running, rejection);
    }

    private static ServiceDefinition definition(EdgeSettings settings, RouteTable routes, ConfigInfo config, String revision) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(Labels.MANAGED_BY, Labels.MANAGER);
        labels.put(Labels.KIND, "edge");
        labels.put(EDGE, settings.name());
        labels.put(SETTINGS, settings.toJson());
        labels.put(ROUTE_TABLE, routes.toJson());
        labels.put(CONFIG, config.name());
        labels.put(REVISION, revision == null ? "" : revision);
        return new ServiceDefinition(settings.name(), settings.image(), 0, labels, Map.of(EDGE, settings.name()),
                List.of(), settings.networks(), List.of(), List.of(), null, settings.constraints(), true,
                List.of(new ServiceDefinition.PublishedPort(settings.port(), EdgeSettings.LISTENER_PORT)),
                List.of(new ServiceDefinition.ConfigMount(config.id(), config.name(), CONFIG_TARGET)),
                List.of("-c", CONFIG_TARGET, "--log-level", "warn"));
    }

    static Map<String, Map<String, Integer>> weightsByVersion(Plan plan) {
        Map<String, Map<String, Integer>> result = new TreeMap<>();
        for (TrackRoutes t : plan.edgeRoutes().tracks()) {
            Map<String, Integer> w = new LinkedHashMap<>();
            RouteTable.TrackEntry entry = plan.routes().tracks().get(t.name());
            // a retired release whose cluster stays until its service is gone (xds) is no longer the track's
            t.releases().stream().filter(r -> entry == null || !entry.retiring().contains(r.service()))
                    .forEach(r -> w.put(r.version(), r.weight()));
            result.put(t.name(), w);
        }
        return result;
    }
}
