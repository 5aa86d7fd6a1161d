package io.swarmcanary.edge;

import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.ImageResolver;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Names;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.ClusterConfigs;
import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.NetworkInfo;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.wait.Wait;
import io.swarmcanary.edge.Delivery.Look;
import io.swarmcanary.xds.ControlPlaneClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

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
    /** The way back gets its own, longer wait; tests make it short. */
    Duration restoreTimeout = Duration.ofMinutes(3);
    /** Envoy re-resolves tasks.<service> every 5s: a release that runs is found within two rounds. */
    private static final Duration HOSTS_WARN_TIMEOUT = Duration.ofSeconds(12);
    /**
     * Writes of other tracks in between are normal on a shared edge: re-read and re-apply at least this many times, and
     * on a busy edge (many teams, slow nodes) on until the converge timeout, up to {@link #MAX_WRITE_ATTEMPTS_BUSY}.
     */
    static final int MAX_WRITE_ATTEMPTS = 8;
    static final int MAX_WRITE_ATTEMPTS_BUSY = 64;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(3);
    /** How long the control plane's task may take to stop and let go of the network it shared with the Envoys. */
    private static final Duration NETWORK_RELEASE = Duration.ofSeconds(30);
    /** The first back-off; tests make it short. */
    Duration retryBase = Duration.ofMillis(200);
    /**
     * How long a wait lets a later revision that keeps its change stay refused by the control plane before it puts its
     * own change back too: the later writer fails at once and puts its change back first.
     */
    Duration laterRefusalGrace = Duration.ofSeconds(10);

    private final SwarmGateway swarm;
    private final EdgeProbe probe;
    private final Clock clock;
    private final Duration convergeTimeout;
    private final EdgeReader reader;
    private final EdgePlanner planner;
    private final RedeployDelivery redeploy;
    private final XdsDelivery xdsDelivery;

    public EdgeManager(SwarmGateway swarm, EdgeProbe probe, Clock clock, Duration convergeTimeout) {
        this(swarm, probe, ControlPlaneClient.NONE, clock, convergeTimeout);
    }

    /** @param controlPlane how an xds edge's control plane is asked what every Envoy has ACKed */
    public EdgeManager(SwarmGateway swarm, EdgeProbe probe, ControlPlaneClient controlPlane, Clock clock,
                       Duration convergeTimeout) {
        this.swarm = swarm;
        this.probe = probe;
        this.reader = new EdgeReader(swarm);
        this.planner = new EdgePlanner(swarm);
        this.redeploy = new RedeployDelivery(probe, swarm);
        this.xdsDelivery = new XdsDelivery(swarm, controlPlane);
        this.clock = clock;
        this.convergeTimeout = convergeTimeout;
    }

    /**
     * The config a plan rendered is not valid for Envoy: what a CLI refuses before it writes, and what a control plane
     * says of labels another build wrote.
     */
    public static final class InvalidConfig extends UserInputException {
        private final String what;
        private final String problems;

        public InvalidConfig(String what, String problems) {
            super(what + " is invalid, so it was not applied; the live edge is untouched:\n" + problems);
            this.what = what;
            this.problems = problems;
        }

        /** "the generated Envoy config", "the xDS bootstrap for this edge" */
        public String what() {
            return what;
        }

        /** One line per problem found. */
        public String problems() {
            return problems;
        }
    }

    /**
     * The edge's labels do not parse (written by hand, or by a newer swarm-canary in a shape this one does not know):
     * nothing can be planned from them, however often they are read.
     */
    public static final class UnreadableLabels extends IllegalStateException {
        private final String revision;

        UnreadableLabels(String revision, String message, Throwable cause) {
            super(message, cause);
            this.revision = revision;
        }

        /** The edge's revision label next to the labels that do not parse, or null. */
        public String revision() {
            return revision;
        }
    }

    /** The edge as read from the cluster. */
    public record EdgeState(ServiceInfo service, EdgeSettings settings, RouteTable routes) {}

    /**
     * A rendered, validated config for an edge, not yet applied.
     *
     * @param yaml      the full config (what redeploy ships; what the control plane of an xds edge serves from)
     * @param bootstrap the file Envoy starts with: {@code yaml} for redeploy, the static xDS bootstrap for xds
     */
    public record Plan(EdgeSettings settings, RouteTable routes, EdgeRoutes edgeRoutes, java.util.function.Supplier<String> yamlText,
                       io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap config, String revision, List<String> warnings,
                       String bootstrap, Map<String, String> unrouted) {
        /**
         * @param yamlText the config's YAML, written when first asked for (an xds shift never ships it) from the validated tree
         * @param config   the same config as Envoy's own types, as validation parsed it: what an xds control plane serves from
         * @param unrouted tracks left out of the config because they cannot be routed (a domain another track had first,
         *                 a reserved host, an invalid name...), with the reason: every other track is still served
         */
        public Plan {
            unrouted = Map.copyOf(unrouted);
        }

        public String yaml() {
            return yamlText.get();
        }
    }

    public record Result(String edge, String outcome, String revision, String config, Map<String, Map<String, Integer>> weights,
                         List<String> warnings, long seconds) {}

    public Optional<EdgeState> read(String edge) {
        return reader.read(edge);
    }

    public EdgeState require(String edge) {
        return reader.require(edge);
    }

    /** Releases routed by this edge, by track, oldest first. */
    public Map<String, List<ServiceInfo>> releasesByTrack(String edge) {
        return reader.releasesByTrack(edge);
    }

    /** A domain belongs to one track: refuses domains another track on this edge already has. */
    public void requireDomainsFree(String edge, String track, List<String> domains) {
        reader.requireDomainsFree(edge, track, domains);
    }

    /** After a release was created: refuses it when another track had one of its hosts first (a deploy at once). */
    public void requireDomainsFirst(String edge, String track, List<String> domains, String outcome) {
        reader.requireDomainsFirst(edge, track, domains, outcome);
    }

    /** Weights in force for a track: the route table's, or 100 on the newest release when it has none. */
    public static Map<String, Integer> effectiveWeights(List<ServiceInfo> releases, RouteTable.TrackEntry entry) {
        return EdgeReader.effectiveWeights(releases, entry);
    }

    /** The weights a plan gives each track, by version. */
    public static Map<String, Map<String, Integer>> weightsByVersion(Plan plan) {
        return EdgePlanner.weightsByVersion(plan);
    }

    Plan plan(EdgeSettings settings, RouteTable routes, Optional<String> newTemplate,
              Map<String, List<ServiceInfo>> releasesByTrack) {
        return planner.plan(settings, routes, newTemplate, releasesByTrack);
    }

    private Delivery delivery(EdgeSettings settings) {
        return settings.usesXds() ? xdsDelivery : redeploy;
    }

    public DeliveryStatus deliveryStatus(EdgeState state) {
        EdgeSettings settings = state.settings();
        return delivery(settings).status(state, swarm.tasks(settings.name()).stream()
                .filter(t -> t.wanted() && t.running()).toList());
    }

    /**
     * What {@code edge ensure} would do, from one read of the cluster: every check done, the config rendered and
     * validated, nothing created.
     *
     * @param networksToCreate the edge's networks that do not exist yet (only its default network and an xds edge's
     *                         control-plane network may be missing)
     * @param controlPlane     what happens to the xds control plane: create, update, remove, or none
     */
    public record EnsurePlan(Optional<EdgeState> current, EdgeSettings requested, EdgeSettings settings,
                             Optional<String> template, Plan plan, List<String> networksToCreate, boolean createsTemplate,
                             String controlPlane, List<TlsSecret> tlsSecrets, io.swarmcanary.release.NamingKey.Key namingKey,
                             List<AdsPki.Generation> adsPki) {
        /**
         * The edge's certificate and key secrets that do not exist yet, created before the edge is updated; likewise a
         * new generation of ADS certificates (none while the edge's are fresh).
         */
        public EnsurePlan {
            tlsSecrets = List.copyOf(tlsSecrets);
            adsPki = List.copyOf(adsPki);
        }

        /** create, update or unchanged */
        public String outcome() {
            if (current.isEmpty()) {
                return "create";
            }
            return plan.revision().equals(current.get().service().labels().get(REVISION))
                    && settings.equals(current.get().settings()) && plan.routes().equals(current.get().routes())
                    ? "unchanged" : "update";
        }

        /** The content-addressed Swarm config that holds the plan's bootstrap. */
        public String config() {
            return EdgePlanner.configName(plan);
        }
    }

    /**
     * A certificate's or key's Swarm secret to create: its name and bytes (never printed: {@link #toString()} names it
     * only).
     */
    public record TlsSecret(String name, String kind, byte[] data) {
        @Override
        public String toString() {
            return kind + " secret " + name;
        }
    }

    public EnsurePlan planEnsure(EdgeSettings requested, Optional<String> template, boolean checkImage, Progress progress) {
        return planEnsure(requested, template, TlsRequest.KEEP, checkImage, progress);
    }

    /** Reads and checks everything {@link #ensure} needs; changes nothing in the cluster. */
    public EnsurePlan planEnsure(EdgeSettings requested, Optional<String> template, TlsRequest tls, boolean checkImage,
                                 Progress progress) {
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
        io.swarmcanary.release.NamingKey.Key namingKey = io.swarmcanary.release.NamingKey.readOrNew(swarm);
        List<TlsSecret> tlsSecrets = new ArrayList<>();
        settings = settings.withHttps(EdgeTls.merge(settings.name(), current.map(c -> c.settings().https()).orElse(null),
                tls, namingKey.bytes(), tlsSecrets));
        tlsSecrets.removeIf(s -> swarm.secret(s.name()).isPresent());
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
        List<AdsPki.Generation> adsPki = new ArrayList<>();
        if (settings.usesXds()) { // it gets docker.sock: pinned to the digest a registry gives, so no tag move reaches it
            ImageResolver.unqualifiedWarning(settings.xds().image(), "control plane image").ifPresent(progress::info);
            String pinned = ImageResolver.resolve(swarm, settings.xds().image(), checkImage, true, "control plane image",
                    "Build it (docker build -t " + settings.xds().image() + " .), pass --control-plane-image, or choose --delivery"
                            + " redeploy (no control plane; Envoy restarts on every change). Nothing was changed.",
                    progress).reference();
            // the ADS certificates: the edge's while fresh, else a new generation (both services then move to it)
            String pki = AdsPki.choose(swarm, settings.name(), current.map(c -> c.settings().xds()).map(EdgeSettings.Xds::pki)
                    .orElse(null), clock.instant(), adsPki);
            // certificates over SDS only from a control plane this run sets (its image named now, or this version's
            // default) or one that already serves them: the image an older version stored may not know --sds
            boolean sds = requested.xds() != null || current.map(c -> c.settings().xds())
                    .map(EdgeSettings.Xds::servesCertificates).orElse(false);
            settings = settings.withDelivery(EdgeSettings.XDS, new EdgeSettings.Xds(pinned, pki, sds ? true : null));
        }
        RouteTable routes = current.map(EdgeState::routes).orElse(RouteTable.empty());
        // render and validate before touching anything
        Plan plan = plan(settings, routes, template, releasesByTrack(settings.name()));
        List<String> networksToCreate = envoyNetworks(settings).stream().filter(n -> swarm.network(n).isEmpty()).toList();
        boolean createsTemplate = template.isPresent() && swarm.config(settings.templateConfig()).isEmpty();
        Optional<ServiceInfo> controlPlane = swarm.service(XdsConfig.controlPlaneService(settings.name()));
        String controlPlaneAction = settings.usesXds() ? (controlPlane.isEmpty() ? "create" : "update")
                : controlPlane.filter(s -> Labels.Kind.CONTROL_PLANE.equals(s.labels().get(Labels.KIND))).isPresent() ? "remove" : "none";
        return new EnsurePlan(current, requested, settings, template, plan, networksToCreate, createsTemplate, controlPlaneAction,
                tlsSecrets, namingKey, adsPki);
    }

    public Result ensure(EdgeSettings requested, Optional<String> template, boolean checkImage, Progress progress) {
        return ensure(requested, template, TlsRequest.KEEP, checkImage, progress);
    }

    /** Creates or updates the Envoy service with these settings, keeping its route table. */
    public Result ensure(EdgeSettings requested, Optional<String> template, TlsRequest tls, boolean checkImage,
                         Progress progress) {
        Instant start = clock.instant();
        EnsurePlan planned = planEnsure(requested, template, tls, checkImage, progress);
        if (EdgeKey.read(swarm).isEmpty()) { // the key Envoy checks tokens with, made once valid input is certain
            EdgeKey.of(swarm);
            planned = new EnsurePlan(planned.current(), planned.requested(), planned.settings(), planned.template(),
                    plan(planned.settings(), planned.plan().routes(), template, releasesByTrack(planned.settings().name())),
                    planned.networksToCreate(), planned.createsTemplate(), planned.controlPlane(), planned.tlsSecrets(),
                    planned.namingKey(), planned.adsPki());
        }
        Optional<EdgeState> current = planned.current();
        EdgeSettings settings = planned.settings();
        Plan plan = planned.plan();
        for (String n : planned.networksToCreate()) {
            progress.info("creating overlay network " + n);
            swarm.createOverlayNetwork(n, Map.of(Labels.MANAGED_BY, Labels.MANAGER, EDGE, settings.name()),
                    n.equals(XdsConfig.controlPlaneNetwork(settings.name())));
        }
        if (planned.createsTemplate() && swarm.config(settings.templateConfig()).isEmpty()) {
            ClusterConfigs.createContentAddressed(swarm, settings.templateConfig(), template.get().getBytes(StandardCharsets.UTF_8),
                    Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, Labels.Kind.ENVOY_TEMPLATE, EDGE, settings.name()));
        }
        if (!planned.tlsSecrets().isEmpty()) {
            io.swarmcanary.release.NamingKey.store(swarm, planned.namingKey()); // the names were made with it
            EdgeTls.createSecrets(swarm, settings.name(), planned.tlsSecrets(), progress);
        }
        for (AdsPki.Generation g : planned.adsPki()) {
            AdsPki.create(swarm, g, progress);
            progress.info(current.map(c -> c.settings().xds()).map(EdgeSettings.Xds::pki).isPresent()
                    ? "the edge's ADS certificates end within " + AdsPki.RENEW_BEFORE.toDays() + " days or are missing:"
                    + " control plane " + XdsConfig.controlPlaneService(settings.name()) + " and Envoy service "
                    + settings.name() + " are updated to the new ones (both restart)"
                    : "ADS between Envoy and control plane " + XdsConfig.controlPlaneService(settings.name())
                    + " becomes mutual TLS: both services are updated to use the new certificates");
        }
        if (current.isPresent() && EdgeTls.overSds(settings) && current.get().settings().servesHttps()
                && current.get().settings().https().certificates().values().stream()
                        .anyMatch(c -> current.get().service().secretNames().contains(c.certSecret()))) {
            progress.info("edge " + settings.name() + ": its certificates move from files in Envoy to SDS from control plane "
                    + XdsConfig.controlPlaneService(settings.name()) + "; Envoy restarts this once, a later rotation does not");
        }
        if (settings.usesXds()) {
            xdsDelivery.ensureControlPlane(settings, progress); // before Envoy, which connects to it on start
        }
        Optional<EdgeSettings> controlPlaneBack = controlPlaneToPutBack(current.map(EdgeState::settings).orElse(null), settings);
        try {
            return applySettings(current, plan, settings, requested, template, start, progress);
        } catch (RuntimeException failed) {
            if (controlPlaneBack.isPresent()) {
                // Envoy stays on (or was put back to) the previous settings: so must its control plane, or after an ADS
                // certificate rotation neither side trusts the other and a restarted Envoy gets no config
                progress.info("putting control plane " + XdsConfig.controlPlaneService(settings.name())
                        + " back to the edge's previous settings, as Envoy is");
                try {
                    xdsDelivery.ensureControlPlane(controlPlaneBack.get(), progress);
                } catch (RuntimeException alsoFailed) {
                    failed.addSuppressed(new IllegalStateException("could not put control plane "
                            + XdsConfig.controlPlaneService(settings.name()) + " back to the edge's previous settings: "
                            + alsoFailed.getMessage(), alsoFailed));
                }
            }
            throw failed;
        }
    }

    /**
     * The control plane to put back when this ensure's Envoy update fails: the previous settings' one, when this ensure
     * moved it (another image, other ADS certificates, other certificates served over SDS) and the edge was on xds
     * before; empty otherwise.
     */
    static Optional<EdgeSettings> controlPlaneToPutBack(EdgeSettings before, EdgeSettings after) {
        return before != null && before.usesXds() && after.usesXds() && (!before.xds().equals(after.xds())
                || !Objects.equals(EdgeTls.sdsVersion(before), EdgeTls.sdsVersion(after)))
                ? Optional.of(before) : Optional.empty();
    }

    private Result applySettings(Optional<EdgeState> current, Plan plan, EdgeSettings settings, EdgeSettings requested,
                                 Optional<String> template, java.time.Instant start, Progress progress) {
        Result result;
        for (int attempt = 1; ; attempt++) {
            try {
                result = apply(current, plan, new SettingsWrite(current.map(EdgeState::settings).orElse(null), settings),
                        start, progress);
                break;
            } catch (StaleRead stale) {
                Optional<EdgeState> now = read(requested.name());
                // a track's write in between is normal: keep it and write the settings again on top of it
                if (!keepTrying(attempt, start) || now.isEmpty() || current.isEmpty()
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
                    .filter(s -> Labels.Kind.CONTROL_PLANE.equals(s.labels().get(Labels.KIND)))
                    .ifPresent(s -> {
                        progress.info("removing control plane " + s.name() + ": the edge is back on delivery redeploy");
                        swarm.removeService(s.id());
                    });
            removeControlPlaneNetwork(settings.name(), progress);
        }
        return result;
    }

    /**
     * The network an xds edge's Envoys shared with its control plane, once the edge is back on redeploy: its Envoys
     * left it with this run's update, and the control plane's task stops in a few seconds; until then Docker calls it in use.
     */
    private void removeControlPlaneNetwork(String edge, Progress progress) {
        String name = XdsConfig.controlPlaneNetwork(edge);
        Optional<NetworkInfo> network = swarm.network(name);
        if (network.isEmpty()) {
            return;
        }
        Optional<Boolean> removed = Wait.upTo(NETWORK_RELEASE, clock).every(Duration.ofMillis(500))
                .onInterrupt(EdgeManager::interrupted).until(elapsed -> {
                    try {
                        swarm.removeNetwork(network.get().id());
                        return Optional.of(true);
                    } catch (io.swarmcanary.swarm.NotFoundException gone) {
                        return Optional.of(false);
                    } catch (io.swarmcanary.swarm.InUseException inUse) {
                        return Optional.empty();
                    }
                });
        if (removed.isEmpty()) {
            progress.info("warning: network " + name + " is still in use after " + NETWORK_RELEASE.toSeconds() + "s;"
                    + " it carries nothing any more: remove it later with 'docker network rm " + name + "'");
        } else if (removed.get()) {
            progress.info("removed network " + name + ": only the edge's Envoys and its control plane used it");
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

        /**
         * This change of {@code track}, refused before anything is written when the releases under its name are another
         * app's or env's (app {@code shop} env {@code eu-prod} and app {@code shop-eu} env {@code prod} join to one name).
         */
        static TrackChange of(io.swarmcanary.release.Track track, TrackChange change) {
            return (current, releases) -> {
                requireOwnReleases(track, releases, "Nothing was changed.");
                return change.apply(current, releases);
            };
        }
    }

    /**
     * Refuses when the track's name belongs to another app or env: the one of its oldest release. The two would share one
     * route table entry, its weights and lock, and a step of one would move or remove the other's releases. The owner's
     * own steps go on (its rollback is the way back from a release the other app left under its name).
     */
    public static void requireOwnReleases(io.swarmcanary.release.Track track, java.util.Collection<ServiceInfo> releases,
                                          String outcome) {
        Optional<ServiceInfo> oldest = releases.stream().min(Labels.oldestFirst(ServiceInfo::createdAt, ServiceInfo::name));
        if (oldest.isEmpty()) {
            return;
        }
        String app = oldest.get().labels().get(Labels.APP);
        String env = oldest.get().labels().get(Labels.ENV);
        if (!track.app().equals(app) || !track.env().equals(env)) {
            throw new UserInputException("track name " + track.name() + " is taken: release " + oldest.get().name()
                    + " is of app '" + Names.printable(String.valueOf(app)) + "' env '" + Names.printable(String.valueOf(env))
                    + "', not of app '" + track.app() + "' env '" + track.env() + "' (both join to " + track.name()
                    + ", so they would share its route table entry, weights and releases). " + outcome
                    + " Use another --app or --env.");
        }
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

    /**
     * What a change of a track would do, from one read of the edge and its releases: the entry before and after, the
     * config rendered and validated. Nothing is written; bad input fails here as it would in {@link #updateTrack}.
     *
     * @param gaining releases that would get traffic they do not have now
     */
    public record TrackPreview(EdgeState state, List<ServiceInfo> releases, RouteTable.TrackEntry before,
                               RouteTable.TrackEntry after, Plan plan, List<String> gaining) {
        /** Whether applying it would leave the edge as it is. */
        public boolean unchanged() {
            return plan.revision().equals(state.service().labels().get(REVISION)) && plan.routes().equals(state.routes());
        }
    }

    public TrackPreview previewTrack(String edge, String track, TrackChange change, HostCheck hostCheck, Progress progress) {
        EdgeState state = require(edge);
        Map<String, List<ServiceInfo>> releases = releasesByTrack(edge);
        List<ServiceInfo> mine = releases.getOrDefault(track, List.of());
        RouteTable.TrackEntry before = state.routes().tracks().get(track);
        RouteTable.TrackEntry after = change.apply(before, mine);
        Plan plan = plan(state.settings(), state.routes().with(track, after), Optional.empty(), releases);
        requireRouted(edge, track, plan, after, hostCheck, progress);
        return new TrackPreview(state, mine, before, after, plan, gainingTraffic(mine, before, after));
    }

    /** REQUIRE refuses a change that leaves the track unroutable (exit 2); WARN (the way back) only says so. */
    private static void requireRouted(String edge, String track, Plan plan, RouteTable.TrackEntry entry, HostCheck hostCheck,
                                      Progress progress) {
        String unrouted = plan.unrouted().get(track);
        if (unrouted != null && entry != null) {
            if (hostCheck == HostCheck.REQUIRE) {
                throw new UserInputException("edge " + edge + " cannot route track " + track + ": " + unrouted
                        + ". Nothing was changed; every other track is served as before.");
            }
            progress.info("warning: edge " + edge + " cannot route track " + track + ": " + unrouted);
        }
    }

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
            requireRouted(edge, track, plan, entry, hostCheck, progress);
            try {
                return apply(Optional.of(state), plan, new TrackWrite(track, current, entry), start, progress);
            } catch (StaleRead stale) {
                if (!keepTrying(attempt, start)) {
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

    /** Whether a write that lost to another track's write is tried again: a few times always, then while time is left. */
    private boolean keepTrying(int attempt, Instant start) {
        return attempt < MAX_WRITE_ATTEMPTS
                || attempt < MAX_WRITE_ATTEMPTS_BUSY && clock.instant().isBefore(start.plus(convergeTimeout));
    }

    /** Exponential back-off with jitter, so that writers who collided do not collide again in step. */
    private void backOff(int attempt) {
        Wait.sleep(Wait.backOff(attempt, retryBase, MAX_BACKOFF),
                () -> new IllegalStateException("interrupted while waiting to write the edge again"));
    }

    /** Releases that exist, have no traffic under the current entry and get some under the new one. */
    static List<String> gainingTraffic(List<ServiceInfo> releases, RouteTable.TrackEntry current, RouteTable.TrackEntry next) {
        if (next == null) {
            return List.of();
        }
        Map<String, Integer> before = effectiveWeights(releases, current);
        Map<String, Integer> after = effectiveWeights(releases, next);
        List<String> gaining = new ArrayList<>(after.entrySet().stream()
                .filter(e -> e.getValue() > 0 && before.getOrDefault(e.getKey(), 0) == 0)
                .map(Map.Entry::getKey).toList());
        // a canary at weight 0 that an A/B match now reaches gets traffic too
        if (next.canary() != null && !next.match().isEmpty() && (current == null || current.match().isEmpty())
                && before.getOrDefault(next.canary(), 0) == 0 && !gaining.contains(next.canary())
                && releases.stream().anyMatch(r -> r.name().equals(next.canary()))) {
            gaining.add(next.canary());
        }
        return gaining;
    }

    /**
     * Waits until the live Envoy has a healthy host in each of these release clusters, as its own stats say
     * ({@code membership_healthy} through the stats host).
     */
    public void awaitHealthyHosts(String edge, List<String> services, HostCheck hostCheck, Progress progress) {
        awaitHealthyHosts(require(edge).settings(), services, hostCheck, progress);
    }

    void awaitHealthyHosts(EdgeSettings settings, List<String> services, HostCheck hostCheck, Progress progress) {
        Duration timeout = hostCheck == HostCheck.REQUIRE ? convergeTimeout : HOSTS_WARN_TIMEOUT;
        List<TaskInfo> envoys = swarm.tasks(settings.name()).stream().filter(t -> t.wanted() && t.running()).toList();
        Map<String, EdgeProbe> probes = EveryEnvoy.probes(probe, swarm, envoys);
        List<String> missing = new ArrayList<>(services); // as of the last look, "<cluster> on <node>" on several nodes
        // every Envoy's stats host is shared by every team and Prometheus (10 requests a second each): not faster
        boolean over = Wait.upTo(timeout, clock).every(Duration.ofMillis(250)).onInterrupt(EdgeManager::interrupted).until(e -> {
            Map<String, Optional<Map<String, Long>>> healthy = new LinkedHashMap<>();
            probes.forEach((node, p) -> healthy.put(node, p.healthyHosts(settings.port(), services)));
            if (healthy.values().stream().allMatch(Optional::isEmpty)) {
                progress.info("note: cannot read the stats of the live Envoy of edge " + settings.name()
                        + " (no stats host in its config, or no answer on port " + settings.port()
                        + "); not checking that it has found the tasks of " + String.join(", ", services));
                return Optional.of(true);
            }
            missing.clear();
            healthy.forEach((node, hosts) -> services.stream()
                    // a node whose Envoy does not answer has not shown it found them: wait for it too
                    .filter(s -> hosts.map(h -> h.getOrDefault(s, 0L)).orElse(0L) == 0)
                    .forEach(s -> missing.add(probes.size() == 1 ? s : s + " on " + node)));
            if (missing.isEmpty()) {
                progress.done();
                return Optional.of(true);
            }
            progress.waiting("waiting for edge " + settings.name() + " to find a healthy task of " + String.join(", ", missing)
                    + " before it gets traffic");
            return Optional.<Boolean>empty();
        }).isPresent();
        if (over) {
            return;
        }
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

    static IllegalStateException interrupted() {
        return new IllegalStateException("interrupted while waiting for the edge");
    }

    /** The config the edge would run now, rendered from the cluster. */
    public Plan currentPlan(String edge) {
        EdgeState state = require(edge);
        return plan(state, releasesByTrack(edge));
    }

    /**
     * The tracks the edge cannot route, with why (see {@link Plan#unrouted}), from reads of the edge and its releases the
     * caller has made: what status and next ask, without rendering or validating the config (most of a status command's
     * CPU).
     */
    public Map<String, String> unrouted(EdgeState state, Map<String, List<ServiceInfo>> releasesByTrack) {
        return Map.copyOf(planner.unrouted(state.settings(), state.routes(), releasesByTrack));
    }

    /** The edge's config as these reads of it (its service, its releases) make it. */
    public Plan plan(EdgeState state, Map<String, List<ServiceInfo>> releasesByTrack) {
        return plan(state.settings(), state.routes(), Optional.empty(), releasesByTrack);
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
     * revision in the edge's labels; {@code refusedRevision} is the revision its control plane refuses as invalid
     * ({@code readError} says why), or null.
     */
    public record DeliveryStatus(String edge, String delivery, String revision, long envoyTasks, String controlPlane,
                                 Integer statusPort, boolean controlPlaneAnswering, Long connected, Long ackedRevision,
                                 String readError, List<String> rejections, boolean upToDate,
                                 @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                                 String controlPlaneVersion,
                                 @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                                 String refusedRevision) {

        public String describe() {
            if (!EdgeSettings.XDS.equals(delivery)) {
                return "edge " + edge + ": delivery " + delivery + ", revision " + revision + ", " + envoyTasks + " Envoy tasks";
            }
            if (!controlPlaneAnswering) {
                return "edge " + edge + ": delivery xds, revision " + revision + ", control plane " + controlPlane
                        + " not answering through the edge's stats host" + (statusPort == null ? "" : " nor on port " + statusPort)
                        + " (Envoy keeps its last config; an edge made by an older swarm-canary: run 'edge ensure' again)";
            }
            return "edge " + edge + ": delivery xds, revision " + revision + ", control plane " + controlPlane
                    + " (swarm-canary " + controlPlaneVersion + "): "
                    + connected + "/" + envoyTasks + " Envoys connected, " + ackedRevision + " up to date"
                    + (upToDate ? "" : " (NOT up to date)")
                    // a blank revision (a control plane of an earlier build) names none: the read failed
                    + (readError == null ? "" : refusedRevision == null || refusedRevision.isBlank()
                            ? "; cannot read the edge: " + readError
                            : "; it refuses revision " + refusedRevision + (refusedRevision.equals(revision)
                            ? " (the edge's: every Envoy keeps the last config served until a write fixes it)" : "")
                            + ": " + readError)
                    + (rejections.isEmpty() ? "" : "; rejected: " + String.join("; ", rejections));
        }
    }

    public static String defaultNetwork(String edge) {
        return edge + "-net";
    }

    /** The edge's networks; an xds edge's Envoys also join the network they share with the control plane alone. */
    static List<String> envoyNetworks(EdgeSettings settings) {
        if (!settings.usesXds()) {
            return settings.networks();
        }
        List<String> all = new ArrayList<>(settings.networks());
        all.add(XdsConfig.controlPlaneNetwork(settings.name()));
        return List.copyOf(all);
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
            swarm.createService(definition(swarm, settings, plan.routes(), config, plan.revision()));
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
            // the update's own failure is the one to report; a way back not taken is named with it (-q, json too)
            try {
                restore(settings.name(), ours, progress).ifPresent(why -> failure.addSuppressed(new IllegalStateException(
                        why + "; check 'swarm-canary status --edge " + settings.name() + "'")));
            } catch (RuntimeException notPutBack) {
                String why = "could not put back the previous state of " + ours.what() + " (the edge may still hold this"
                        + " change): " + withoutNothingChanged(notPutBack.getMessage()) + "; check 'swarm-canary status --edge "
                        + settings.name() + "'";
                progress.info(why);
                failure.addSuppressed(new IllegalStateException(why, notPutBack));
            }
            throw failure;
        }
        return new Result(settings.name(), "updated", plan.revision(), configName, weights, plan.warnings(),
                Duration.between(start, clock.instant()).toSeconds());
    }

    /**
     * The content-addressed Swarm config holding a plan's bootstrap, created when it does not exist yet; another writer
     * creating the same one at the same moment is no failure (same name, same bytes).
     */
    private ConfigInfo configOf(Plan plan) {
        String name = EdgePlanner.configName(plan);
        return swarm.config(name).orElseGet(() -> ClusterConfigs.createContentAddressed(swarm, name,
                plan.bootstrap().getBytes(StandardCharsets.UTF_8),
                Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, Labels.Kind.ENVOY_CONFIG, EDGE, plan.settings().name())));
    }

    /** One service update at the version index of the read the plan was made from; a writer in between makes it stale. */
    private void write(EdgeState read, Plan plan, ConfigInfo config) {
        try {
            swarm.updateService(read.service().id(), read.service().versionIndex(),
                    definition(swarm, plan.settings(), plan.routes(), config, plan.revision()));
        } catch (io.swarmcanary.swarm.VersionConflictException stale) {
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

    private static String withoutNothingChanged(String message) {
        String m = String.valueOf(message).strip(); // a reader's message says so of itself, not of the update
        return m.endsWith("Nothing was changed.") ? m.substring(0, m.length() - "Nothing was changed.".length()).strip() : m;
    }

    /**
     * After a failed update: takes back this write's change only, on top of what the edge holds now, and only while
     * the edge still holds it. Other tracks' changes made meanwhile stay, so no restore ever undoes someone else.
     *
     * @return what is left undone when this write's change could not be put back, or is back but not live yet
     */
    private Optional<String> restore(String edge, Write ours, Progress progress) {
        progress.info("the edge did not converge: putting the previous config back for " + ours.what()
                + " only (other changes stay)");
        for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
            EdgeState now = require(edge);
            if (!ours.heldBy(now)) {
                progress.info(ours.what() + " was changed again meanwhile; that change stands, nothing was put back");
                return Optional.empty();
            }
            Plan back;
            try {
                back = plan(ours.settingsBack(now), ours.routesBack(now), Optional.empty(), releasesByTrack(edge));
            } catch (RuntimeException e) {
                String why = "could not put back the previous state of " + ours.what() + " (the edge still holds this change):"
                        + " could not render the edge without it: " + withoutNothingChanged(e.getMessage());
                progress.info(why);
                return Optional.of(why);
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
                return Optional.empty();
            } catch (Superseded later) {
                progress.info(ours.what() + " was changed again by someone else after it was put back; that change stands");
                return Optional.empty();
            } catch (RuntimeException e) {
                String why = "the previous state of " + ours.what() + " was put back (revision " + back.revision()
                        + ") but is not live yet: " + e.getMessage();
                progress.info(why);
                return Optional.of(why);
            }
        }
        String why = "could not put back the previous state of " + ours.what() + " (the edge may still hold this change):"
                + " the edge kept changing under " + MAX_WRITE_ATTEMPTS + " attempts";
        progress.info(why);
        return Optional.of(why);
    }

    private void awaitConverged(EdgeSettings settings, String revision, Write ours, Progress progress) {
        awaitConverged(settings, revision, ours, convergeTimeout, progress);
    }

    private void awaitConverged(EdgeSettings settings, String revision, Write ours, Duration timeout, Progress progress) {
        java.util.concurrent.atomic.AtomicReference<Instant> laterRefusedSince = new java.util.concurrent.atomic.AtomicReference<>();
        Map<String, java.util.function.Predicate<String>> rendered = new java.util.concurrent.ConcurrentHashMap<>();
        awaitLive(settings, timeout, progress, running -> look(settings, revision, ours, running, laterRefusedSince,
                r -> rendered.computeIfAbsent(r, rev -> rendersNow(settings.name(), rev))));
    }

    /**
     * Whether routes a control plane made from the labels of this revision are what this CLI renders from them with
     * the releases as they are now (another team created or removed one since the write). A yes is kept (routes name
     * their content); a no only for what was read: a release that comes and goes again, or a manager whose store lags,
     * can make a read the control plane's never was, so a later read with other releases asks again. A read that fails
     * is no answer.
     */
    private java.util.function.Predicate<String> rendersNow(String edge, String revision) {
        java.util.Set<String> alike = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Map<String, String> unlikeFrom = new java.util.concurrent.ConcurrentHashMap<>(); // routes -> the reads that said no
        return routes -> {
            if (routes == null) {
                return false;
            }
            if (alike.contains(routes)) {
                return true;
            }
            try {
                Optional<EdgeState> now = read(edge);
                if (now.isEmpty() || !revision.equals(now.get().service().labels().get(REVISION))) {
                    return false;
                }
                Map<String, List<ServiceInfo>> releases = releasesByTrack(edge);
                String reads = now.get().service().versionIndex() + " " + releases.values().stream().flatMap(List::stream)
                        .map(r -> r.name() + "@" + r.versionIndex()).sorted().toList();
                if (reads.equals(unlikeFrom.get(routes))) {
                    return false;
                }
                boolean same = planner.revision(now.get().settings(), now.get().routes(), releases).equals(routes);
                if (same) {
                    alike.add(routes);
                } else {
                    unlikeFrom.put(routes, reads);
                }
                return same;
            } catch (RuntimeException unreadable) {
                return false;
            }
        };
    }

    /**
     * Whether the live Envoys serve this write: its own revision, or a later one (another track's write) whose route
     * table still carries this write's change. A later one that replaced this change ends the wait: it stands.
     */
    private Look look(EdgeSettings settings, String revision, Write ours, List<TaskInfo> running,
                      java.util.concurrent.atomic.AtomicReference<Instant> laterRefusedSince,
                      java.util.function.Function<String, java.util.function.Predicate<String>> rendersAs) {
        Look mine = lookAt(settings, revision, running, rendersAs);
        if (mine.refused() && mine.refusedByOtherVersion() && ours instanceof SettingsWrite) {
            // an ensure may be replacing that control plane: the one it starts is the one to ask
            mine = new Look(mine.seen() + "; refused by a control plane of another version, which this change may be"
                    + " replacing: waiting for the new one", false, null);
        }
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
        Look theirs = lookAt(now.get().settings(), later, running, rendersAs);
        if (!theirs.refused()) {
            laterRefusedSince.set(null);
        } else {
            // the later config holds this change too. Its writer fails at once and puts its own change back; if a config
            // that keeps this change is still refused after that, this change may be the cause: put it back too
            Instant since = laterRefusedSince.updateAndGet(t -> t != null ? t : clock.instant());
            if (Duration.between(since, clock.instant()).compareTo(laterRefusalGrace) >= 0) {
                return new Look(mine.seen(), false, theirs.rejection() + " (a later write's revision " + later
                        + ", which keeps " + ours.what() + ")", true, theirs.refusedByOtherVersion());
            }
            return new Look(mine.seen() + "; the later revision " + later + ", which keeps " + ours.what()
                    + ", is refused by the control plane: waiting up to " + laterRefusalGrace.toSeconds()
                    + "s for its writer to put its change back", false, null);
        }
        // another writer's rejected config is theirs to report; this change is simply not served yet
        return new Look(mine.seen() + "; or the later revision " + later + " that keeps " + ours.what() + ": "
                + (theirs.served() ? "served" : theirs.seen()), theirs.served(), null);
    }

    private Look lookAt(EdgeSettings settings, String revision, List<TaskInfo> running,
                        java.util.function.Function<String, java.util.function.Predicate<String>> rendersAs) {
        return delivery(settings).look(settings, revision, running, rendersAs.apply(revision));
    }

    /**
     * Waits until the rollout is complete, every wanted Envoy task runs and the delivery's look says the revision is
     * served; fails at once on a rollout rollback/pause or a rejection, else at the deadline.
     */
    private void awaitLive(EdgeSettings settings, Duration timeout, Progress progress,
                           java.util.function.Function<List<TaskInfo>, Look> look) {
        String[] last = {""}; // what the last look saw, for the timeout's message
        // the Envoy tasks the last look saw (none before the first), and whether it waited on Swarm (rollout, tasks)
        java.util.concurrent.atomic.AtomicReference<List<TaskInfo>> lastRunning = new java.util.concurrent.atomic.AtomicReference<>();
        boolean[] swarmBehind = {false};
        // the delivery paces the looks: it returns when what the Envoys show may have changed (xds: the control plane
        // answers a held status request on an ACK), else after its poll interval; never past the deadline
        boolean live = Wait.upTo(timeout, clock).every(Duration.ZERO).onInterrupt(EdgeManager::interrupted)
                .until(e -> {
                    Duration left = timeout.minus(e);
                    if (lastRunning.get() != null && !left.isNegative() && !left.isZero()) {
                        Delivery delivery = delivery(settings);
                        if (swarmBehind[0]) {
                            // Swarm sends the control plane nothing of a rollout or a task starting: look again soon
                            delivery.awaitPoll(left);
                        } else {
                            delivery.awaitChange(settings, lastRunning.get(), left);
                        }
                    }
                    String state = swarm.updateState(settings.name());
                    List<TaskInfo> tasks = swarm.tasks(settings.name());
                    List<TaskInfo> runningTasks = tasks.stream().filter(t -> t.wanted() && t.running()).toList();
                    lastRunning.set(runningTasks);
                    long running = runningTasks.size();
                    long wanted = tasks.stream().filter(TaskInfo::wanted).count();
                    Look seen;
                    try {
                        seen = look.apply(runningTasks);
                    } catch (RuntimeException failure) {
                        progress.done();
                        throw failure;
                    }
                    last[0] = String.format("waiting for edge %s: %d/%d Envoy tasks running, rollout %s, %s",
                            settings.name(), running, wanted, state == null ? "new" : state, seen.seen());
                    progress.waiting(last[0]);
                    if (seen.rejection() != null) {
                        progress.done();
                        throw new IllegalStateException(seen.rejection());
                    }
                    if (state != null && (state.startsWith("rollback") || state.equals("paused"))) {
                        progress.done();
                        throw new IllegalStateException("edge " + settings.name() + " update " + state + ": " + tasks.stream()
                                .filter(TaskInfo::failed).map(t -> t.error() == null ? t.message() : t.error()).distinct().toList());
                    }
                    boolean swarmDone = (state == null || state.equals("completed")) && running > 0 && running == wanted;
                    swarmBehind[0] = !swarmDone;
                    boolean done = swarmDone && seen.served();
                    return done ? Optional.of(true) : Optional.<Boolean>empty();
                }).isPresent();
        progress.done();
        if (!live) {
            throw new IllegalStateException("edge " + settings.name() + " did not converge within "
                    + timeout.toSeconds() + "s (" + last[0] + ")");
        }
    }

    private static ServiceDefinition definition(SwarmGateway swarm, EdgeSettings settings, RouteTable routes, ConfigInfo config,
                                                String revision) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(Labels.MANAGED_BY, Labels.MANAGER);
        labels.put(Labels.KIND, Labels.Kind.EDGE);
        labels.put(EDGE, settings.name());
        labels.put(SETTINGS, settings.toJson());
        labels.put(ROUTE_TABLE, routes.toJson());
        labels.put(CONFIG, config.name());
        labels.put(REVISION, revision == null ? "" : revision);
        return new ServiceDefinition(settings.name(), settings.image(), 0, labels, Map.of(EDGE, settings.name()),
                List.of(), envoyNetworks(settings), envoyMounts(swarm, settings), List.of(), null, settings.constraints(), true,
                EdgeTls.ports(settings),
                List.of(new ServiceDefinition.ConfigMount(config.id(), config.name(), CONFIG_TARGET)),
                List.of("-c", CONFIG_TARGET, "--log-level", "warn"));
    }

    /** The edge's certificates, and an xds edge's ADS client certificate, key and CA. */
    private static List<io.swarmcanary.swarm.SecretMount> envoyMounts(SwarmGateway swarm, EdgeSettings settings) {
        List<io.swarmcanary.swarm.SecretMount> mounts = new ArrayList<>(EdgeTls.mounts(swarm, settings));
        if (settings.usesXds()) {
            mounts.addAll(AdsPki.envoyMounts(swarm, settings.name(), settings.xds().pki()));
        }
        return mounts;
    }
}
