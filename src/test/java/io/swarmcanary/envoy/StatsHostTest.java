package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.ROUTE_CONFIG;
import static io.swarmcanary.envoy.Fixtures.TEMPLATE;
import static io.swarmcanary.envoy.Fixtures.at;
import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The stats-only virtual host: the analysis reads Envoy's counters through it with a stats token; nothing else of the
 * admin is reachable, and no query string of a caller's choosing.
 */
class StatsHostTest {
    private final EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks());
    private final String yaml = renderer.render(edge(withCanary("files", "webdev", "files.example.com")), Optional.empty());

    private JsonNode statsHost(String config) {
        for (JsonNode host : at(config, ROUTE_CONFIG + "/virtual_hosts")) {
            if (host.path("name").asText().equals(EnvoyConfigRenderer.STATS_HOST)) {
                return host;
            }
        }
        throw new AssertionError("no stats host in\n" + config);
    }

    @Test
    void onlyGetOfTheCliPathsAndQueriesReachesTheAdmin() {
        JsonNode routes = statsHost(yaml).path("routes");
        List<String> forwarded = new ArrayList<>();
        for (JsonNode route : routes) {
            if (route.has("route")) {
                assertThat(route.at("/route/cluster").asText()).isEqualTo(EnvoyConfigRenderer.ADMIN_CLUSTER);
                assertThat(route.at("/match/headers/0/name").asText()).isEqualTo(":method");
                assertThat(route.at("/match/headers/0/string_match/exact").asText()).isEqualTo("GET");
                // the whole path and query, exactly
                assertThat(route.at("/match/headers/1/name").asText()).isEqualTo(":path");
                forwarded.add(route.at("/match/headers/1/string_match/exact").asText());
            }
        }
        assertThat(forwarded).containsExactlyElementsOf(StatsHost.PATHS);
        assertThat(forwarded).allSatisfy(p -> assertThat(p).startsWith("/stats"));
        JsonNode last = routes.get(routes.size() - 1);
        assertThat(last.at("/match/prefix").asText()).isEqualTo("/");
        assertThat(last.at("/direct_response/status").asInt()).isEqualTo(404);
        assertThat(statsHost(yaml).path("routes").findValues("retry_policy")).isEmpty();
    }

    @Test
    void itRequiresAStatsTokenAndIsRateLimited() {
        JsonNode perFilter = statsHost(yaml).path("typed_per_filter_config");
        assertThat(perFilter.at("/envoy.filters.http.jwt_authn/requirement_name").asText()).isEqualTo("swarm_canary_stats");
        JsonNode provider = at(yaml, Fixtures.HCM + "/http_filters/0/typed_config/providers/swarm_canary_stats");
        assertThat(provider.path("audiences").get(0).asText()).isEqualTo(EnvoyConfigRenderer.STATS_AUDIENCE);
        // the stats provider's requirement is strict (no allow_missing_or_failed): jwt_authn answers 401 itself
        assertThat(at(yaml, Fixtures.HCM + "/http_filters/0/typed_config/requirement_map/swarm_canary_stats/provider_name")
                .asText()).isEqualTo("swarm_canary_stats");
        JsonNode bucket = perFilter.at("/envoy.filters.http.local_ratelimit/token_bucket");
        assertThat(bucket.path("max_tokens").asInt()).isPositive();
        assertThat(perFilter.at("/envoy.filters.http.local_ratelimit/filter_enforced/default_value/numerator").asInt())
                .isEqualTo(100);
    }

    @Test
    void theAdminClusterIsTheLoopbackAdminAddress() {
        JsonNode clusters = at(yaml, "/static_resources/clusters");
        JsonNode admin = null;
        for (JsonNode c : clusters) {
            if (c.path("name").asText().equals(EnvoyConfigRenderer.ADMIN_CLUSTER)) {
                admin = c;
            }
        }
        assertThat(admin).isNotNull();
        JsonNode socket = admin.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address");
        assertThat(socket.path("address").asText()).isEqualTo(at(yaml, "/admin/address/socket_address/address").asText());
        assertThat(socket.path("port_value").asInt()).isEqualTo(9901);
        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
    }

    @Test
    void aTemplateGetsItToo() {
        String out = renderer.render(edge(withCanary("files", "prod", "files.example.com")), Optional.of(TEMPLATE));
        assertThat(statsHost(out).path("domains").get(0).asText()).isEqualTo("swarm-canary-stats");
    }

    @Test
    void withoutALoopbackAdminThereIsNoStatsHost() {
        String noAdmin = TEMPLATE.replace("admin:\n  address: {socket_address: {address: 127.0.0.1, port_value: 9901}}\n", "");
        assertThat(noAdmin).doesNotContain("admin:");
        String out = renderer.render(edge(withCanary("files", "prod", "files.example.com")), Optional.of(noAdmin));
        assertThat(out).doesNotContain(EnvoyConfigRenderer.STATS_HOST).doesNotContain(EnvoyConfigRenderer.ADMIN_CLUSTER);
    }

    @Test
    void thePlainRendererHasNone() {
        String plain = new EnvoyConfigRenderer().render(edge(withCanary("files", "webdev", "files.example.com")), Optional.empty());
        assertThat(plain).doesNotContain(EnvoyConfigRenderer.STATS_HOST);
    }

    @Test
    void withoutTheEdgeKeyThereIsNoneEither() {
        String noKey = new EnvoyConfigRenderer().withStatsHost()
                .render(edge(withCanary("files", "webdev", "files.example.com")), Optional.empty());
        assertThat(noKey).doesNotContain(EnvoyConfigRenderer.STATS_HOST).doesNotContain(EnvoyConfigRenderer.ADMIN_CLUSTER);
    }

    @Test
    void anXdsEdgesStatsHostForwardsExactlyTheControlPlanesStatusAndRefreshWithTheStatsToken() {
        String xds = renderer.withControlPlane("tasks.envoy-xds", 18001)
                .render(edge(withCanary("files", "webdev", "files.example.com")), Optional.empty());
        assertThat(new EnvoyConfigValidator().validate(xds).describe()).isEqualTo("valid");
        JsonNode host = statsHost(xds);
        // the host's own token requirement covers these routes too
        assertThat(host.at("/typed_per_filter_config/envoy.filters.http.jwt_authn/requirement_name").asText())
                .isEqualTo("swarm_canary_stats");
        List<String> toControlPlane = new ArrayList<>();
        JsonNode routes = host.path("routes");
        for (JsonNode route : routes) {
            if (route.at("/route/cluster").asText().equals(EnvoyConfigRenderer.CONTROL_PLANE_CLUSTER)) {
                String path = route.at("/match/path").asText();
                assertThat(route.at("/match/headers/1/string_match/exact").asText()).as("no query string").isEqualTo(path);
                toControlPlane.add(route.at("/match/headers/0/string_match/exact").asText() + " " + path + " -> "
                        + route.at("/route/prefix_rewrite").asText());
                assertThat(route.at("/typed_per_filter_config/envoy.filters.http.local_ratelimit/token_bucket/max_tokens")
                        .asInt()).isPositive();
            }
        }
        assertThat(toControlPlane).containsExactly(
                "GET " + EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH + " -> /status",
                "POST " + EnvoyConfigRenderer.CONTROL_PLANE_REFRESH_PATH + " -> /refresh");
        assertThat(routes.get(routes.size() - 1).at("/direct_response/status").asInt()).isEqualTo(404);
        JsonNode cluster = null;
        for (JsonNode c : at(xds, "/static_resources/clusters")) {
            if (c.path("name").asText().equals(EnvoyConfigRenderer.CONTROL_PLANE_CLUSTER)) {
                cluster = c;
            }
        }
        assertThat(cluster).isNotNull();
        JsonNode socket = cluster.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address");
        assertThat(socket.path("address").asText() + ":" + socket.path("port_value").asInt()).isEqualTo("tasks.envoy-xds:18001");
        // a redeploy edge has no control plane, so none of it
        assertThat(yaml).doesNotContain(EnvoyConfigRenderer.CONTROL_PLANE_CLUSTER).doesNotContain("/swarm-canary/control-plane");
    }
}
