package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.HCM;
import static io.swarmcanary.envoy.Fixtures.ROUTE_CONFIG;
import static io.swarmcanary.envoy.Fixtures.at;
import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.release;
import static io.swarmcanary.envoy.Fixtures.render;
import static io.swarmcanary.envoy.Fixtures.stableOnly;
import static io.swarmcanary.envoy.Fixtures.tree;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class EnvoyConfigRendererTest {
    private final EnvoyConfigRenderer renderer = new EnvoyConfigRenderer();

    @Nested
    class BuiltInBootstrap {
        private final String yaml = render(edge(withCanary("files", "webdev", "files.example.com")));

        @Test
        void adminListensOnLoopbackOnly() {
            assertThat(at(yaml, "/admin/address/socket_address/address").asText()).isEqualTo("127.0.0.1");
            assertThat(at(yaml, "/admin/address/socket_address/port_value").asInt()).isEqualTo(9901);
        }

        @Test
        void oneListenerOnAllInterfacesAtTheGivenPort() {
            String yaml = render(new EdgeRoutes(8081, List.of()));
            assertThat(at(yaml, "/static_resources/listeners").size()).isEqualTo(1);
            assertThat(at(yaml, "/static_resources/listeners/0/address/socket_address/address").asText())
                    .isEqualTo("0.0.0.0");
            assertThat(at(yaml, "/static_resources/listeners/0/address/socket_address/port_value").asInt())
                    .isEqualTo(8081);
        }

        @Test
        void noClientIsInternal() {
            // set and empty: Envoy's default would count RFC 1918 and loopback peers as internal
            JsonNode internal = at(yaml, HCM).path("internal_address_config");
            assertThat(internal.isObject()).isTrue();
            assertThat(internal.path("cidr_ranges").size()).isZero();
            assertThat(internal.path("unix_sockets").asBoolean(false)).isFalse();
        }

        @Test
        void followsEdgeProxyBestPractices() {
            assertThat(at(yaml, "/overload_manager/resource_monitors/0/name").asText())
                    .isEqualTo("envoy.resource_monitors.fixed_heap");
            assertThat(at(yaml, "/static_resources/listeners/0/per_connection_buffer_limit_bytes").asInt())
                    .isEqualTo(32768);
            JsonNode hcm = at(yaml, HCM);
            assertThat(hcm.path("use_remote_address").asBoolean()).isTrue();
            assertThat(hcm.path("xff_num_trusted_hops").isInt()).isTrue();
            assertThat(hcm.path("normalize_path").asBoolean()).isTrue();
            assertThat(hcm.path("merge_slashes").asBoolean()).isTrue();
            assertThat(hcm.path("path_with_escaped_slashes_action").asText()).isEqualTo("UNESCAPE_AND_REDIRECT");
            assertThat(hcm.at("/common_http_protocol_options/headers_with_underscores_action").asText())
                    .isEqualTo("REJECT_REQUEST");
            assertThat(hcm.at("/common_http_protocol_options/idle_timeout").asText()).isNotEmpty();
            assertThat(hcm.path("stream_idle_timeout").asText()).isNotEmpty();
            assertThat(hcm.path("request_timeout").asText()).isNotEmpty();
            assertThat(hcm.path("request_headers_timeout").asText()).isNotEmpty();
            assertThat(hcm.at("/http2_protocol_options/max_concurrent_streams").asInt()).isEqualTo(100);
            assertThat(hcm.at("/http2_protocol_options/initial_stream_window_size").asInt()).isEqualTo(65536);
            assertThat(hcm.at("/http2_protocol_options/initial_connection_window_size").asInt()).isEqualTo(1048576);
            for (JsonNode cluster : at(yaml, "/static_resources/clusters")) {
                assertThat(cluster.path("per_connection_buffer_limit_bytes").asInt()).isEqualTo(32768);
            }
        }

        @Test
        void routeConfigIsNamedSwarmCanary() {
            assertThat(at(yaml, ROUTE_CONFIG + "/name").asText()).isEqualTo("swarm_canary");
        }
    }

    @Nested
    class SmokeHost {
        @Test
        void answersProxyOkOnTheDefaultSmokeDomains() {
            JsonNode host = at(render(edge()), ROUTE_CONFIG + "/virtual_hosts/0");
            assertThat(host.path("name").asText()).isEqualTo("proxy_test");
            assertThat(texts(host.path("domains"))).containsExactly("proxy_test", "proxy_test:*");
            JsonNode response = host.at("/routes/0/direct_response");
            assertThat(response.path("status").asInt()).isEqualTo(200);
            assertThat(response.at("/body/inline_string").asText()).isEqualTo("Proxy OK\n");
        }

        @Test
        void anEmptyListMeansNoSmokeHost() {
            String yaml = render(new EdgeRoutes(10000, List.of(), List.of(stableOnly("files", "prod", "files.example.com"))));
            assertThat(names(at(yaml, ROUTE_CONFIG + "/virtual_hosts"))).containsExactly("files-prod");
        }
    }

    @Nested
    class Tracks {
        @Test
        void oneVirtualHostPerTrackWithItsDomains() {
            String yaml = render(edge(stableOnly("files", "webdev", "files.example.com", "proxy_test:10000")));
            JsonNode host = at(yaml, ROUTE_CONFIG + "/virtual_hosts/1");
            assertThat(host.path("name").asText()).isEqualTo("files-webdev");
            assertThat(texts(host.path("domains"))).containsExactly("files.example.com", "proxy_test:10000");
        }

        @Test
        void forceCanaryRouteComesFirstThenTheWeightedRoute() {
            String yaml = render(edge(withCanary("files", "webdev", "files.example.com")));
            JsonNode routes = at(yaml, ROUTE_CONFIG + "/virtual_hosts/1/routes");
            assertThat(routes.size()).isEqualTo(2);

            // only a request whose verified token (jwt_authn's metadata) names this track, to a cluster of its own
            JsonNode forced = routes.get(0);
            assertThat(forced.at("/match/prefix").asText()).isEqualTo("/");
            assertThat(forced.at("/match/headers").isMissingNode()).isTrue();
            JsonNode audience = forced.at("/match/dynamic_metadata/0");
            assertThat(audience.path("filter").asText()).isEqualTo("envoy.filters.http.jwt_authn");
            assertThat(audience.path("path").findValuesAsText("key")).containsExactly("swarm_canary_token", "aud");
            assertThat(audience.at("/value/string_match/exact").asText()).isEqualTo("files-webdev");
            assertThat(forced.at("/route/cluster").asText()).isEqualTo("files-webdev-1_0_11--forced");
            assertThat(at(yaml, ROUTE_CONFIG + "/virtual_hosts/1/typed_per_filter_config/envoy.filters.http.jwt_authn"
                    + "/requirement_name").asText()).isEqualTo("swarm_canary_force");

            JsonNode weighted = routes.get(1);
            assertThat(weighted.at("/match/headers").isMissingNode()).isTrue();
            JsonNode clusters = weighted.at("/route/weighted_clusters/clusters");
            assertThat(names(clusters)).containsExactly("files-webdev-1_0_10", "files-webdev-1_0_11");
            assertThat(clusters.get(0).path("weight").asInt()).isEqualTo(95);
            assertThat(clusters.get(1).path("weight").asInt()).isEqualTo(5);
        }

        @Test
        void withoutCanaryThereIsOnlyTheWeightedRoute() {
            JsonNode routes = at(render(edge(stableOnly("files", "prod", "files.example.com"))),
                    ROUTE_CONFIG + "/virtual_hosts/1/routes");
            assertThat(routes.size()).isEqualTo(1);
            assertThat(routes.get(0).at("/route/weighted_clusters/clusters/0/weight").asInt()).isEqualTo(100);
        }

        @Test
        void weightZeroReleasesStayInTheWeightedClusters() {
            TrackRoutes track = new TrackRoutes("files", "prod", List.of("files.example.com"),
                    List.of(release("files", "prod", "1.0.9", 0), release("files", "prod", "1.0.10", 100)), null);
            String yaml = render(edge(track));
            JsonNode clusters = at(yaml, ROUTE_CONFIG + "/virtual_hosts/1/routes/0/route/weighted_clusters/clusters");
            assertThat(names(clusters)).containsExactly("files-prod-1_0_10", "files-prod-1_0_9");
            assertThat(clusters.get(1).path("weight").asInt()).isZero();
            assertThat(names(at(yaml, "/static_resources/clusters"))).contains("files-prod-1_0_9");
        }

        @Test
        void withoutTheEdgeKeyNothingForcesTheCanaryAndNoTokenIsChecked() {
            String yaml = new EnvoyConfigRenderer().withStatsHost()
                    .render(edge(withCanary("files", "webdev", "files.example.com")), Optional.empty());
            JsonNode routes = at(yaml, ROUTE_CONFIG + "/virtual_hosts/1/routes");
            assertThat(routes.size()).isEqualTo(1);
            assertThat(routes.get(0).at("/route/weighted_clusters").isMissingNode()).isFalse();
            assertThat(names(at(yaml, "/static_resources/clusters"))).doesNotContain("files-webdev-1_0_11--forced");
            assertThat(yaml).doesNotContain("jwt_authn").doesNotContain(EnvoyConfigRenderer.STATS_HOST);
        }

        @Test
        void theTokenAndTheOldHeaderAreStrippedFromEveryRequest() {
            for (String yaml : List.of(render(edge(withCanary("files", "webdev", "files.example.com"))),
                    new EnvoyConfigRenderer().render(edge(stableOnly("files", "webdev", "files.example.com")), Optional.empty()))) {
                assertThat(texts(at(yaml, ROUTE_CONFIG + "/request_headers_to_remove"))).contains("x-canary-token", "x-canary");
            }
        }

        @Test
        void theTokenFiltersComeBeforeTheRouterAndHoldOnlyThePublicKey() {
            String yaml = render(edge(withCanary("files", "webdev", "files.example.com")));
            JsonNode filters = at(yaml, Fixtures.HCM + "/http_filters");
            assertThat(names(filters)).containsExactly("envoy.filters.http.jwt_authn",
                    "envoy.filters.http.local_ratelimit", "envoy.filters.http.router");
            JsonNode providers = filters.get(0).at("/typed_config/providers");
            for (JsonNode provider : providers) {
                assertThat(provider.path("forward").asBoolean(true)).isFalse();
                assertThat(provider.path("require_expiration").asBoolean()).isTrue();
                assertThat(provider.path("clear_route_cache").asBoolean()).isTrue();
                String jwks = provider.at("/local_jwks/inline_string").asText();
                assertThat(jwks).contains("\"kty\":\"EC\"").doesNotContain("\"d\"");
            }
            // a bad or missing token on a track is no reason to refuse a request
            assertThat(filters.get(0).at("/typed_config/requirement_map/swarm_canary_force/requires_any/requirements/1")
                    .has("allow_missing_or_failed")).isTrue();
        }

        @Test
        void neverEmitsTotalWeight() {
            assertThat(Fixtures.shapes().values()).allSatisfy(yaml -> assertThat(yaml).doesNotContain("total_weight"));
        }

        @Test
        void retriesOnlyFailuresBeforeTheApplicationOnAnotherHost() {
            JsonNode route = at(render(edge(withCanary("files", "webdev", "files.example.com"))),
                    ROUTE_CONFIG + "/virtual_hosts/1/routes/1/route");
            JsonNode retry = route.path("retry_policy");
            assertThat(retry.path("retry_on").asText().split(","))
                    .contains("connect-failure", "refused-stream")
                    .noneMatch(on -> on.contains("5xx") || on.equals("gateway-error"));
            assertThat(retry.at("/retry_host_predicate/0/name").asText())
                    .isEqualTo("envoy.retry_host_predicates.previous_hosts");
            assertThat(retry.path("host_selection_retry_max_attempts").asInt()).isGreaterThan(1);
            assertThat(route.path("timeout").asText()).isNotEmpty();
        }

        @Test
        void oneDnsClusterPerReleaseOnItsSwarmTasks() {
            String yaml = render(edge(withCanary("files", "webdev", "files.example.com")));
            JsonNode clusters = at(yaml, "/static_resources/clusters");
            // the forced requests' cluster: the canary's tasks under another name
            assertThat(names(clusters)).containsExactly("files-webdev-1_0_10", "files-webdev-1_0_11", "files-webdev-1_0_11--forced");
            assertThat(clusters.get(2).at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/address")
                    .asText()).isEqualTo("tasks.files-webdev-1_0_11");
            JsonNode cluster = clusters.get(0);
            assertThat(cluster.path("type").asText()).isEqualTo("STRICT_DNS");
            assertThat(cluster.path("dns_lookup_family").asText()).isEqualTo("V4_ONLY");
            JsonNode socket = cluster.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address");
            assertThat(socket.path("address").asText()).isEqualTo("tasks.files-webdev-1_0_10");
            assertThat(socket.path("port_value").asInt()).isEqualTo(8080);
            assertThat(cluster.path("connect_timeout").asText()).isNotEmpty();
            assertThat(cluster.at("/circuit_breakers/thresholds/0/max_connections").asInt()).isPositive();
            // retries within a budget of the requests in flight, not a fixed count (Envoy ignores max_retries then)
            assertThat(cluster.at("/circuit_breakers/thresholds/0/retry_budget/budget_percent/value").asDouble()).isEqualTo(20.0);
            assertThat(cluster.at("/circuit_breakers/thresholds/0/retry_budget/min_retry_concurrency").asInt()).isEqualTo(3);
            assertThat(cluster.at("/circuit_breakers/thresholds/0").has("max_retries")).isFalse();
            assertThat(cluster.at("/outlier_detection/consecutive_5xx").asInt()).isPositive();
            assertThat(cluster.at("/metadata/filter_metadata/swarm_canary/version").asText()).isEqualTo("1.0.10");
        }

        @Test
        void domainsAreLowerCasedDeduplicatedAndSorted() {
            String yaml = render(edge(stableOnly("files", "prod", "www.Example.com", "example.com", "WWW.example.com")));
            assertThat(texts(at(yaml, ROUTE_CONFIG + "/virtual_hosts/1/domains")))
                    .containsExactly("example.com", "www.example.com");
        }
    }

    @Nested
    class Determinism {
        @Test
        void sameRouteTableGivesByteIdenticalYaml() {
            EdgeRoutes routes = edge(withCanary("files", "webdev", "a.example.com"), stableOnly("docs", "prod", "b.example.com"));
            assertThat(render(routes)).isEqualTo(render(routes));
        }

        @Test
        void orderOfTracksReleasesAndDomainsDoesNotMatter() {
            TrackRoutes files = withCanary("files", "webdev", "a.example.com", "c.example.com");
            TrackRoutes docs = stableOnly("docs", "prod", "b.example.com");
            List<ReleaseRoute> reversed = new ArrayList<>(files.releases());
            Collections.reverse(reversed);
            TrackRoutes filesShuffled = new TrackRoutes("files", "webdev", List.of("c.example.com", "a.example.com"),
                    reversed, files.canaryService());

            String yaml = render(edge(files, docs));
            assertThat(render(edge(docs, filesShuffled))).isEqualTo(yaml);
            assertThat(names(at(yaml, ROUTE_CONFIG + "/virtual_hosts")))
                    .containsExactly("proxy_test", "docs-prod", "files-webdev");
        }
    }

    @Nested
    class Template {
        private final String yaml = renderer.render(
                edge(withCanary("files", "prod", "files.example.com")), Optional.of(Fixtures.TEMPLATE));

        @Test
        void addsVirtualHostsAfterTheUsersOwnInTheSwarmCanaryRouteConfig() {
            assertThat(names(at(yaml, ROUTE_CONFIG + "/virtual_hosts")))
                    .containsExactly("legacy", "proxy_test", "files-prod");
        }

        @Test
        void appendsClustersAndKeepsTheUsersListenerAndSettings() {
            assertThat(names(at(yaml, "/static_resources/clusters")))
                    .containsExactly("legacy_backend", "files-prod-1_0_10", "files-prod-1_0_11");
            assertThat(at(yaml, "/static_resources/listeners/0/name").asText()).isEqualTo("public_http");
            assertThat(at(yaml, "/static_resources/listeners/0/address/socket_address/port_value").asInt())
                    .isEqualTo(8080);
            assertThat(at(yaml, HCM + "/http_filters/0/name").asText()).isEqualTo("envoy.filters.http.cors");
            assertThat(at(yaml, "/overload_manager").isMissingNode()).isTrue();
        }

        @Test
        void findsTheRouteConfigByNameInAnyListener() {
            String template = """
                    static_resources:
                      listeners:
                        - name: other
                          address: {socket_address: {address: 0.0.0.0, port_value: 9000}}
                          filter_chains:
                            - filters:
                                - name: envoy.filters.network.http_connection_manager
                                  typed_config:
                                    "@type": %1$s
                                    stat_prefix: other
                                    route_config: {name: mine, virtual_hosts: []}
                                    http_filters: []
                        - name: edge
                          address: {socket_address: {address: 0.0.0.0, port_value: 9001}}
                          filter_chains:
                            - filters:
                                - name: envoy.filters.network.http_connection_manager
                                  typed_config:
                                    "@type": %1$s
                                    stat_prefix: edge
                                    route_config: {name: swarm_canary}
                                    http_filters: []
                    """.formatted(EnvoyConfigRenderer.HCM_TYPE);
            String out = renderer.render(edge(stableOnly("files", "prod", "files.example.com")), Optional.of(template));
            assertThat(at(out, "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/route_config/virtual_hosts")
                    .size()).isZero();
            assertThat(names(at(out, "/static_resources/listeners/1/filter_chains/0/filters/0/typed_config/route_config/virtual_hosts")))
                    .containsExactly("proxy_test", "files-prod");
            assertThat(names(at(out, "/static_resources/clusters"))).containsExactly("files-prod-1_0_10");
        }

        @Test
        void templateWithoutTheRouteConfigIsRejectedWithAHint() {
            String template = Fixtures.TEMPLATE.replace("name: swarm_canary", "name: something_else");
            assertThatThrownBy(() -> renderer.render(edge(), Optional.of(template)))
                    .isInstanceOf(InvalidTemplateException.class)
                    .hasMessageContaining("swarm_canary")
                    .hasMessageContaining("route_config");
        }

        @Test
        void templateWithTwoSwarmCanaryRouteConfigsIsRejected() {
            String template = Fixtures.mutate(Fixtures.TEMPLATE, root -> {
                var listeners = (com.fasterxml.jackson.databind.node.ArrayNode) root.at("/static_resources/listeners");
                listeners.add(listeners.get(0).deepCopy());
            });
            assertThatThrownBy(() -> renderer.render(edge(), Optional.of(template)))
                    .isInstanceOf(InvalidTemplateException.class)
                    .hasMessageContaining("2 route_configs named swarm_canary");
        }

        @Test
        void templateWithoutStaticResourcesIsRejected() {
            assertThatThrownBy(() -> renderer.render(edge(), Optional.of("admin: {}\n")))
                    .isInstanceOf(InvalidTemplateException.class);
        }

        @Test
        void templateWhoseClustersAreNotAListIsRejected() {
            String template = Fixtures.mutate(Fixtures.TEMPLATE,
                    root -> ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("static_resources")).put("clusters", "none"));
            assertThatThrownBy(() -> renderer.render(edge(), Optional.of(template)))
                    .isInstanceOf(InvalidTemplateException.class)
                    .hasMessageContaining("clusters");
        }

        @Test
        void missingClustersListIsCreated() {
            String template = Fixtures.mutate(Fixtures.TEMPLATE, root -> {
                ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("static_resources")).remove("clusters");
                ((com.fasterxml.jackson.databind.node.ObjectNode) root.at(ROUTE_CONFIG)).remove("virtual_hosts");
            });
            String out = renderer.render(edge(stableOnly("files", "prod", "files.example.com")), Optional.of(template));
            assertThat(names(at(out, "/static_resources/clusters"))).containsExactly("files-prod-1_0_10");
        }

        @Test
        void templateThatIsNotYamlIsRejectedReadably() {
            assertThatThrownBy(() -> renderer.render(edge(), Optional.of("static_resources: [")))
                    .isInstanceOf(InvalidTemplateException.class)
                    .hasMessageContaining("does not parse")
                    .hasMessageContaining("line 1");
        }
    }

    @Test
    void everyShapePassesTheValidator() {
        EnvoyConfigValidator validator = new EnvoyConfigValidator();
        Fixtures.shapes().forEach((name, yaml) ->
                assertThat(validator.validate(yaml).describe()).as(name).isEqualTo("valid"));
    }

    @Test
    void outputIsPlainYamlOfOneDocument() {
        String yaml = render(edge(withCanary("files", "webdev", "files.example.com")));
        assertThat(tree(yaml).has("static_resources")).isTrue();
        assertThat(yaml).doesNotStartWith("---");
    }

    private static List<String> names(JsonNode list) {
        return StreamSupport.stream(list.spliterator(), false).map(n -> n.path("name").asText()).toList();
    }

    private static List<String> texts(JsonNode list) {
        return StreamSupport.stream(list.spliterator(), false).map(JsonNode::asText).toList();
    }
}
