package io.swarmcanary.edge;

import io.swarmcanary.envoy.CanaryTraffic;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.EnvoyConfigValidator;
import io.swarmcanary.envoy.ReleaseRoute;
import io.swarmcanary.envoy.RouteMatch;
import io.swarmcanary.envoy.StickySessions;
import io.swarmcanary.envoy.TrackRoutes;
import io.swarmcanary.envoy.ValidationResult;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.DomainNames;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Names;
import io.swarmcanary.swarm.ConfigInfo;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

/**
 * Plans an edge's config: from its settings, route table and releases, the tracks it can route, the rendered and
 * validated Envoy config, its revision, and what an xds Envoy boots from. Reads only the template config.
 */
final class EdgePlanner {
    /** A release's port label as a number Integer.parseInt takes (its range is the route table's rules' to check). */
    private static final java.util.regex.Pattern PORT = java.util.regex.Pattern.compile("[0-9]{1,5}");

    private final SwarmGateway swarm;
    private final EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withStatsHost();
    private final EnvoyConfigValidator validator = new EnvoyConfigValidator();
    private final XdsConfig xds = new XdsConfig();

    EdgePlanner(SwarmGateway swarm) {
        this.swarm = swarm;
    }

    /** Which tracks the edge serves and which it cannot route (with why), from these reads: nothing rendered. */
    record Routing(List<TrackRoutes> served, Map<String, String> unrouted, List<String> warnings) {}

    /** What a plan renders, up to its revision: the config itself is not rendered again nor validated. */
    private record Rendering(Routing routing, String templateText, EdgeRoutes edgeRoutes, Optional<String> jwks,
                             EnvoyConfigRenderer renderer, String revision) {}

    private Rendering rendering(EdgeSettings settings, RouteTable routes, Optional<String> newTemplate,
                                Map<String, List<ServiceInfo>> releasesByTrack) {
        // Envoy checks tokens with the cluster's edge key; without one (an edge no ensure of this version has seen) no
        // token is accepted: no stats host, no forcing
        Optional<String> jwks = EdgeKey.read(swarm).map(EdgeKey::publicJwks);
        Routing routing = routing(settings, routes, releasesByTrack, jwks::isPresent);
        String templateText = newTemplate.orElseGet(() -> settings.templateConfig() == null ? null
                : new String(swarm.config(settings.templateConfig()).map(ConfigInfo::data)
                        .orElseThrow(() -> new IllegalStateException("the edge's template config " + settings.templateConfig()
                                + " is missing; re-run 'edge ensure --template FILE'")), StandardCharsets.UTF_8));
        EdgeRoutes edgeRoutes = new EdgeRoutes(EdgeSettings.LISTENER_PORT, null, routing.served());
        EnvoyConfigRenderer keyed = jwks.map(this.renderer::withEdgeKey).orElse(this.renderer).withHttps(EdgeTls.listener(settings));
        // an xds edge's stats host also answers the control plane's status (RDS carries those routes)
        EnvoyConfigRenderer renderer = settings.usesXds() ? keyed.withControlPlane(controlPlaneHost(settings), XdsConfig.STATUS_PORT)
                : keyed;
        // the revision names the config without itself in it, so the config is rendered once to hash, once to ship. It
        // hashes the YAML: a control plane computes it with its own code, and one of an earlier build must agree with it
        String revision = Names.sha256(renderer.render(edgeRoutes, Optional.ofNullable(templateText))).substring(0, 12);
        return new Rendering(routing, templateText, edgeRoutes, jwks, renderer, revision);
    }

    /** The revision {@link #plan} would give the edge with these reads, without validating its config. */
    String revision(EdgeSettings settings, RouteTable routes, Map<String, List<ServiceInfo>> releasesByTrack) {
        return rendering(settings, routes, Optional.empty(), releasesByTrack).revision();
    }

