package io.swarmcanary.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders an edge's route table into an Envoy v3 bootstrap (YAML).
 *
 * <p>The base is the built-in edge bootstrap ({@code envoy/edge-bootstrap.yaml}) or the user's template.
 * Into the HttpConnectionManager whose {@code route_config} is named {@value #ROUTE_CONFIG_NAME} go one
 * virtual host per track (plus the smoke host); into {@code static_resources.clusters} goes one cluster
 * per release. Everything is built as a tree and serialised by Jackson, so no input value can inject
 * YAML; tracks, releases and domains are sorted so one route table always gives the same bytes.
 */
public final class EnvoyConfigRenderer {
    /** The route_config a template must hold for the generated virtual hosts. */
    public static final String ROUTE_CONFIG_NAME = "swarm_canary";
    /**
     * The old, unauthenticated force-canary header: it reaches no canary any more, and is stripped from every request
     * so an application never sees it either.
     */
    public static final String CANARY_HEADER = "x-canary";
    /** The request header carrying a signed token (forcing a canary, reading the stats host); never forwarded. */
    public static final String TOKEN_HEADER = "x-canary-token";
    /** The issuer of those tokens, checked by Envoy. */
    public static final String TOKEN_ISSUER = "swarm-canary";
    /** Audience of a token that reads the stats host; no track name can be it (it has a ':'). */
    public static final String STATS_AUDIENCE = "swarm-canary:stats";
    /** A forced request's cluster: the canary's endpoints under another name, so analysis never counts it. */
    public static final String FORCED_SUFFIX = "--forced";
    /** A mirrored request's cluster: the canary's endpoints under another name, so analysis counts mirrored requests apart. */
    public static final String MIRROR_SUFFIX = "--mirror";
    static final String JWT_FILTER = "envoy.filters.http.jwt_authn";
    static final String RATE_LIMIT_FILTER = "envoy.filters.http.local_ratelimit";
    /** Where jwt_authn puts a verified token's claims, in the filter's dynamic metadata. */
    static final String TOKEN_METADATA = "swarm_canary_token";
    static final String FORCE_PROVIDER = "swarm_canary_force";
    static final String STATS_PROVIDER = "swarm_canary_stats";
    /** Name of the virtual host answering the smoke domains. */
    public static final String SMOKE_VIRTUAL_HOST = "proxy_test";
    static final String SMOKE_BODY = "Proxy OK\n";
    /** Response header of the smoke host carrying the route table's revision. */
    public static final String REVISION_HEADER = "x-swarm-canary-revision";
    /** Host header of the stats-only virtual host: read-only Envoy stats without publishing the admin port. */
    public static final String STATS_HOST = "swarm-canary-stats";
    /** The static cluster the stats host forwards to: the admin interface on loopback, inside the Envoy container. */
    public static final String ADMIN_CLUSTER = "swarm_canary_admin";
    /** The static cluster through which the stats host reaches an xds edge's control plane (its status port). */
    public static final String CONTROL_PLANE_CLUSTER = "swarm_canary_control_plane";
    /** GET on the stats host: the control plane's {@code /status} (what every Envoy has ACKed), with a stats token. */
    public static final String CONTROL_PLANE_STATUS_PATH = "/swarm-canary/control-plane/status";
    /** POST on the stats host: the control plane re-reads the edge now ({@code /refresh}), with a stats token. */
    public static final String CONTROL_PLANE_REFRESH_PATH = "/swarm-canary/control-plane/refresh";

    static final String HCM_TYPE =
            "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
    private static final String JWT_TYPE_PREFIX = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.";
    private static final String RATE_LIMIT_TYPE =
            "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    static final String BUILT_IN_BOOTSTRAP = "/envoy/edge-bootstrap.yaml";
    static final int BUFFER_LIMIT_BYTES = 32 * 1024;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final boolean statsHost;
    /** The edge key's public JWKS: tokens signed by its private half force canaries and read stats; null for none. */
    private final String edgeJwks;
    /** host:port of an xds edge's control-plane status server, reached from the stats host; null for none. */
    private final String controlPlaneHost;
    private final int controlPlanePort;
    /** The edge's HTTPS listener, null for plain HTTP only. */
    private final HttpsListener https;

    public EnvoyConfigRenderer() {
        this(false, null, null, 0, null);
    }

    private EnvoyConfigRenderer(boolean statsHost, String edgeJwks, String controlPlaneHost, int controlPlanePort,
                                HttpsListener https) {
        this.statsHost = statsHost;
        this.edgeJwks = edgeJwks;
        this.controlPlaneHost = controlPlaneHost;
        this.controlPlanePort = controlPlanePort;
        this.https = https;
    }

    /** A renderer that also serves HTTPS as {@code https} says (see {@link HttpsListener}); null for none. */
    public EnvoyConfigRenderer withHttps(HttpsListener https) {
        return new EnvoyConfigRenderer(statsHost, edgeJwks, controlPlaneHost, controlPlanePort, https);
    }

    /**
     * A renderer that also adds the {@value #STATS_HOST} virtual host (GET {@code /stats?format=json} and
     * {@code /stats/prometheus} only, forwarded to the loopback admin) and its cluster, when the bootstrap has a
     * loopback admin address. The analysis reads every Envoy task's counters through it.
     */
    public EnvoyConfigRenderer withStatsHost() {
        return new EnvoyConfigRenderer(true, edgeJwks, controlPlaneHost, controlPlanePort, https);
    }

    /**
     * A renderer whose Envoy verifies tokens signed by the edge key (ES256; only this public JWKS is in the config): the
     * stats host answers only to a valid stats token, and a track with a canary gets a forced route that only a valid
     * token for that track takes. Without it neither exists.
     */
    public EnvoyConfigRenderer withEdgeKey(String publicJwks) {
        return new EnvoyConfigRenderer(statsHost, publicJwks, controlPlaneHost, controlPlanePort, https);
    }

    /**
     * A renderer whose stats host also answers GET {@value #CONTROL_PLANE_STATUS_PATH} and POST
     * {@value #CONTROL_PLANE_REFRESH_PATH} from the xds control plane's status server at host:port (on the network only
     * Envoy and the control plane join): the CLI learns what every Envoy has ACKed with the same stats token, and no
     * port of the control plane is published.
     */
    public EnvoyConfigRenderer withControlPlane(String host, int port) {
        return new EnvoyConfigRenderer(statsHost, edgeJwks, host, port, https);
    }

    /**
     * @param templateYaml the user's bootstrap; empty for the built-in edge bootstrap
     * @throws InvalidRoutesException   if the route table is not valid (bad domain, weight, port, conflict...)
     * @throws InvalidTemplateException if the template does not parse or has no place for the routes
     */
    public String render(EdgeRoutes routes, Optional<String> templateYaml) {
        return YamlTrees.write(renderTree(routes, templateYaml));
    }

    /**
     * The config as the tree {@link #render} writes as YAML, for {@link EnvoyConfigValidator#validateRendered}: checking
     * the tree saves parsing back a text that grows with every track on the edge.
     */
    public ObjectNode renderTree(EdgeRoutes routes, Optional<String> templateYaml) {
        EdgeRoutes table = RouteTableRules.canonical(routes);
        ObjectNode root = templateYaml.isPresent() ? template(templateYaml.get()) : builtIn(table.listenerPort());

        ObjectNode hcm = hcm(root);
        ObjectNode routeConfig = (ObjectNode) hcm.get("route_config");
        ArrayNode virtualHosts = listField(routeConfig, "virtual_hosts", "the route_config named " + ROUTE_CONFIG_NAME);
        // neither header ever reaches an application, whatever route a request takes
        ArrayNode stripped = listField(routeConfig, "request_headers_to_remove", "the route_config named " + ROUTE_CONFIG_NAME);
        stripped.add(TOKEN_HEADER).add(CANARY_HEADER);
        if (edgeJwks != null) {
            tokenFilters(hcm);
        }
        ArrayNode clusters = listField(staticResources(root), "clusters", "static_resources");
        if (!table.smokeDomains().isEmpty()) {
            ObjectNode smoke = smokeHost(table.smokeDomains());
            if (table.revision() != null) {
                smoke.putArray("response_headers_to_add").addObject()
                        .putObject("header").put("key", REVISION_HEADER).put("value", table.revision());
            }
            virtualHosts.add(smoke);
        }
        for (TrackRoutes track : table.tracks()) {
            boolean forcing = edgeJwks != null && track.canaryService() != null;
            virtualHosts.add(virtualHost(track, forcing));
            track.releases().forEach(release -> clusters.add(cluster(track, release)));
            if (forcing) {
                track.releases().stream().filter(r -> r.service().equals(track.canaryService())).findFirst()
                        .ifPresent(canary -> clusters.add(aliasCluster(track, canary, FORCED_SUFFIX, "forced")));
            }
            if (track.mirrorCluster() != null) {
                track.releases().stream().filter(r -> r.service().equals(track.canaryTraffic().service())).findFirst()
                        .ifPresent(canary -> clusters.add(aliasCluster(track, canary, MIRROR_SUFFIX, "mirror")));
            }
        }
        JsonNode admin = root.at("/admin/address/socket_address");
        if (statsHost && edgeJwks != null && admin.path("port_value").canConvertToInt() && admin.path("address").asText().startsWith("127.")) {
            ObjectNode stats = statsHost();
            virtualHosts.add(stats);
            clusters.add(adminCluster(admin.path("address").asText(), admin.path("port_value").asInt()));
            if (controlPlaneHost != null) {
                controlPlaneRoutes((ArrayNode) stats.get("routes"));
                clusters.add(dnsCluster(CONTROL_PLANE_CLUSTER, controlPlaneHost, controlPlanePort));
            }
        }
        if (https != null) { // last: its listener copies the finished route table
            https.addTo(root, hcm);
        }
        return root;
    }

    /** The YAML text of a tree from {@link #renderTree}: what Envoy (or the control plane) gets. */
    public static String yaml(ObjectNode tree) {
        return YamlTrees.write(tree);
    }

    private static ObjectNode builtIn(int listenerPort) {
        ObjectNode root = template(builtInText());
        ((ObjectNode) root.at("/static_resources/listeners/0/address/socket_address"))
                .put("port_value", listenerPort);
        return root;
    }

    /** What keeps a track from being routed on its own (a bad name, domain, port or weight), or empty when nothing does. */
    public static Optional<String> problemOf(TrackRoutes track) {
        try {
            RouteTableRules.canonical(new EdgeRoutes(EdgeRoutes.ANY_LISTENER_PORT, List.of(), List.of(track)));
            return Optional.empty();
        } catch (InvalidRoutesException e) {
            return Optional.of(e.getMessage());
        }
    }

    static String builtInText() {
        try (InputStream in = EnvoyConfigRenderer.class.getResourceAsStream(BUILT_IN_BOOTSTRAP)) {
            if (in == null) {
                throw new IllegalStateException(BUILT_IN_BOOTSTRAP + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode template(String yaml) {
        try {
            return YamlTrees.readMapping(yaml);
        } catch (YamlTrees.YamlException e) {
            throw new InvalidTemplateException("Envoy template: " + e.getMessage());
        }
    }

    /** The one HttpConnectionManager whose route_config is named swarm_canary, in any listener's filter chains. */
    private static ObjectNode hcm(ObjectNode root) {
        List<String> paths = new ArrayList<>();
        List<ObjectNode> found = new ArrayList<>();
        JsonNode listeners = root.path("static_resources").path("listeners");
        for (int l = 0; l < listeners.size(); l++) {
            JsonNode listener = listeners.get(l);
            List<JsonNode> chains = new ArrayList<>();
            List<String> chainPaths = new ArrayList<>();
            JsonNode filterChains = listener.path("filter_chains");
            for (int c = 0; c < filterChains.size(); c++) {
                chains.add(filterChains.get(c));
                chainPaths.add("static_resources.listeners[" + l + "].filter_chains[" + c + "]");
            }
            if (listener.has("default_filter_chain")) {
                chains.add(listener.get("default_filter_chain"));
                chainPaths.add("static_resources.listeners[" + l + "].default_filter_chain");
            }
            for (int c = 0; c < chains.size(); c++) {
                JsonNode filters = chains.get(c).path("filters");
                for (int f = 0; f < filters.size(); f++) {
                    JsonNode config = filters.get(f).path("typed_config");
                    JsonNode routeConfig = config.path("route_config");
                    if (HCM_TYPE.equals(config.path("@type").asText())
                            && ROUTE_CONFIG_NAME.equals(routeConfig.path("name").asText())
                            && routeConfig instanceof ObjectNode
                            && config instanceof ObjectNode node) {
                        found.add(node);
                        paths.add(chainPaths.get(c) + ".filters[" + f + "].typed_config.route_config");
                    }
                }
            }
        }
        if (found.isEmpty()) {
            throw new InvalidTemplateException("Envoy template has no HttpConnectionManager whose route_config is named "
                    + ROUTE_CONFIG_NAME + " (under static_resources.listeners[].filter_chains[].filters[]): add "
                    + "'route_config: {name: " + ROUTE_CONFIG_NAME + ", virtual_hosts: []}' where the generated "
                    + "virtual hosts belong");
        }
        if (found.size() > 1) {
            throw new InvalidTemplateException("Envoy template has " + found.size() + " route_configs named "
                    + ROUTE_CONFIG_NAME + " (" + String.join(", ", paths) + "): keep exactly one");
        }
        return found.get(0);
    }

    private static ObjectNode staticResources(ObjectNode root) {
        if (!(root.get("static_resources") instanceof ObjectNode staticResources)) {
            throw new InvalidTemplateException("Envoy template has no static_resources mapping for the generated clusters");
        }
        return staticResources;
    }

    /** The list under {@code field}, created when absent; anything else there is a template error. */
    private static ArrayNode listField(ObjectNode parent, String field, String where) {
        JsonNode existing = parent.get(field);
        if (existing == null || existing.isNull()) {
            return parent.putArray(field);
        }
        if (!(existing instanceof ArrayNode list)) {
            throw new InvalidTemplateException("Envoy template: " + field + " in " + where + " must be a list");
        }
        return list;
    }

    private static ObjectNode smokeHost(List<String> domains) {
        ObjectNode host = NODES.objectNode().put("name", SMOKE_VIRTUAL_HOST);
        domains.forEach(host.putArray("domains")::add);
        ObjectNode route = host.putArray("routes").addObject();
        route.putObject("match").put("prefix", "/");
        ObjectNode response = route.putObject("direct_response").put("status", 200);
        response.putObject("body").put("inline_string", SMOKE_BODY);
        return host;
    }

    /**
     * Only reads of the stats, only with GET, only with a valid stats token (jwt_authn answers 401 to anything else, before
     * any route), only the exact path and query strings the CLI sends (no admin regex or histogram option of a caller's
     * choosing), and rate-limited: everything else of the admin API (quitquitquit, config_dump with its secrets,
     * runtime_modify, logging, clusters, ...) answers 404 here. Paths are matched after the listener's normalize_path and
     * merge_slashes, and exactly, so "/stats/../quitquitquit" or "/stats/reset_counters" do not match.
     */
    private static ObjectNode statsHost() {
        ObjectNode host = NODES.objectNode().put("name", STATS_HOST);
        host.putArray("domains").add(STATS_HOST).add(STATS_HOST + ":*");
        // Prometheus may send its bearer token in authorization: admin has no use for it
        host.putArray("request_headers_to_remove").add("authorization");
        ObjectNode perFilter = host.putObject("typed_per_filter_config");
        perFilter.putObject(JWT_FILTER).put("@type", JWT_TYPE_PREFIX + "PerRouteConfig").put("requirement_name", STATS_PROVIDER);
        ObjectNode limit = perFilter.putObject(RATE_LIMIT_FILTER).put("@type", RATE_LIMIT_TYPE)
                .put("stat_prefix", "swarm_canary_stats");
        // after the token check, so only our own reads count: an outsider's flood cannot use up the CLI's reads
        limit.putObject("token_bucket").put("max_tokens", 20).put("tokens_per_fill", 10).put("fill_interval", "1s");
        for (String enabled : List.of("filter_enabled", "filter_enforced")) {
            limit.putObject(enabled).put("runtime_key", "swarm_canary_stats_" + enabled)
                    .putObject("default_value").put("numerator", 100).put("denominator", "HUNDRED");
        }
        ArrayNode routes = host.putArray("routes");
        int n = 0;
        for (String pathAndQuery : StatsHost.PATHS) {
            ObjectNode route = routes.addObject().put("name", STATS_HOST + "-" + n++);
            ObjectNode match = getOnly(route.putObject("match").put("prefix", "/"));
            ((ArrayNode) match.get("headers")).addObject().put("name", ":path")
                    .putObject("string_match").put("exact", pathAndQuery);
            route.putObject("route").put("cluster", ADMIN_CLUSTER).put("timeout", "10s");
        }
        ObjectNode rest = routes.addObject().put("name", STATS_HOST + "-nothing-else");
        rest.putObject("match").put("prefix", "/");
        rest.putObject("direct_response").put("status", 404).putObject("body")
                .put("inline_string", "only the queries swarm-canary sends, and GET /stats/prometheus, are served here\n");
        return host;
    }

    /**
     * The control plane's status and refresh on the stats host, before its catch-all 404: same token check, exact path
     * and method (no query string), rewritten to the control plane's own paths. Their own token bucket, larger than the
     * admin reads' (every pipeline waiting on a shift asks ten times a second), still bounding what reaches it.
     */
    private static void controlPlaneRoutes(ArrayNode routes) {
        int at = routes.size() - 1; // before "nothing-else"
        String[][] paths = {{"GET", CONTROL_PLANE_STATUS_PATH, "/status"}, {"POST", CONTROL_PLANE_REFRESH_PATH, "/refresh"}};
        for (String[] p : paths) {
            ObjectNode route = NODES.objectNode().put("name", STATS_HOST + "-control-plane-" + p[2].substring(1));
            ArrayNode headers = route.putObject("match").put("path", p[1]).putArray("headers");
            headers.addObject().put("name", ":method").putObject("string_match").put("exact", p[0]);
            headers.addObject().put("name", ":path").putObject("string_match").put("exact", p[1]);
            route.putObject("route").put("cluster", CONTROL_PLANE_CLUSTER).put("prefix_rewrite", p[2]).put("timeout", "5s");
            ObjectNode limit = route.putObject("typed_per_filter_config").putObject(RATE_LIMIT_FILTER)
                    .put("@type", RATE_LIMIT_TYPE).put("stat_prefix", "swarm_canary_control_plane");
            limit.putObject("token_bucket").put("max_tokens", 200).put("tokens_per_fill", 100).put("fill_interval", "1s");
            for (String enabled : List.of("filter_enabled", "filter_enforced")) {
                limit.putObject(enabled).put("runtime_key", "swarm_canary_control_plane_" + enabled)
                        .putObject("default_value").put("numerator", 100).put("denominator", "HUNDRED");
            }
            routes.insert(at++, route);
        }
    }

    /** A static cluster to the control plane by DNS (tasks.<edge>-xds). */
    static ObjectNode dnsCluster(String name, String host, int port) {
        ObjectNode cluster = NODES.objectNode().put("name", name);
        cluster.put("connect_timeout", "1s").put("type", "STRICT_DNS").put("dns_lookup_family", "V4_ONLY")
                // a restarted control plane has a new task address: find it within a second
                .put("dns_refresh_rate", "1s");
        cluster.putObject("load_assignment").put("cluster_name", name)
                .putArray("endpoints").addObject().putArray("lb_endpoints").addObject()
                .putObject("endpoint").putObject("address").putObject("socket_address")
                .put("address", host).put("port_value", port);
        return cluster;
    }

    /**
     * jwt_authn and local_ratelimit before the router. jwt_authn checks tokens only where a virtual host asks for it (per
     * route config): the stats host requires one, a track with forcing accepts one and otherwise routes by weight, so a
     * request without or with a bad token is never refused. A valid token's claims go into dynamic metadata, and the
     * route is matched again so the forced route can see them.
     */
    private void tokenFilters(ObjectNode hcm) {
        ArrayNode filters = listField(hcm, "http_filters", "the HttpConnectionManager of " + ROUTE_CONFIG_NAME);
        int router = filters.size();
        for (int i = 0; i < filters.size(); i++) {
            if (filters.get(i).path("typed_config").path("@type").asText().endsWith(".router.v3.Router")) {
                router = i;
                break;
            }
        }
        ObjectNode jwt = NODES.objectNode().put("name", JWT_FILTER);
        ObjectNode config = jwt.putObject("typed_config").put("@type", JWT_TYPE_PREFIX + "JwtAuthentication");
        ObjectNode providers = config.putObject("providers");
        ObjectNode force = provider(providers.putObject(FORCE_PROVIDER));
        force.putArray("from_headers").addObject().put("name", TOKEN_HEADER);
        ObjectNode stats = provider(providers.putObject(STATS_PROVIDER));
        stats.putArray("audiences").add(STATS_AUDIENCE);
        ArrayNode statsHeaders = stats.putArray("from_headers");
        statsHeaders.addObject().put("name", TOKEN_HEADER);
        statsHeaders.addObject().put("name", "authorization").put("value_prefix", "Bearer ");
        ObjectNode requirements = config.putObject("requirement_map");
        ArrayNode any = requirements.putObject(FORCE_PROVIDER).putObject("requires_any").putArray("requirements");
        any.addObject().put("provider_name", FORCE_PROVIDER);
        any.addObject().putObject("allow_missing_or_failed");
        requirements.putObject(STATS_PROVIDER).put("provider_name", STATS_PROVIDER);

        ObjectNode limit = NODES.objectNode().put("name", RATE_LIMIT_FILTER);
        // no bucket here: only the virtual hosts that set one are limited
        limit.putObject("typed_config").put("@type", RATE_LIMIT_TYPE).put("stat_prefix", "swarm_canary");
        filters.insert(router, limit);
        filters.insert(router, jwt);
    }

    private ObjectNode provider(ObjectNode provider) {
        provider.put("issuer", TOKEN_ISSUER);
        provider.putObject("local_jwks").put("inline_string", edgeJwks);
        provider.put("forward", false);
        provider.put("require_expiration", true);
        provider.put("payload_in_metadata", TOKEN_METADATA);
        provider.put("clear_route_cache", true);
        return provider;
    }

    private static ObjectNode getOnly(ObjectNode match) {
        match.putArray("headers").addObject().put("name", ":method").putObject("string_match").put("exact", "GET");
        return match;
    }

    private static ObjectNode adminCluster(String address, int port) {
        ObjectNode cluster = NODES.objectNode().put("name", ADMIN_CLUSTER);
        cluster.put("connect_timeout", "1s");
        cluster.put("type", "STATIC");
        ObjectNode socket = cluster.putObject("load_assignment").put("cluster_name", ADMIN_CLUSTER)
                .putArray("endpoints").addObject()
                .putArray("lb_endpoints").addObject()
                .putObject("endpoint").putObject("address").putObject("socket_address");
        socket.put("address", address).put("port_value", port);
        return cluster;
    }

    private static ObjectNode virtualHost(TrackRoutes track, boolean forcing) {
        ObjectNode host = NODES.objectNode().put("name", track.name());
        track.domains().forEach(host.putArray("domains")::add);
        ArrayNode routes = host.putArray("routes");
        if (forcing) {
            host.putObject("typed_per_filter_config").putObject(JWT_FILTER)
                    .put("@type", JWT_TYPE_PREFIX + "PerRouteConfig").put("requirement_name", FORCE_PROVIDER);
            // First, because Envoy takes the first route that matches: only a valid token whose audience is this track
            ObjectNode forced = routes.addObject().put("name", track.name() + "-force-canary");
            ObjectNode match = forced.putObject("match").put("prefix", "/");
            ObjectNode audience = match.putArray("dynamic_metadata").addObject().put("filter", JWT_FILTER);
            audience.putArray("path").addObject().put("key", TOKEN_METADATA);
            ((ArrayNode) audience.get("path")).addObject().put("key", "aud");
            audience.putObject("value").putObject("string_match").put("exact", track.name());
            routeAction(forced).put("cluster", track.forcedCluster());
        }
        CanaryTraffic traffic = track.canaryTraffic();
        if (traffic != null && !traffic.matches().isEmpty()) {
            // after the forced route (a token still wins), before the weighted one; Envoy ANDs a route's header matchers
            ObjectNode ab = routes.addObject().put("name", track.name() + "-match");
            ArrayNode headers = ab.putObject("match").put("prefix", "/").putArray("headers");
            traffic.matches().forEach(m -> headers.add(m.headerMatcher()));
            routeAction(ab).put("cluster", traffic.service());
        }
        StickySessions sticky = traffic == null ? null : traffic.sticky();
        if (sticky != null) {
            // after the audience (it goes to the canary anyway), before the weighted route; the canary's first
            java.util.stream.Stream.concat(java.util.stream.Stream.of(traffic.service()), sticky.values().keySet().stream())
                    .distinct().filter(sticky.values()::containsKey).forEach(service -> {
                        ObjectNode route = routes.addObject().put("name", track.name() + "-sticky-" + service);
                        route.putObject("match").put("prefix", "/").putArray("headers").add(sticky.matcher(service));
                        routeAction(route).put("cluster", service);
                    });
        }
        ObjectNode weighted = routes.addObject().put("name", track.name());
        weighted.putObject("match").put("prefix", "/");
        // Weights are relative, so no total_weight. Weight-0 releases stay listed: a shift or a
        // rollback then only changes numbers, and Envoy accepts 0 as long as the sum is > 0.
        ObjectNode action = routeAction(weighted);
        ArrayNode clusters = action.putObject("weighted_clusters").putArray("clusters");
        track.releases().forEach(r -> {
            ObjectNode cluster = clusters.addObject().put("name", r.service()).put("weight", r.weight());
            if (sticky != null) {
                sticky.addTo(cluster);
            }
        });
        if (track.mirrorCluster() != null) {
            // Envoy sends the copy and drops its answer; the client gets the weighted route's answer only
            action.putArray("request_mirror_policies").addObject().put("cluster", track.mirrorCluster())
                    .putObject("runtime_fraction").putObject("default_value")
                    .put("numerator", traffic.mirrorPercent()).put("denominator", "HUNDRED");
        }
        return host;
    }

    private static ObjectNode routeAction(ObjectNode route) {
        ObjectNode action = route.putObject("route");
        action.put("timeout", "60s");
        ObjectNode retry = action.putObject("retry_policy");
        // Only failures before the application saw the request: retrying 5xx could repeat a
        // non-idempotent request and would hide a failing canary from the analysis.
        retry.put("retry_on", "connect-failure,refused-stream,reset-before-request");
        retry.put("num_retries", 2);
        // Retry on another task: the one that just failed is likely going away.
        retry.putArray("retry_host_predicate").addObject()
                .put("name", "envoy.retry_host_predicates.previous_hosts")
                .putObject("typed_config").put("@type",
                        "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate");
        retry.put("host_selection_retry_max_attempts", 5);
        return action;
    }

    /**
     * The canary's endpoints under another name (forced or mirrored requests): analysis reads a release's own cluster,
     * so they are never counted as the canary's real traffic.
     */
    private static ObjectNode aliasCluster(TrackRoutes track, ReleaseRoute canary, String suffix, String why) {
        ObjectNode cluster = cluster(track, canary);
        cluster.put("name", canary.service() + suffix);
        ((ObjectNode) cluster.get("load_assignment")).put("cluster_name", canary.service() + suffix);
        ((ObjectNode) cluster.at("/metadata/filter_metadata/swarm_canary")).put(why, true);
        return cluster;
    }

    /** The release service whose tasks a cluster reaches: its own, or the canary's for a forced or mirror cluster. */
    public static String serviceOfCluster(String cluster) {
        for (String suffix : List.of(FORCED_SUFFIX, MIRROR_SUFFIX)) {
            if (cluster.endsWith(suffix)) {
                return cluster.substring(0, cluster.length() - suffix.length());
            }
        }
        return cluster;
    }

    private static ObjectNode cluster(TrackRoutes track, ReleaseRoute release) {
        ObjectNode cluster = NODES.objectNode().put("name", release.service());
        cluster.put("connect_timeout", "2s");
        cluster.put("per_connection_buffer_limit_bytes", BUFFER_LIMIT_BYTES);
        // One host per A record of tasks.<service>: Swarm VIPs need IPVS, task addresses do not.
        // No dns_refresh_rate: it is deprecated on Cluster (Envoy 1.40 warns), the 5s default is fine
        // because a release gets traffic only after its tasks have been healthy for a while.
        cluster.put("type", "STRICT_DNS");
        cluster.put("dns_lookup_family", "V4_ONLY"); // Swarm overlay networks are IPv4
        cluster.put("lb_policy", "ROUND_ROBIN");
        ObjectNode thresholds = cluster.putObject("circuit_breakers").putArray("thresholds").addObject()
                .put("priority", "DEFAULT")
                .put("max_connections", 1024)
                .put("max_pending_requests", 1024)
                .put("max_requests", 1024);
        // retries (only the always-safe ones, see routeAction) at most a fifth of the requests in flight, at least 3 at
        // once: a release in trouble is not sent a second wave of its own traffic (it replaces a fixed max_retries)
        thresholds.putObject("retry_budget").put("min_retry_concurrency", 3).putObject("budget_percent").put("value", 20.0);
        // No active health check: Swarm lists a task in tasks.<service> only once its HEALTHCHECK passes.
        cluster.putObject("outlier_detection")
                .put("consecutive_5xx", 5)
                .put("interval", "10s")
                .put("base_ejection_time", "30s")
                .put("max_ejection_percent", 50);
        cluster.putObject("metadata").putObject("filter_metadata").putObject("swarm_canary")
                .put("app", track.app())
                .put("env", track.env())
                .put("version", release.version());
        ObjectNode socket = cluster.putObject("load_assignment").put("cluster_name", release.service())
                .putArray("endpoints").addObject()
                .putArray("lb_endpoints").addObject()
                .putObject("endpoint").putObject("address").putObject("socket_address");
        socket.put("address", release.tasksAddress()).put("port_value", release.port());
        return cluster;
    }
}
