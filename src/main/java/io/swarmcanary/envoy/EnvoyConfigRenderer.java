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
    /** Requests carrying {@code x-canary: always} go to the track's canary whatever the weights. */
    public static final String CANARY_HEADER = "x-canary";
    public static final String CANARY_HEADER_VALUE = "always";
    /** Name of the virtual host answering the smoke domains. */
    public static final String SMOKE_VIRTUAL_HOST = "proxy_test";
    static final String SMOKE_BODY = "Proxy OK\n";
    /** Response header of the smoke host carrying the route table's revision. */
    public static final String REVISION_HEADER = "x-swarm-canary-revision";
    /** Host header of the stats-only virtual host: read-only Envoy stats without publishing the admin port. */
    public static final String STATS_HOST = "swarm-canary-stats";
    /** The static cluster the stats host forwards to: the admin interface on loopback, inside the Envoy container. */
    public static final String ADMIN_CLUSTER = "swarm_canary_admin";

    static final String HCM_TYPE =
            "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
    static final String BUILT_IN_BOOTSTRAP = "/envoy/edge-bootstrap.yaml";
    static final int BUFFER_LIMIT_BYTES = 32 * 1024;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final boolean statsHost;

    public EnvoyConfigRenderer() {
        this(false);
    }

    private EnvoyConfigRenderer(boolean statsHost) {
        this.statsHost = statsHost;
    }

    /**
     * A renderer that also adds the {@value #STATS_HOST} virtual host (GET {@code /stats?format=json} and
     * {@code /stats/prometheus} only, forwarded to the loopback admin) and its cluster, when the bootstrap has a
     * loopback admin address. The analysis reads every Envoy task's counters through it.
     */
    public EnvoyConfigRenderer withStatsHost() {
        return new EnvoyConfigRenderer(true);
    }

    /**
     * @param templateYaml the user's bootstrap; empty for the built-in edge bootstrap
     * @throws InvalidRoutesException   if the route table is not valid (bad domain, weight, port, conflict...)
     * @throws InvalidTemplateException if the template does not parse or has no place for the routes
     */
    public String render(EdgeRoutes routes, Optional<String> templateYaml) {
        EdgeRoutes table = RouteTableRules.canonical(routes);
        ObjectNode root = templateYaml.isPresent() ? template(templateYaml.get()) : builtIn(table.listenerPort());

        ArrayNode virtualHosts = listField(routeConfig(root), "virtual_hosts",
                "the route_config named " + ROUTE_CONFIG_NAME);
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
            virtualHosts.add(virtualHost(track));
            track.releases().forEach(release -> clusters.add(cluster(track, release)));
        }
        JsonNode admin = root.at("/admin/address/socket_address");
        if (statsHost && admin.path("port_value").canConvertToInt() && admin.path("address").asText().startsWith("127.")) {
            virtualHosts.add(statsHost());
            clusters.add(adminCluster(admin.path("address").asText(), admin.path("port_value").asInt()));
        }
        return YamlTrees.write(root);
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

    /** The one HttpConnectionManager route_config named swarm_canary, in any listener's filter chains. */
    private static ObjectNode routeConfig(ObjectNode root) {
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
                            && routeConfig instanceof ObjectNode node) {
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
     * Only reads of the stats, and only with GET: everything else of the admin API (quitquitquit, config_dump with its
     * secrets, runtime_modify, logging, clusters, ...) answers 404 here. Paths are matched after the listener's
     * normalize_path and merge_slashes, and exactly, so "/stats/../quitquitquit" or "/stats/reset_counters" do not match.
     */
    private static ObjectNode statsHost() {
        ObjectNode host = NODES.objectNode().put("name", STATS_HOST);
        host.putArray("domains").add(STATS_HOST).add(STATS_HOST + ":*");
        ArrayNode routes = host.putArray("routes");
        ObjectNode json = routes.addObject().put("name", STATS_HOST + "-json");
        ObjectNode jsonMatch = getOnly(json.putObject("match").put("path", "/stats"));
        jsonMatch.putArray("query_parameters").addObject().put("name", "format")
                .putObject("string_match").put("exact", "json");
        json.putObject("route").put("cluster", ADMIN_CLUSTER).put("timeout", "10s");
        ObjectNode prometheus = routes.addObject().put("name", STATS_HOST + "-prometheus");
        getOnly(prometheus.putObject("match").put("path", "/stats/prometheus"));
        prometheus.putObject("route").put("cluster", ADMIN_CLUSTER).put("timeout", "10s");
        ObjectNode rest = routes.addObject().put("name", STATS_HOST + "-nothing-else");
        rest.putObject("match").put("prefix", "/");
        rest.putObject("direct_response").put("status", 404).putObject("body")
                .put("inline_string", "only GET /stats?format=json and GET /stats/prometheus are served here\n");
        return host;
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

    private static ObjectNode virtualHost(TrackRoutes track) {
        ObjectNode host = NODES.objectNode().put("name", track.name());
        track.domains().forEach(host.putArray("domains")::add);
        ArrayNode routes = host.putArray("routes");
        if (track.canaryService() != null) {
            // First, because Envoy takes the first route that matches.
            ObjectNode forced = routes.addObject().put("name", track.name() + "-force-canary");
            ObjectNode match = forced.putObject("match").put("prefix", "/");
            match.putArray("headers").addObject()
                    .put("name", CANARY_HEADER)
                    .putObject("string_match").put("exact", CANARY_HEADER_VALUE);
            routeAction(forced).put("cluster", track.canaryService());
        }
        ObjectNode weighted = routes.addObject().put("name", track.name());
        weighted.putObject("match").put("prefix", "/");
        // Weights are relative, so no total_weight. Weight-0 releases stay listed: a shift or a
        // rollback then only changes numbers, and Envoy accepts 0 as long as the sum is > 0.
        ArrayNode clusters = routeAction(weighted).putObject("weighted_clusters").putArray("clusters");
        track.releases().forEach(r -> clusters.addObject().put("name", r.service()).put("weight", r.weight()));
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
        cluster.putObject("circuit_breakers").putArray("thresholds").addObject()
                .put("priority", "DEFAULT")
                .put("max_connections", 1024)
                .put("max_pending_requests", 1024)
                .put("max_requests", 1024)
                .put("max_retries", 16);
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