    EdgeManager.Plan plan(EdgeSettings settings, RouteTable routes, Optional<String> newTemplate,
              Map<String, List<ServiceInfo>> releasesByTrack) {
        Rendering rendering = rendering(settings, routes, newTemplate, releasesByTrack);
        Routing routing = rendering.routing();
        List<String> warnings = new ArrayList<>(routing.warnings());
        Map<String, String> unrouted = routing.unrouted();
        String templateText = rendering.templateText();
        EdgeRoutes edgeRoutes = rendering.edgeRoutes();
        Optional<String> jwks = rendering.jwks();
        EnvoyConfigRenderer renderer = rendering.renderer();
        String revision = rendering.revision();
        com.fasterxml.jackson.databind.node.ObjectNode tree = renderer.renderTree(edgeRoutes.withRevision(revision),
                Optional.ofNullable(templateText));
        io.swarmcanary.envoy.EnvoyConfigValidator.Checked checked = validator.checkRendered(tree);
        ValidationResult validation = checked.result();
        if (!validation.isValid()) {
            throw new EdgeManager.InvalidConfig("the generated Envoy config", validation.describe());
        }
        // written once, when asked for: the CLI of an xds edge ships only the bootstrap, so a shift never pays for it
        java.util.function.Supplier<String> yaml = once(() -> EnvoyConfigRenderer.yaml(tree));
        // an xds Envoy starts from a bootstrap without the route table: that comes from the control plane
        String bootstrap = !settings.usesXds() ? yaml.get() : xds.bootstrap(settings.name(), EdgeSettings.LISTENER_PORT,
                Optional.ofNullable(templateText), controlPlaneHost(settings), XdsConfig.DEFAULT_GRPC_PORT, jwks,
                EdgeTls.listener(settings), settings.xds().pki() == null ? null : AdsPki.envoySide(settings.name()));
        if (settings.usesXds() && settings.xds().pki() != null) {
            adsCertificatesEnding(settings, java.time.Instant.now()).ifPresent(warnings::add);
        }
        if (settings.usesXds()) {
            ValidationResult bootstrapValidation = validator.validate(bootstrap);
            if (!bootstrapValidation.isValid()) {
                throw new EdgeManager.InvalidConfig("the xDS bootstrap for this edge", bootstrapValidation.describe());
            }
        }
        return new EdgeManager.Plan(settings, routes, edgeRoutes, yaml, checked.config(), revision, List.copyOf(warnings), bootstrap,
                unrouted);
    }

    /**
     * The tracks {@link #plan} leaves unrouted, and why, without rendering: what a read-only command (status, next) asks.
     * Forcing never changes which tracks are routed, so the edge key is not read (its warnings are not those of a plan).
     */
    Map<String, String> unrouted(EdgeSettings settings, RouteTable routes, Map<String, List<ServiceInfo>> releasesByTrack) {
        return routing(settings, routes, releasesByTrack, () -> false).unrouted();
    }

