package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.tree;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HttpsListenerTest {
    static final HttpsListener.Domain SHOP = new HttpsListener.Domain("shop.example.com", "/etc/envoy/tls/shop.example.com.crt",
            "/etc/envoy/tls/shop.example.com.key", "envoy-tls-crt-1+envoy-tls-key-1");
    static final HttpsListener.Domain WILD = new HttpsListener.Domain("*.example.org", "/etc/envoy/tls/_.example.org.crt",
            "/etc/envoy/tls/_.example.org.key", "envoy-tls-crt-2+envoy-tls-key-2");

    static String render(HttpsListener https) {
        return new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks()).withHttps(https)
                .render(edge(withCanary("files", "prod", "shop.example.com", "a.example.org")), Optional.empty());
    }

    static List<String> hostNames(JsonNode routeConfig) {
        List<String> names = new ArrayList<>();
        routeConfig.path("virtual_hosts").forEach(h -> names.add(h.path("name").asText()));
        return names;
    }

    @Test
    void aTlsListenerWithOneSniChainPerDomainServesTheSameRoutes() {
        String yaml = render(new HttpsListener(10443, List.of(SHOP, WILD), true, 443, null));
        ObjectNode root = tree(yaml);

        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        JsonNode tls = root.at("/static_resources/listeners/1");
        assertThat(tls.path("name").asText()).isEqualTo(HttpsListener.LISTENER_NAME);
        assertThat(tls.at("/address/socket_address/port_value").asInt()).isEqualTo(10443);
        assertThat(tls.at("/listener_filters/0/name").asText()).isEqualTo("envoy.filters.listener.tls_inspector");
        assertThat(tls.path("filter_chains")).hasSize(2);
        // the plain listener's connection limit holds for the TLS one too
        assertThat(root.at("/layered_runtime/layers/0/static_layer/envoy/resource_limits/listener/edge_https/connection_limit")
                .asInt()).isEqualTo(10000);
        JsonNode chain = tls.at("/filter_chains/1");
        assertThat(chain.at("/filter_chain_match/server_names/0").asText()).isEqualTo("*.example.org");
        JsonNode context = chain.at("/transport_socket/typed_config/common_tls_context");
        assertThat(context.at("/tls_params/tls_minimum_protocol_version").asText()).isEqualTo("TLSv1_2");
        assertThat(context.path("alpn_protocols").toString()).isEqualTo("[\"h2\",\"http/1.1\"]");
        assertThat(context.at("/tls_certificates/0/private_key/filename").asText()).isEqualTo(WILD.keyFile());
        JsonNode tlsRoutes = chain.at("/filters/0/typed_config/route_config");
        assertThat(tlsRoutes.path("name").asText()).isEqualTo(HttpsListener.ROUTE_CONFIG_NAME);
        JsonNode plainRoutes = root.at("/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/route_config");
        // the tracks, the smoke host and the stats host over https; plain keeps what the CLI reads through, redirects the rest
        assertThat(hostNames(tlsRoutes)).contains("files-prod", EnvoyConfigRenderer.SMOKE_VIRTUAL_HOST, EnvoyConfigRenderer.STATS_HOST);
        assertThat(hostNames(plainRoutes)).containsExactlyInAnyOrder(EnvoyConfigRenderer.SMOKE_VIRTUAL_HOST,
                EnvoyConfigRenderer.STATS_HOST, HttpsListener.REDIRECT_VIRTUAL_HOST);
        JsonNode redirect = plainRoutes.at("/virtual_hosts/2/routes/0/redirect");
        assertThat(redirect.path("https_redirect").asBoolean()).isTrue();
        // the port always: Envoy would keep the plain port the request came in on
        assertThat(redirect.path("port_redirect").asInt()).isEqualTo(443);
        assertThat(plainRoutes.at("/virtual_hosts/2/domains").toString()).contains("shop.example.com", "a.example.org");
        // the forcing and stats token filters are the same on both
        assertThat(chain.at("/filters/0/typed_config/http_filters").toString())
                .isEqualTo(root.at("/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/http_filters").toString());
        assertThat(yaml).doesNotContain(HttpsListener.HSTS_HEADER);
    }

    @Test
    void hstsOnlyWhenAskedAndPlainServesEverythingWithoutTheRedirect() {
        String yaml = render(new HttpsListener(10443, List.of(SHOP), false, 8443, 31536000L));
        ObjectNode root = tree(yaml);

        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        JsonNode plainRoutes = root.at("/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/route_config");
        assertThat(hostNames(plainRoutes)).contains("files-prod").doesNotContain(HttpsListener.REDIRECT_VIRTUAL_HOST);
        assertThat(plainRoutes.toString()).doesNotContain(HttpsListener.HSTS_HEADER);
        JsonNode tlsRoutes = root.at("/static_resources/listeners/1/filter_chains/0/filters/0/typed_config/route_config");
        assertThat(tlsRoutes.path("response_headers_to_add").toString()).contains("max-age=31536000");
    }

    @Test
    void anotherTeamsTrackWithoutACertificateKeepsItsPlainRoutesOnTheSharedEdge() {
        String yaml = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks())
                .withHttps(new HttpsListener(10443, List.of(SHOP, WILD), true, 443, null))
                .render(edge(withCanary("files", "prod", "shop.example.com", "deep.a.example.org"),
                        withCanary("blog", "prod", "blog.other.test")), Optional.empty());
        ObjectNode root = tree(yaml);
        JsonNode plainRoutes = root.at("/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/route_config");

        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        assertThat(hostNames(plainRoutes)).contains("blog-prod", "files-prod", HttpsListener.REDIRECT_VIRTUAL_HOST);
        plainRoutes.path("virtual_hosts").forEach(h -> {
            switch (h.path("name").asText()) {
                case "blog-prod" -> assertThat(h.path("domains").toString()).contains("blog.other.test");
                // a wildcard covers one label: deep.a.example.org stays plain, shop.example.com is redirected
                case "files-prod" -> assertThat(h.path("domains").toString()).contains("deep.a.example.org")
                        .doesNotContain("shop.example.com");
                case HttpsListener.REDIRECT_VIRTUAL_HOST -> assertThat(h.path("domains").toString()).contains("shop.example.com")
                        .doesNotContain("blog").doesNotContain("deep");
                default -> { }
            }
        });
    }

    @Test
    void aDefaultDomainAnswersClientsWithoutSniWithItsCertificateAndTheSameRoutes() {
        ObjectNode without = tree(render(new HttpsListener(10443, List.of(SHOP, WILD), true, 443, null)));
        assertThat(without.at("/static_resources/listeners/1").has("default_filter_chain")).isFalse();
        // each chain's keys in the order earlier versions wrote them: the rendered YAML, hence the revision a control
        // plane of another version computes, stays the same for an edge without a default
        List<String> keys = new java.util.ArrayList<>();
        without.at("/static_resources/listeners/1/filter_chains/0").fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("name", "filter_chain_match", "transport_socket", "filters");

        ObjectNode root = tree(render(new HttpsListener(10443, List.of(SHOP, WILD), true, 443, null, WILD.name())));
        JsonNode tls = root.at("/static_resources/listeners/1");
        JsonNode fallback = tls.get("default_filter_chain");
        assertThat(fallback.has("filter_chain_match")).isFalse();
        assertThat(fallback.at("/transport_socket/typed_config/common_tls_context/tls_certificates/0/certificate_chain/filename")
                .asText()).isEqualTo(WILD.certFile());
        assertThat(fallback.at("/filters/0/typed_config")).isEqualTo(tls.at("/filter_chains/1/filters/0/typed_config"));
        assertThat(tls.get("filter_chains")).hasSize(2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new HttpsListener(10443, List.of(SHOP), true, 443, null, "x.example.com"))
                .hasMessageContaining("has no certificate");
    }

    @Test
    void theRedirectNamesAnOtherHttpsPort() {
        ObjectNode root = tree(render(new HttpsListener(10443, List.of(SHOP), true, 8443, null)));
        JsonNode plainRoutes = root.at("/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/route_config");
        JsonNode redirect = null;
        for (JsonNode h : plainRoutes.path("virtual_hosts")) {
            if (h.path("name").asText().equals(HttpsListener.REDIRECT_VIRTUAL_HOST)) {
                redirect = h;
            }
        }
        assertThat(redirect).isNotNull();
        assertThat(redirect.at("/routes/0/redirect/port_redirect").asInt()).isEqualTo(8443);
    }

    @Test
    void aRotatedCertificateIsAnotherConfig() {
        HttpsListener.Domain rotated = new HttpsListener.Domain(SHOP.name(), SHOP.certFile(), SHOP.keyFile(), "envoy-tls-crt-9+envoy-tls-key-9");
        assertThat(render(new HttpsListener(10443, List.of(rotated), true, 443, null)))
                .isNotEqualTo(render(new HttpsListener(10443, List.of(SHOP), true, 443, null)));
    }
}
