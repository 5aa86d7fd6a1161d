package io.swarmcanary.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.swarmcanary.release.Names;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Delivery "xds": the same config the renderer makes, split in two. Envoy boots from a bootstrap that
 * never changes with the route table (the route_config named {@value EnvoyConfigRenderer#ROUTE_CONFIG_NAME}
 * comes over RDS, the release clusters over CDS, both on one ADS stream to the control plane); the
 * control plane serves the parts of the fully rendered config that do change. One renderer, so both
 * deliveries route identically.
 */
public final class XdsConfig {
    /** The static cluster through which Envoy reaches the control plane. */
    public static final String XDS_CLUSTER = "swarm_canary_xds";
    public static final int DEFAULT_GRPC_PORT = 18000;
    /** The control plane's status server, inside its container; reached only by Envoy's stats host, never published. */
    public static final int STATUS_PORT = 18001;

    // with the stats host: its admin cluster stays static in the bootstrap, its virtual host comes over RDS
    private final EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withStatsHost();

    /**
     * What the control plane serves: RDS (the plain listener's route config, and the HTTPS listener's when the edge has
     * certificates), CDS (one cluster per release) and EDS (each release's task addresses). Endpoints have their own
     * version, so a task coming or going never re-sends, let alone re-creates, a cluster.
     *
     * @param routes       the plain listener's route config ({@value EnvoyConfigRenderer#ROUTE_CONFIG_NAME})
     * @param routeConfigs every route config served over RDS: {@code routes}, then the HTTPS listener's if any
     */
    public record Resources(RouteConfiguration routes, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                            String routesVersion, String clustersVersion, String endpointsVersion,
                            List<RouteConfiguration> routeConfigs) {
        public Resources(RouteConfiguration routes, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints,
                         String routesVersion, String clustersVersion, String endpointsVersion) {
            this(routes, clusters, endpoints, routesVersion, clustersVersion, endpointsVersion, List.of(routes));
        }
    }

    /**
     * The overlay network only an xds edge's Envoys and its control plane join (internal, not attachable): ADS and the
     * status endpoint are out of reach of the releases on the edge's own networks.
     */
    public static String controlPlaneNetwork(String edge) {
        return edge + "-xds-net";
    }

    /** The identity (a URI SAN) of an xds edge's Envoys in their ADS client certificate; the control plane takes no other. */
    public static String envoyIdentity(String edge) {
        return "spiffe://swarm-canary/" + edge + "/envoy";
    }

    /**
     * The SDS secret of a domain's certificate: named by the domain alone, so a rotation changes what the secret holds
     * and never the listener that names it (Envoy keeps every connection; new handshakes get the new certificate).
     */
    public static String sdsSecretName(String domain) {
        return "tls:" + domain;
    }

    /**
     * The version of the certificates an xds edge's control plane serves over SDS: a hash of each domain's files, whose
     * names are the content-addressed (keyed) secrets' names, so the CLI knows it from the edge's settings and the
     * control plane from its command line, and it tells nothing of a key. Null without certificates.
     *
     * @param files each domain's "CERT_FILE,KEY_FILE"
     */
    public static String sdsVersion(java.util.SortedMap<String, String> files) {
        if (files.isEmpty()) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        files.forEach((domain, f) -> text.append(domain).append('=').append(f).append('\n'));
        return Names.sha256(text.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 12);
    }

    /** A domain's certificate chain and key as an SDS secret; the key's bytes stay inside it (never printed, never logged). */
    public static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret sdsSecret(String domain, byte[] certPem,
                                                                                            byte[] keyPem) {
        return io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.newBuilder().setName(sdsSecretName(domain))
                .setTlsCertificate(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate.newBuilder()
                        .setCertificateChain(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                                .setInlineBytes(com.google.protobuf.ByteString.copyFrom(certPem)))
                        .setPrivateKey(io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                                .setInlineBytes(com.google.protobuf.ByteString.copyFrom(keyPem))))
                .build();
    }

    /** Name of the control plane's Swarm service for an edge; Envoy resolves {@code tasks.<it>}. */
    public static String controlPlaneService(String edge) {
        return edge + "-xds";
    }

    /**
     * The Envoy bootstrap of an xds edge: the built-in bootstrap (or the template) with no tracks, its
     * route_config replaced by RDS over ADS, CDS over ADS, and a static cluster to the control plane.
     */
    public String bootstrap(String edge, int listenerPort, Optional<String> template, String controlPlaneHost, int grpcPort) {
        return bootstrap(edge, listenerPort, template, controlPlaneHost, grpcPort, Optional.empty());
    }

    /** @param edgeJwks the edge key's public JWKS: the token filters are in the listener, so they never change with RDS */
    public String bootstrap(String edge, int listenerPort, Optional<String> template, String controlPlaneHost, int grpcPort,
                            Optional<String> edgeJwks) {
        return bootstrap(edge, listenerPort, template, controlPlaneHost, grpcPort, edgeJwks, null);
    }

    /**
     * @param https the edge's HTTPS listener, null for none: its filter chains (one per domain, certificates over SDS
     *              from the control plane, or files of an edge without ADS certificates) are static like the plain listener, and their route table comes over RDS too, as
     *              {@value HttpsListener#ROUTE_CONFIG_NAME}
     */
    public String bootstrap(String edge, int listenerPort, Optional<String> template, String controlPlaneHost, int grpcPort,
                            Optional<String> edgeJwks, HttpsListener https) {
        return bootstrap(edge, listenerPort, template, controlPlaneHost, grpcPort, edgeJwks, https, null);
    }

    /**
     * Envoy's side of mutual TLS on ADS: its client certificate and key, the edge's ADS CA, and the name the control
     * plane's certificate must carry (also sent as SNI). Files, mounted from Swarm secrets: the bootstrap holds no key.
     */
    public record AdsTls(String caFile, String certFile, String keyFile, String serverName) {}

    /** @param adsTls mutual TLS on the connection to the control plane; null for plaintext (an edge of an older version) */
    public String bootstrap(String edge, int listenerPort, Optional<String> template, String controlPlaneHost, int grpcPort,
                            Optional<String> edgeJwks, HttpsListener https, AdsTls adsTls) {
        EnvoyConfigRenderer renderer = edgeJwks.map(this.renderer::withEdgeKey).orElse(this.renderer)
                .withControlPlane(controlPlaneHost, STATUS_PORT) // its cluster is static; the routes to it come over RDS
                .withHttps(https);
        String empty = renderer.render(new EdgeRoutes(listenerPort, List.of(), List.of()), template);
        ObjectNode root;
        try {
            root = YamlTrees.readMapping(empty);
        } catch (YamlTrees.YamlException e) {
            throw new IllegalStateException("the renderer's own output does not parse: " + e.getMessage(), e);
        }
        ObjectNode hcm = hcmWithRouteConfig(root);
        hcm.remove("route_config");
        ObjectNode rds = hcm.putObject("rds");
        rds.put("route_config_name", EnvoyConfigRenderer.ROUTE_CONFIG_NAME);
        rds.set("config_source", adsSource());
        for (ObjectNode tlsHcm : hcmsWithRouteConfig(root, HttpsListener.ROUTE_CONFIG_NAME)) {
            tlsHcm.remove("route_config");
            tlsHcm.putObject("rds").put("route_config_name", HttpsListener.ROUTE_CONFIG_NAME).set("config_source", adsSource());
        }

        // every Envoy of the edge is one node group: they all get the same config
        root.putObject("node").put("id", edge).put("cluster", edge);
        ObjectNode dynamic = root.putObject("dynamic_resources");
        dynamic.set("cds_config", adsSource());
        ObjectNode ads = dynamic.putObject("ads_config").put("api_type", "GRPC").put("transport_api_version", "V3")
                .put("set_node_on_first_message_only", true);
        ObjectNode envoyGrpc = ads.putArray("grpc_services").addObject().putObject("envoy_grpc")
                .put("cluster_name", XDS_CLUSTER);
        // reconnect fast after a control-plane restart (Envoy keeps serving its last config meanwhile)
        envoyGrpc.putObject("retry_policy").putObject("retry_back_off")
                .put("base_interval", "0.25s").put("max_interval", "2s");

        ObjectNode cluster = EnvoyConfigRenderer.dnsCluster(XDS_CLUSTER, controlPlaneHost, grpcPort);
        ((ObjectNode) root.get("static_resources")).withArray("clusters").add(cluster);
        // gRPC needs HTTP/2 to the upstream; a long-lived stream must not hit the idle timeout
        cluster.putObject("typed_extension_protocol_options")
                .putObject("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                .put("@type", "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                .putObject("explicit_http_config").putObject("http2_protocol_options")
                .putObject("connection_keepalive").put("interval", "10s").put("timeout", "5s");
        if (adsTls != null) {
            cluster.set("transport_socket", adsTransportSocket(adsTls));
        }
        return YamlTrees.write(root);
    }

    /**
     * TLS 1.2+ to the control plane with Envoy's client certificate; the control plane must show a certificate of the
     * edge's ADS CA naming {@code serverName}. ALPN h2: gRPC's server refuses a TLS connection without it.
     */
    private static ObjectNode adsTransportSocket(AdsTls tls) {
        ObjectNode socket = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        socket.put("name", "envoy.transport_sockets.tls");
        ObjectNode context = socket.putObject("typed_config")
                .put("@type", "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext")
                .put("sni", tls.serverName());
        ObjectNode common = context.putObject("common_tls_context");
        common.putObject("tls_params").put("tls_minimum_protocol_version", "TLSv1_2");
        common.putArray("alpn_protocols").add("h2");
        ObjectNode certificate = common.putArray("tls_certificates").addObject();
        certificate.putObject("certificate_chain").put("filename", tls.certFile());
        certificate.putObject("private_key").put("filename", tls.keyFile());
        ObjectNode validation = common.putObject("validation_context");
        validation.putObject("trusted_ca").put("filename", tls.caFile());
        ObjectNode san = validation.putArray("match_typed_subject_alt_names").addObject().put("san_type", "DNS");
        san.putObject("matcher").put("exact", tls.serverName());
        return socket;
    }

    /**
     * The route config and the release clusters of a fully rendered (and validated) config, each release cluster served
     * over EDS with the addresses Swarm gives its tasks (instead of {@code tasks.<service>} DNS, which Envoy re-resolves
     * only every 5 s: a new task would wait for it, a gone one would keep getting requests).
     *
     * @param releaseServices the clusters to serve over CDS; a template's own static clusters stay static
     * @param taskAddresses   each release service's running task addresses on the edge's networks, a key for every release
     *                        (a forced or mirror cluster, {@code <service>--forced} or {@code --mirror}, takes its service's)
     */
    public Resources resources(String renderedYaml, Collection<String> releaseServices, String routesVersion,
                               Map<String, List<String>> taskAddresses) {
        return resources(bootstrapOf(renderedYaml), releaseServices, routesVersion, taskAddresses);
    }

    /** As above, from the config as Envoy's types (the planner's validation parsed it: no YAML written and read back). */
    public Resources resources(Bootstrap config, Collection<String> releaseServices, String routesVersion,
                               Map<String, List<String>> taskAddresses) {
        Set<String> wanted = Set.copyOf(releaseServices);
        Parsed parsed = lastParsed;
        // the control plane asks every poll; the config changes far more rarely than the tasks: split it only then (the
        // same plan is the same object: equals is then at once)
        if (parsed == null || !parsed.wanted().equals(wanted) || !parsed.config().equals(config)) {
            parsed = parse(config, wanted);
            lastParsed = parsed;
        }
        List<ClusterLoadAssignment> endpoints = new ArrayList<>();
        for (int i = 0; i < parsed.clusters().size(); i++) {
            String cluster = parsed.clusters().get(i).getName();
            int port = parsed.ports().get(i);
            // a release's own tasks (even one named like an alias, version 1--forced), else the canary's of an alias
            String service = taskAddresses.containsKey(cluster) ? cluster : EnvoyConfigRenderer.serviceOfCluster(cluster);
            // always one, even empty: Envoy keeps a new EDS cluster warming until its first assignment arrives
            LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
            taskAddresses.getOrDefault(service, List.of()).stream().sorted().forEach(a -> locality.addLbEndpoints(
                    LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                            .setSocketAddress(SocketAddress.newBuilder().setAddress(a).setPortValue(port))))));
            endpoints.add(ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(locality).build());
        }
        // content-derived versions: a restarted control plane offers the versions Envoy already has
        return new Resources(parsed.routeConfigs().get(0), parsed.clusters(), endpoints, routesVersion, parsed.clustersVersion(),
                versionOf(endpoints), parsed.routeConfigs());
    }

    /** What a rendered config makes for ADS besides the endpoints: its route tables, and its release clusters as EDS. */
    private record Parsed(Bootstrap config, Set<String> wanted, List<RouteConfiguration> routeConfigs, List<Cluster> clusters,
                          List<Integer> ports, String clustersVersion) {}

    private volatile Parsed lastParsed;

    private static Parsed parse(Bootstrap bootstrap, Set<String> wanted) {
        RouteConfiguration routes = null;
        RouteConfiguration httpsRoutes = null;
        for (Listener listener : bootstrap.getStaticResources().getListenersList()) {
            List<FilterChain> chains = new ArrayList<>(listener.getFilterChainsList());
            if (listener.hasDefaultFilterChain()) {
                chains.add(listener.getDefaultFilterChain());
            }
            for (FilterChain chain : chains) {
                for (Filter filter : chain.getFiltersList()) {
                    if (filter.getTypedConfig().getTypeUrl().endsWith(HttpConnectionManager.getDescriptor().getFullName())) {
                        try {
                            HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
                            if (EnvoyConfigRenderer.ROUTE_CONFIG_NAME.equals(hcm.getRouteConfig().getName())) {
                                routes = hcm.getRouteConfig();
                            } else if (HttpsListener.ROUTE_CONFIG_NAME.equals(hcm.getRouteConfig().getName())) {
                                httpsRoutes = hcm.getRouteConfig(); // every domain's chain has the same copy
                            }
                        } catch (InvalidProtocolBufferException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            }
        }
        if (routes == null) {
            throw new IllegalStateException("the rendered config has no route_config named " + EnvoyConfigRenderer.ROUTE_CONFIG_NAME);
        }
        List<Cluster> clusters = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (Cluster dns : bootstrap.getStaticResources().getClustersList()) {
            if (!wanted.contains(dns.getName())) {
                continue;
            }
            ports.add(dns.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress()
                    .getSocketAddress().getPortValue());
            clusters.add(dns.toBuilder().clearLoadAssignment().clearDnsLookupFamily()
                    .setType(Cluster.DiscoveryType.EDS)
                    .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ConfigSource.newBuilder()
                            .setAds(AggregatedConfigSource.getDefaultInstance()).setResourceApiVersion(ApiVersion.V3)))
                    .build());
        }
        List<RouteConfiguration> routeConfigs = httpsRoutes == null ? List.of(routes) : List.of(routes, httpsRoutes);
        return new Parsed(bootstrap, wanted, routeConfigs, List.copyOf(clusters), List.copyOf(ports), versionOf(clusters));
    }

    private static String versionOf(List<? extends com.google.protobuf.Message> resources) {
        StringBuilder text = new StringBuilder();
        resources.forEach(r -> text.append(r).append('\n'));
        return Names.sha256(text.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 12);
    }

    /** A rendered config's YAML as Envoy's bootstrap type. */
    public static Bootstrap bootstrapOf(String yaml) {
        try {
            String json = YamlTrees.JSON.writeValueAsString(YamlTrees.readMapping(yaml));
            Bootstrap.Builder builder = Bootstrap.newBuilder();
            JsonFormat.parser().usingTypeRegistry(EnvoyTypes.REGISTRY).merge(json, builder);
            return builder.build();
        } catch (Exception e) {
            throw new IllegalStateException("the rendered config does not parse as an Envoy bootstrap: " + e.getMessage(), e);
        }
    }

    private static ObjectNode adsSource() {
        ObjectNode source = YamlTrees.JSON.createObjectNode();
        source.putObject("ads");
        source.put("resource_api_version", "V3");
        return source;
    }

    /** Every HttpConnectionManager typed_config holding a route_config of that name (the HTTPS listener: one per domain). */
    private static List<ObjectNode> hcmsWithRouteConfig(ObjectNode root, String routeConfig) {
        List<ObjectNode> found = new ArrayList<>();
        for (JsonNode listener : root.path("static_resources").path("listeners")) {
            List<JsonNode> chains = new ArrayList<>();
            listener.path("filter_chains").forEach(chains::add);
            if (listener.has("default_filter_chain")) {
                chains.add(listener.get("default_filter_chain"));
            }
            for (JsonNode chain : chains) {
                for (JsonNode filter : chain.path("filters")) {
                    JsonNode config = filter.path("typed_config");
                    if (EnvoyConfigRenderer.HCM_TYPE.equals(config.path("@type").asText())
                            && routeConfig.equals(config.path("route_config").path("name").asText())) {
                        found.add((ObjectNode) config);
                    }
                }
            }
        }
        return found;
    }

    /** The HttpConnectionManager typed_config holding the route_config named swarm_canary. */
    private static ObjectNode hcmWithRouteConfig(ObjectNode root) {
        // the renderer has already refused a template without it
        return hcmsWithRouteConfig(root, EnvoyConfigRenderer.ROUTE_CONFIG_NAME).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no route_config named " + EnvoyConfigRenderer.ROUTE_CONFIG_NAME));
    }
}
