package io.swarmcanary.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster.ClusterWeight;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class XdsConfigTest {
    private final XdsConfig xds = new XdsConfig();
    // as an edge that forces canaries renders (so the forced route is there)
    private final EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withEdgeKey(Fixtures.KEY.publicJwks());

    private static final Map<String, List<String>> TASKS = Map.of("files-webdev-1", List.of("10.0.1.5"),
            "files-webdev-2", List.of("10.0.1.8", "10.0.1.7"));

    private static EdgeRoutes routes(int canaryWeight) {
        return new EdgeRoutes(10000, List.of(new TrackRoutes("files", "webdev", List.of("files.test"),
                List.of(new ReleaseRoute("files-webdev-1", "1", 80, 100 - canaryWeight),
                        new ReleaseRoute("files-webdev-2", "2", 8080, canaryWeight)),
                "files-webdev-2"))).withRevision("abc123");
    }

    @Test
    void theBootstrapTakesRoutesAndClustersFromTheControlPlaneAndIsValid() {
        String bootstrap = xds.bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000);

        assertThat(new EnvoyConfigValidator().validate(bootstrap).isValid()).as(bootstrap).isTrue();
        assertThat(bootstrap).contains("route_config_name: \"swarm_canary\"").contains("ads: {}")
                .contains("cluster_name: \"" + XdsConfig.XDS_CLUSTER + "\"").contains("address: \"tasks.envoy-xds\"")
                .doesNotContain("virtual_hosts").doesNotContain("files-webdev");
        // the stats host (an edge with its key) reaches the control plane's status over a static cluster; the routes to
        // it come over RDS
        assertThat(xds.bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000, Optional.of(Fixtures.KEY.publicJwks())))
                .contains("name: \"" + EnvoyConfigRenderer.CONTROL_PLANE_CLUSTER + "\"").contains("port_value: 18001")
                .doesNotContain(EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH);
        // no route table in it: a shift never changes the file Envoy starts with
        assertThat(xds.bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000)).isEqualTo(bootstrap);
    }

    @Test
    void anUnchangedConfigIsNotParsedAgainButNewTaskAddressesAreServedAndAChangedOneIs() {
        XdsConfig x = new XdsConfig();
        List<String> services = List.of("files-webdev-1", "files-webdev-2");
        String yaml = renderer.render(routes(10), Optional.empty());
        XdsConfig.Resources first = x.resources(yaml, services, "v1", TASKS);
        XdsConfig.Resources again = x.resources(new String(yaml), services, "v1",
                Map.of("files-webdev-1", List.of("10.0.1.5"), "files-webdev-2", List.of("10.0.1.9")));
        // the same parsed clusters and routes (not re-parsed), the new endpoints
        assertThat(again.clusters()).isSameAs(first.clusters());
        assertThat(again.routes()).isSameAs(first.routes());
        assertThat(again.clustersVersion()).isEqualTo(first.clustersVersion());
        assertThat(again.endpointsVersion()).isNotEqualTo(first.endpointsVersion());
        assertThat(again.endpoints().get(1).getEndpoints(0).getLbEndpointsList()).hasSize(1);
        // a changed config, or another set of releases, is parsed again: the same as a fresh parse
        XdsConfig.Resources shifted = x.resources(renderer.render(routes(50), Optional.empty()), services, "v2", TASKS);
        assertThat(shifted.routes()).isNotEqualTo(first.routes()).isEqualTo(new XdsConfig()
                .resources(renderer.render(routes(50), Optional.empty()), services, "v2", TASKS).routes());
        assertThat(x.resources(yaml, List.of("files-webdev-1"), "v1", TASKS).clusters()).hasSize(1);
    }

    @Test
    void theConfigAsValidationParsedItServesWhatItsYamlWould() {
        // the control plane serves from the planner's validated config, no longer from its YAML written and read back
        EdgeRoutes routes = routes(30);
        EnvoyConfigValidator.Checked checked = new EnvoyConfigValidator().checkRendered(renderer.renderTree(routes, Optional.empty()));
        assertThat(checked.result().isValid()).isTrue();
        List<String> services = List.of("files-webdev-1", "files-webdev-2");
        XdsConfig.Resources fromTree = new XdsConfig().resources(checked.config(), services, "v1", TASKS);
        XdsConfig.Resources fromYaml = new XdsConfig().resources(renderer.render(routes, Optional.empty()), services, "v1", TASKS);
        assertThat(fromTree.routeConfigs()).isEqualTo(fromYaml.routeConfigs());
        assertThat(fromTree.clusters()).isEqualTo(fromYaml.clusters());
        assertThat(fromTree.endpoints()).isEqualTo(fromYaml.endpoints());
        assertThat(fromTree.clustersVersion()).isEqualTo(fromYaml.clustersVersion());
        assertThat(new EnvoyConfigValidator().checkRendered(new com.fasterxml.jackson.databind.node.ObjectNode(
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance).put("nonsense", 1)).config())
                .as("no config from a tree that does not parse").isNull();
    }

    @Test
    void anEdgeWithCertificatesHasItsHttpsListenerStaticAndBothRouteTablesOverRds() {
        HttpsListener https = new HttpsListener(10443, List.of(new HttpsListener.Domain("files.test",
                "/etc/envoy/tls/files.test.crt", "/etc/envoy/tls/files.test.key", "chain-1")),
                true, 443, 600L);
        String bootstrap = xds.bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000,
                Optional.of(Fixtures.KEY.publicJwks()), https);

        assertThat(new EnvoyConfigValidator().validate(bootstrap).describe()).as(bootstrap).isEqualTo("valid");
        assertThat(bootstrap).contains("name: \"" + HttpsListener.LISTENER_NAME + "\"").contains("TLSv1_2")
                .contains("route_config_name: \"" + HttpsListener.ROUTE_CONFIG_NAME + "\"")
                .contains("route_config_name: \"" + EnvoyConfigRenderer.ROUTE_CONFIG_NAME + "\"")
                .doesNotContain("virtual_hosts").doesNotContain("files-webdev");

        String full = renderer.withHttps(https).render(routes(10), Optional.empty());
        XdsConfig.Resources r = xds.resources(full, List.of("files-webdev-1", "files-webdev-2"), "abc123", TASKS);
        assertThat(r.routeConfigs()).extracting(RouteConfiguration::getName)
                .containsExactly(EnvoyConfigRenderer.ROUTE_CONFIG_NAME, HttpsListener.ROUTE_CONFIG_NAME);
        // the track over https; plain HTTP redirects every host but the CLI's two
        assertThat(r.routeConfigs().get(1).getVirtualHostsList()).extracting(VirtualHost::getName).contains("files-webdev");
        assertThat(r.routes().getVirtualHostsList()).extracting(VirtualHost::getName).doesNotContain("files-webdev")
                .contains(HttpsListener.REDIRECT_VIRTUAL_HOST);
        // without certificates, one route table as before
        assertThat(xds.resources(renderer.render(routes(10), Optional.empty()), List.of("files-webdev-1", "files-webdev-2"),
                "abc123", TASKS).routeConfigs()).hasSize(1);
        // a default certificate for clients without SNI: its chain takes the https route table over RDS too
        HttpsListener withDefault = new HttpsListener(10443, https.domains(), true, 443, 600L, "files.test");
        String defaulted = xds.bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000,
                Optional.of(Fixtures.KEY.publicJwks()), withDefault);
        assertThat(new EnvoyConfigValidator().validate(defaulted).describe()).as(defaulted).isEqualTo("valid");
        assertThat(defaulted).contains("default_filter_chain").doesNotContain("virtual_hosts");
        assertThat(defaulted.split("route_config_name: \"" + HttpsListener.ROUTE_CONFIG_NAME + "\"", -1)).hasSize(3);
    }

    @Test
    void overSdsEachChainNamesItsDomainsSecretOverAdsAndNoFileNorKeyAndARotationLeavesTheBootstrapAsIs() {
        HttpsListener https = new HttpsListener(10443, List.of(new HttpsListener.Domain("files.test", null, null,
                XdsConfig.sdsSecretName("files.test"), XdsConfig.sdsSecretName("files.test"))), true, 443, null, "files.test");
        XdsConfig.AdsTls ads = new XdsConfig.AdsTls("/run/secrets/ads/ca.crt", "/run/secrets/ads/envoy.crt",
                "/run/secrets/ads/envoy.key", "envoy-xds");
        String bootstrap = xds.bootstrap("envoy", 10000, Optional.empty(), "tasks.envoy-xds", 18000,
                Optional.of(Fixtures.KEY.publicJwks()), https, ads);

        assertThat(new EnvoyConfigValidator().validate(bootstrap).describe()).as(bootstrap).isEqualTo("valid");
        // the SNI chain and the default chain both take tls:files.test over ADS
        assertThat(bootstrap.split("tls_certificate_sds_secret_configs", -1)).hasSize(3);
        assertThat(bootstrap).contains("name: \"tls:files.test\"").contains("resource_api_version: \"V3\"")
                .doesNotContain("/etc/envoy/tls/").doesNotContain("PRIVATE KEY").doesNotContain("inline_bytes");
        // only ADS's own client certificate is a file: no tls_certificates in the HTTPS listener
        assertThat(bootstrap.split("tls_certificates", -1)).hasSize(2);

        // the secret: named by the domain, the key inside it alone; its version is made of file (secret) names
        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret secret = XdsConfig.sdsSecret("files.test",
                "CERT".getBytes(), "KEY".getBytes());
        assertThat(secret.getName()).isEqualTo("tls:files.test");
        assertThat(secret.getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8()).isEqualTo("KEY");
        java.util.TreeMap<String, String> files = new java.util.TreeMap<>(Map.of("files.test", "/s/crt-1,/s/key-1"));
        java.util.TreeMap<String, String> rotated = new java.util.TreeMap<>(Map.of("files.test", "/s/crt-2,/s/key-2"));
        assertThat(XdsConfig.sdsVersion(files)).hasSize(12).isNotEqualTo(XdsConfig.sdsVersion(rotated))
                .isEqualTo(XdsConfig.sdsVersion(new java.util.TreeMap<>(files)));
        assertThat(XdsConfig.sdsVersion(new java.util.TreeMap<>())).isNull();
    }

    @Test
    void aTemplateKeepsItsOwnStaticClustersAndItsVirtualHostsGoOverRds() {
        String bootstrap = xds.bootstrap("envoy", 10000, Optional.of(Fixtures.TEMPLATE), "tasks.envoy-xds", 18000);
        assertThat(new EnvoyConfigValidator().validate(bootstrap).isValid()).as(bootstrap).isTrue();
        assertThat(bootstrap).contains("legacy_backend").doesNotContain("legacy.example.com");

        String full = renderer.render(routes(10), Optional.of(Fixtures.TEMPLATE));
        XdsConfig.Resources r = xds.resources(full, List.of("files-webdev-1", "files-webdev-2"), "abc123", TASKS);
        assertThat(r.clusters()).extracting(Cluster::getName).containsExactly("files-webdev-1", "files-webdev-2");
        assertThat(r.routes().getVirtualHostsList()).extracting(VirtualHost::getName).contains("legacy", "files-webdev");
    }

    @Test
    void resourcesCarryTheRenderedWeightsAndOnlyTheWeightsChangeOnAShift() {
        XdsConfig.Resources at10 = xds.resources(renderer.render(routes(10), Optional.empty()),
                List.of("files-webdev-1", "files-webdev-2"), "r10", TASKS);
        XdsConfig.Resources at50 = xds.resources(renderer.render(routes(50), Optional.empty()),
                List.of("files-webdev-1", "files-webdev-2"), "r50", TASKS);

        VirtualHost track = at50.routes().getVirtualHostsList().stream()
                .filter(v -> v.getName().equals("files-webdev")).findFirst().orElseThrow();
        assertThat(track.getRoutesList()).hasSize(2); // force-canary route (token) first, then the weights
        assertThat(track.getRoutes(1).getRoute().getWeightedClusters().getClustersList())
                .extracting(ClusterWeight::getName, c -> c.getWeight().getValue())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("files-webdev-1", 50),
                        org.assertj.core.groups.Tuple.tuple("files-webdev-2", 50));
        // #19: a release's hosts come over EDS from its tasks' addresses (was: tasks.files-webdev-2 DNS in the cluster)
        assertThat(at50.clusters().get(1).getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(at50.endpoints().get(1).getClusterName()).isEqualTo("files-webdev-2");
        assertThat(at50.endpoints().get(1).getEndpoints(0).getLbEndpointsList())
                .extracting(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress() + ":"
                        + e.getEndpoint().getAddress().getSocketAddress().getPortValue())
                .containsExactly("10.0.1.7:8080", "10.0.1.8:8080");
        // CDS version from content: the same clusters, the same version (also for a restarted control plane)
        assertThat(at50.clustersVersion()).isEqualTo(at10.clustersVersion());
        assertThat(at50.routesVersion()).isEqualTo("r50");
        assertThat(at50.routes()).isNotEqualTo(at10.routes());
    }

    @Test
    void aTaskComingOrGoingChangesOnlyTheEndpointsNeverAClusterAndAForcedClusterSharesItsReleasesTasks() {
        String yaml = renderer.render(routes(10), Optional.empty());
        List<String> services = List.of("files-webdev-1", "files-webdev-2", "files-webdev-2" + EnvoyConfigRenderer.FORCED_SUFFIX);
        XdsConfig.Resources before = xds.resources(yaml, services, "r10", TASKS);
        XdsConfig.Resources after = xds.resources(yaml, services, "r10",
                Map.of("files-webdev-1", List.of("10.0.1.5"), "files-webdev-2", List.of("10.0.1.7")));

        assertThat(after.clustersVersion()).isEqualTo(before.clustersVersion());
        assertThat(after.clusters()).isEqualTo(before.clusters());
        assertThat(after.endpointsVersion()).isNotEqualTo(before.endpointsVersion());
        assertThat(before.endpoints()).extracting(e -> e.getClusterName() + "=" + e.getEndpoints(0).getLbEndpointsCount())
                .containsExactly("files-webdev-1=1", "files-webdev-2=2", "files-webdev-2--forced=2");
        assertThat(before.clusters()).allSatisfy(c -> {
            assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
            assertThat(c.hasLoadAssignment()).isFalse();
            assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
        });
        // a release with no running task still gets an (empty) assignment: Envoy would keep its cluster warming
        XdsConfig.Resources none = xds.resources(yaml, services, "r10", Map.of());
        assertThat(none.endpoints()).hasSize(3).allSatisfy(e -> assertThat(e.getEndpoints(0).getLbEndpointsCount()).isZero());
    }

    @Test
    void aReleaseNamedLikeAnAliasReachesItsOwnTasks() {
        // a release of version 1--forced (deployed before such names were refused) is a release, not 1's forced cluster
        EdgeRoutes routes = new EdgeRoutes(10000, List.of(new TrackRoutes("files", "webdev", List.of("files.test"),
                List.of(new ReleaseRoute("files-webdev-1", "1", 80, 50),
                        new ReleaseRoute("files-webdev-1--forced", "1--forced", 80, 50)), null))).withRevision("abc123");
        XdsConfig.Resources r = xds.resources(renderer.render(routes, Optional.empty()),
                List.of("files-webdev-1", "files-webdev-1--forced"), "v1",
                Map.of("files-webdev-1", List.of("10.0.1.5"), "files-webdev-1--forced", List.of("10.0.1.9")));
        assertThat(r.endpoints()).extracting(e -> e.getClusterName() + "=" + e.getEndpoints(0).getLbEndpoints(0).getEndpoint()
                .getAddress().getSocketAddress().getAddress())
                .containsExactly("files-webdev-1=10.0.1.5", "files-webdev-1--forced=10.0.1.9");
    }
}