    /** @param keyed whether the cluster has an edge key (asked only when a forced cluster's name clashes) */
    private Routing routing(EdgeSettings settings, RouteTable routes, Map<String, List<ServiceInfo>> releasesByTrack,
                            BooleanSupplier keyed) {
        List<String> warnings = new ArrayList<>();
        List<TrackRoutes> tracks = new ArrayList<>();
        Map<String, Map<String, java.time.Instant>> claimed = new HashMap<>(); // track -> domain -> since when it has it
        // read once, and only when a track is sticky
        java.util.concurrent.atomic.AtomicReference<Optional<byte[]>> namingKey = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.function.Supplier<Optional<byte[]>> key = () -> namingKey.updateAndGet(
                k -> k != null ? k : io.swarmcanary.release.NamingKey.read(swarm));
        Map<String, String> unrouted = new TreeMap<>();
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
            Optional<ServiceInfo> badPort = java.util.stream.Stream.concat(releases.stream(), leaving.stream())
                    .filter(r -> !PORT.matcher(r.labels().getOrDefault(Labels.PORT, "80")).matches()).findFirst();
            if (badPort.isPresent()) { // a label edited by hand: this track alone is left out, never the whole edge
                unrouted.put(track, "release " + badPort.get().name() + " has label " + Labels.PORT + " '"
                        + Names.printable(badPort.get().labels().get(Labels.PORT)) + "', which is not a port number");
                return;
            }
            Set<String> apps = new TreeSet<>();
            all.forEach(r -> apps.add("app '" + Names.printable(String.valueOf(r.labels().get(Labels.APP))) + "' env '"
                    + Names.printable(String.valueOf(r.labels().get(Labels.ENV))) + "'"));
            if (apps.size() > 1) { // made before deploy refused it: two apps whose names join to one track name
                warnings.add("track " + track + " holds releases of " + String.join(" and ", apps) + ", which share one"
                        + " track name (route table entry, weights and lock): redeploy one of them under another --app or"
                        + " --env and remove its releases here");
            }
            Map<String, Integer> weights = EdgeReader.effectiveWeights(releases, entry);
            // forcing is opt-in: without it no route reaches the canary but its weight
            String canary = settings.forcesCanary() && entry != null && entry.canary() != null
                    && weights.containsKey(entry.canary()) ? entry.canary() : null;
            List<ReleaseRoute> rr = java.util.stream.Stream.concat(releases.stream(), leaving.stream())
                    .map(r -> new ReleaseRoute(r.name(), r.labels().get(Labels.VERSION),
                            Integer.parseInt(r.labels().getOrDefault(Labels.PORT, "80")), weights.getOrDefault(r.name(), 0)))
                    .toList();
            ServiceInfo first = releases.get(0);
            TrackRoutes routesOfTrack = new TrackRoutes(first.labels().get(Labels.APP), first.labels().get(Labels.ENV),
                    List.copyOf(domains), rr, canary, canaryTraffic(track, entry, releases, weights, key, warnings));
            tracks.add(routesOfTrack);
            Map<String, java.time.Instant> since = new HashMap<>();
            releases.forEach(r -> Labels.domains(r.labels()).forEach(d -> since.merge(d, Labels.created(r.createdAt()),
                    java.util.function.BinaryOperator.minBy(java.util.Comparator.naturalOrder()))));
            claimed.put(routesOfTrack.name(), since);
        });
        warnings.addAll(hostsOnTwoTracks(tracks));
        List<TrackRoutes> served = withoutClashingAliases(routable(tracks, claimed, unrouted), keyed, warnings);
        unrouted.forEach((track, why) -> warnings.add("track " + track + " is not routed: " + why
                + "; every other track is served"));
        return new Routing(served, unrouted, warnings);
    }

    /** The value of {@code compute}, computed on the first call and kept; the tree it writes is not changed after. */
    static java.util.function.Supplier<String> once(java.util.function.Supplier<String> compute) {
        String[] kept = new String[1];
        return () -> {
            synchronized (kept) {
                if (kept[0] == null) {
                    kept[0] = compute.get();
                }
                return kept[0];
            }
        };
    }

    /**
     * The A/B matches and mirroring of a track, while its canary runs; null when it has none, or when a stored match no
     * longer reads (a hand-edited label, a stricter rule of a later version): that track then routes by weight alone,
     * with a warning, and every other team's writes go on.
     */
    /**
     * A warning when the ADS certificates the edge uses end within {@link AdsPki#RENEW_BEFORE}: past their end, an Envoy
     * or control plane that reconnects (a restart, a manager reboot) gets no config. Every write and status says it.
     */
    Optional<String> adsCertificatesEnding(EdgeSettings settings, java.time.Instant now) {
        return AdsPki.stored(swarm, settings.name()).stream().filter(g -> g.id().equals(settings.xds().pki())).findFirst()
                .filter(g -> g.notAfter().isBefore(now.plus(AdsPki.RENEW_BEFORE)))
                .map(g -> "edge " + settings.name() + ": its ADS certificates " + (g.notAfter().isBefore(now) ? "ended " : "end ")
                        + g.notAfter() + "; run 'swarm-canary edge ensure --edge " + settings.name() + "' to renew them"
                        + " (past their end, an Envoy or control plane that reconnects gets no config)");
    }

    static CanaryTraffic canaryTraffic(String track, RouteTable.TrackEntry entry, List<ServiceInfo> live, List<String> warnings) {
        return canaryTraffic(track, entry, live, Map.of(), Optional::empty, warnings);
    }

    /**
     * @param weights   the track's weights in force (sticky cookies go only to releases with weight)
     * @param namingKey the cluster's naming key, which the sticky cookie values are made with
     */
    static CanaryTraffic canaryTraffic(String track, RouteTable.TrackEntry entry, List<ServiceInfo> live,
                                       Map<String, Integer> weights, java.util.function.Supplier<Optional<byte[]>> namingKey,
                                       List<String> warnings) {
        if (entry == null || entry.canary() == null || (entry.match().isEmpty() && entry.mirror() == null && entry.sticky() == null)
                || live.stream().noneMatch(r -> r.name().equals(entry.canary()))) {
            return null;
        }
        List<RouteMatch> matches;
        try {
            matches = entry.match().stream().map(RouteMatch::parse).toList();
        } catch (io.swarmcanary.envoy.InvalidRoutesException bad) {
            warnings.add("track " + track + ": its A/B match no longer reads (" + bad.getMessage() + "); it routes by weight"
                    + " only until 'swarm-canary route --app A --env E --clear' or a new --match");
            return null;
        }
        return new CanaryTraffic(entry.canary(), matches, entry.mirror() == null ? 0 : entry.mirror(),
                sticky(track, entry.sticky(), live, weights, namingKey, warnings));
    }

    /**
     * A track's sticky sessions: a cookie value for each release with weight, while two or more have weight (with one
     * there is nothing to keep a client on). Null, with a warning, when the stored setting no longer reads or the naming
     * key is gone: the track then routes by weight alone.
     */
    static StickySessions sticky(String track, RouteTable.Sticky stored, List<ServiceInfo> live, Map<String, Integer> weights,
                                 java.util.function.Supplier<Optional<byte[]>> namingKey, List<String> warnings) {
        if (stored == null) {
            return null;
        }
        List<ServiceInfo> weighted = live.stream().filter(r -> weights.getOrDefault(r.name(), 0) > 0).toList();
        Map<String, String> values = new TreeMap<>();
        if (weighted.size() > 1) {
            Optional<byte[]> key = namingKey.get();
            if (key.isEmpty()) {
                warnings.add("track " + track + ": sticky sessions need the cluster's naming key, which does not exist yet"
                        + " ('swarm-canary shift --sticky' creates it); it routes by weight only");
                return null;
            }
            weighted.forEach(r -> values.put(r.name(), StickySessions.value(key.get(), track, r.name(), r.id())));
        }
        try {
            return new StickySessions(stored.cookie(), stored.ttlSeconds(), values);
        } catch (io.swarmcanary.envoy.InvalidRoutesException bad) {
            warnings.add("track " + track + ": its sticky setting no longer reads (" + bad.getMessage() + "); it routes by"
                    + " weight only until 'swarm-canary shift --app A --env E --no-sticky' or a new --sticky");
            return null;
        }
    }

    private static String controlPlaneHost(EdgeSettings settings) {
        return AdsPki.controlPlaneHost(settings.name());
    }

    /**
     * The tracks the edge can route: each valid on its own, no reserved host, and each domain with the track that has
     * had it longest (a later claimant is the one left out). One track's bad state never takes the others down.
     */
    static List<TrackRoutes> routable(List<TrackRoutes> tracks, Map<String, Map<String, java.time.Instant>> claimed,
                                      Map<String, String> unrouted) {
        Map<String, String> owner = new HashMap<>();  // domain as Envoy compares it -> track
        Map<String, java.time.Instant> ownerSince = new HashMap<>();
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
                java.time.Instant since = claimed.getOrDefault(track.name(), Map.of()).getOrDefault(domain, java.time.Instant.MAX);
                String other = owner.get(key);
                int age = other == null ? 0 : since.compareTo(ownerSince.get(key));
                if (other == null || age < 0 || (age == 0 && track.name().compareTo(other) < 0)) {
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

    /**
     * A canary's forced or mirror cluster ({@code <release>--forced}, {@code --mirror}) whose name a served release has
     * (one of version {@code 1--forced}, in this track or another): Envoy needs every cluster name once, so that track
     * is served without forcing or mirroring, with a warning, rather than the whole edge refused. Both tracks stay served.
     * A forced cluster exists only on a cluster with an edge key ({@code keyed}), so without one it clashes with nothing.
     */
    /**
     * A host that two tracks serve on different ports (files.example.com and files.example.com:10000): deploy refuses it,
     * but an edge can hold one (releases older than that check, two deploys at once). It is served as before, since
     * Envoy matches the port literally and every build must render an edge alike, and named: a browser sends no port
     * for 443, so which track a user reaches depends on the port in the URL.
     */
    static List<String> hostsOnTwoTracks(List<TrackRoutes> tracks) {
        Map<String, Set<String>> tracksOfHost = new TreeMap<>();
        tracks.forEach(t -> t.domains().forEach(d -> tracksOfHost.computeIfAbsent(DomainNames.host(d), h -> new TreeSet<>())
                .add(t.name())));
        List<String> warnings = new ArrayList<>();
        tracksOfHost.forEach((host, names) -> {
            if (names.size() > 1) {
                warnings.add("host " + host + " is served by tracks " + String.join(" and ", names) + " on different ports:"
                        + " a host belongs to one track; remove it from all but one (redeploy without that --domain)");
            }
        });
        return warnings;
    }

    static List<TrackRoutes> withoutClashingAliases(List<TrackRoutes> served, BooleanSupplier keyed,
                                                    List<String> warnings) {
        Map<String, String> releaseTrack = new HashMap<>();
        served.forEach(t -> t.releases().forEach(r -> releaseTrack.put(r.service(), t.name())));
        List<TrackRoutes> result = new ArrayList<>();
        for (TrackRoutes track : served) {
            String forced = track.forcedCluster();
            // the forced cluster is rendered only with an edge key (EnvoyConfigRenderer): without one nothing clashes
            boolean forcedClashes = forced != null && releaseTrack.containsKey(forced) && keyed.getAsBoolean();
            String mirror = track.mirrorCluster();
            boolean mirrorClashes = mirror != null && releaseTrack.containsKey(mirror);
            if (!forcedClashes && !mirrorClashes) {
                result.add(track);
                continue;
            }
            String clash = forcedClashes ? forced : mirror;
            warnings.add("track " + track.name() + " is served without " + (forcedClashes ? "forcing its canary" : "mirroring")
                    + (forcedClashes && mirrorClashes ? " or mirroring" : "") + ": its cluster " + clash + " would have the"
                    + " name of release " + clash + " of track " + releaseTrack.get(clash) + "; deploy that one under another"
                    + " version (without '" + EnvoyConfigRenderer.FORCED_SUFFIX + "' or '" + EnvoyConfigRenderer.MIRROR_SUFFIX
                    + "') or remove it");
            CanaryTraffic traffic = track.canaryTraffic();
            if (mirrorClashes) {
                traffic = new CanaryTraffic(traffic.service(), traffic.matches(), 0, traffic.sticky());
                if (traffic.matches().isEmpty() && traffic.sticky() == null) {
                    traffic = null;
                }
            }
            result.add(new TrackRoutes(track.app(), track.env(), track.domains(), track.releases(),
                    forcedClashes ? null : track.canaryService(), traffic));
        }
        return result;
    }

    static String configName(EdgeManager.Plan plan) {
        return plan.settings().name() + "-config-" + Names.sha256(plan.bootstrap().getBytes(StandardCharsets.UTF_8)).substring(0, 12);
    }

    static Map<String, Map<String, Integer>> weightsByVersion(EdgeManager.Plan plan) {
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
