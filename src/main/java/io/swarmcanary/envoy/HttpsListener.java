package io.swarmcanary.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * HTTPS at the edge, added to a rendered bootstrap: a second listener that terminates TLS (1.2 and up, ALPN h2 and
 * http/1.1) with one filter chain per domain chosen by SNI, each running a copy of the plain listener's
 * HttpConnectionManager (same tracks, stats host, forcing rules), and the default domain's chain for clients that send no
 * SNI or a name no certificate covers (none: no handshake for them); and, when asked, the plain listener answering every
 * host with a redirect to https but the two the CLI reads through (the smoke host's revision and the stats host).
 *
 * @param port        the TLS listener's port inside the container
 * @param domains     each domain's certificate files, in the order served
 * @param redirect    whether plain HTTP redirects to https
 * @param publicPort  the https port clients reach (published on the node), for the redirect's Location
 * @param hstsMaxAge  Strict-Transport-Security max-age sent over https; null sends none
 * @param defaultDomain the domain (one of {@code domains}) whose certificate answers clients without SNI or with a name
 *                      no certificate covers; null: they get no handshake
 */
public record HttpsListener(int port, List<Domain> domains, boolean redirect, int publicPort, Long hstsMaxAge,
                            String defaultDomain) {
    public static final String LISTENER_NAME = "edge_https";
    /** The TLS listener's copy of the route table, named apart so the plain one stays the only {@code swarm_canary}. */
    public static final String ROUTE_CONFIG_NAME = "swarm_canary_https";
    public static final String REDIRECT_VIRTUAL_HOST = "swarm_canary_https_redirect";
    static final String HSTS_HEADER = "strict-transport-security";
    private static final String TLS_CONTEXT_TYPE =
            "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";
    private static final String TLS_INSPECTOR_TYPE =
            "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * @param chain the filter chain's name: it carries the secrets' names, so a rotated certificate is a new revision
     *              even though Envoy reads it from the same file
     * @param sdsSecret with the xds delivery, the SDS secret (over ADS) holding the certificate and key, named by domain
     *                  so that a rotation changes the secret's content and never the listener; null: the files
     */
    public record Domain(String name, String certFile, String keyFile, String chain, String sdsSecret) {
        public Domain(String name, String certFile, String keyFile, String chain) {
            this(name, certFile, keyFile, chain, null);
        }
    }

    public HttpsListener {
        domains = List.copyOf(domains);
        if (defaultDomain != null && domains.stream().noneMatch(d -> d.name().equals(defaultDomain))) {
            throw new IllegalArgumentException("the default domain " + defaultDomain + " has no certificate");
        }
    }

    public HttpsListener(int port, List<Domain> domains, boolean redirect, int publicPort, Long hstsMaxAge) {
        this(port, domains, redirect, publicPort, hstsMaxAge, null);
    }

    /** Adds the TLS listener next to the one holding {@code hcm}, and the redirect to that one when asked. */
    void addTo(ObjectNode root, ObjectNode hcm) {
        ArrayNode listeners = (ArrayNode) root.path("static_resources").path("listeners");
        JsonNode plain = null;
        for (JsonNode l : listeners) {
            if (l.findParents("typed_config").stream().anyMatch(n -> n.get("typed_config") == hcm)) {
                plain = l;
            }
        }
        ObjectNode tlsHcm = hcm.deepCopy();
        tlsHcm.put("stat_prefix", LISTENER_NAME);
        ObjectNode routeConfig = (ObjectNode) tlsHcm.get("route_config");
        routeConfig.put("name", ROUTE_CONFIG_NAME);
        StickySessions.secure(routeConfig);
        if (hstsMaxAge != null) {
            JsonNode existing = routeConfig.get("response_headers_to_add");
            ArrayNode headers = existing instanceof ArrayNode a ? a : routeConfig.putArray("response_headers_to_add");
            // an app's own, stricter header (includeSubDomains, preload) wins
            headers.addObject().put("append_action", "ADD_IF_ABSENT").putObject("header")
                    .put("key", HSTS_HEADER).put("value", "max-age=" + hstsMaxAge);
        }
        ObjectNode listener = listeners.addObject().put("name", LISTENER_NAME);
        String address = plain == null ? "0.0.0.0" : plain.at("/address/socket_address/address").asText("0.0.0.0");
        listener.putObject("address").putObject("socket_address").put("address", address).put("port_value", port);
        if (plain != null && plain.has("per_connection_buffer_limit_bytes")) {
            listener.set("per_connection_buffer_limit_bytes", plain.get("per_connection_buffer_limit_bytes").deepCopy());
        }
        // SNI is read before a chain is chosen; Envoy no longer adds this filter by itself
        listener.putArray("listener_filters").addObject().put("name", "envoy.filters.listener.tls_inspector")
                .putObject("typed_config").put("@type", TLS_INSPECTOR_TYPE);
        ArrayNode chains = listener.putArray("filter_chains");
        for (Domain d : domains) {
            // name first, as before --tls-default: the rendered YAML (the revision) of an unchanged edge stays the same
            ObjectNode chain = chains.addObject().put("name", d.chain());
            chain.putObject("filter_chain_match").putArray("server_names").add(d.name());
            fillChain(chain, d, tlsHcm);
            if (d.name().equals(defaultDomain)) {
                // no SNI, or a name no chain matches: this certificate, the same routes (a virtual host still picks by Host)
                fillChain(listener.putObject("default_filter_chain"), d, tlsHcm);
                ((ObjectNode) listener.get("default_filter_chain")).put("name", "default " + d.chain());
            }
        }
        if (plain != null) {
            sameConnectionLimit(root, plain.path("name").asText());
        }
        if (redirect) {
            redirectPlain((ObjectNode) hcm.get("route_config"));
        }
    }

    private static void fillChain(ObjectNode chain, Domain d, ObjectNode tlsHcm) {
        chain.put("name", d.chain());
        ObjectNode common = chain.putObject("transport_socket").put("name", "envoy.transport_sockets.tls")
                .putObject("typed_config").put("@type", TLS_CONTEXT_TYPE).putObject("common_tls_context");
        common.putObject("tls_params").put("tls_minimum_protocol_version", "TLSv1_2");
        common.putArray("alpn_protocols").add("h2").add("http/1.1");
        if (d.sdsSecret() != null) {
            // a new Envoy waits for its first answers, this secret's too, before it serves (initial_fetch_timeout, 15 s)
            ObjectNode sds = common.putArray("tls_certificate_sds_secret_configs").addObject().put("name", d.sdsSecret());
            sds.putObject("sds_config").put("resource_api_version", "V3").putObject("ads");
        } else {
            ObjectNode cert = common.putArray("tls_certificates").addObject();
            cert.putObject("certificate_chain").put("filename", d.certFile());
            cert.putObject("private_key").put("filename", d.keyFile());
        }
        chain.putArray("filters").addObject().put("name", "envoy.filters.network.http_connection_manager")
                .set("typed_config", tlsHcm.deepCopy());
    }

    /** The plain listener's connection limit (a runtime key per listener name) holds for the TLS listener too. */
    private static void sameConnectionLimit(ObjectNode root, String plainName) {
        for (JsonNode layer : root.path("layered_runtime").path("layers")) {
            JsonNode limits = layer.path("static_layer").path("envoy").path("resource_limits").path("listener");
            if (limits instanceof ObjectNode byListener && byListener.has(plainName)) {
                byListener.set(LISTENER_NAME, byListener.get(plainName).deepCopy());
            }
        }
    }

    /**
     * The domains a certificate covers get a redirect to the same URL on https; every other domain keeps its routes
     * over plain HTTP (another team's track without a certificate on this shared edge must not be sent to an https that
     * has no certificate for it), and so do the two hosts the CLI reads through (smoke and stats).
     */
    private void redirectPlain(ObjectNode routeConfig) {
        ArrayNode kept = NODES.arrayNode();
        ArrayNode redirected = NODES.arrayNode();
        routeConfig.get("virtual_hosts").forEach(h -> {
            String name = h.path("name").asText();
            if (name.equals(EnvoyConfigRenderer.SMOKE_VIRTUAL_HOST) || name.equals(EnvoyConfigRenderer.STATS_HOST)) {
                kept.add(h);
                return;
            }
            ArrayNode stay = NODES.arrayNode();
            h.path("domains").forEach(d -> (covered(d.asText()) ? redirected : stay).add(d));
            if (!stay.isEmpty()) {
                ((ObjectNode) h).set("domains", stay);
                kept.add(h);
            }
        });
        if (!redirected.isEmpty()) {
            ObjectNode host = kept.addObject().put("name", REDIRECT_VIRTUAL_HOST);
            host.set("domains", redirected);
            ObjectNode route = host.putArray("routes").addObject();
            route.putObject("match").put("prefix", "/");
            // 308: a POST stays a POST; the port always, or Envoy keeps the plain port the request came in on
            route.putObject("redirect").put("https_redirect", true).put("port_redirect", publicPort)
                    .put("response_code", "PERMANENT_REDIRECT");
        }
        routeConfig.set("virtual_hosts", kept);
    }

    /** Whether a virtual host's domain (maybe with a port) is one a certificate is served for: exact, or one label under a wildcard. */
    boolean covered(String virtualHostDomain) {
        String host = io.swarmcanary.release.DomainNames.host(virtualHostDomain);
        return domains.stream().anyMatch(d -> io.swarmcanary.release.DomainNames.covers(d.name(), host));
    }
}
