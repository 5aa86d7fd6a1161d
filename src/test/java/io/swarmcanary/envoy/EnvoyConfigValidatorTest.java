package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.ROUTE_CONFIG;
import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.mutate;
import static io.swarmcanary.envoy.Fixtures.render;
import static io.swarmcanary.envoy.Fixtures.stableOnly;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ListAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvoyConfigValidatorTest {
    private static final String WEIGHTED = ROUTE_CONFIG + "/virtual_hosts/2/routes/1/route/weighted_clusters/clusters";
    private static final String GOOD = render(edge(
            withCanary("files", "webdev", "files.example.com"), stableOnly("docs", "prod", "docs.example.com")));
    private final EnvoyConfigValidator validator = new EnvoyConfigValidator();

    @Test
    void acceptsEveryShapeTheGeneratorProduces() {
        Fixtures.shapes().forEach((name, yaml) -> assertThat(validator.validate(yaml).problems()).as(name).isEmpty());
    }

    @Test
    void theRenderedTreeIsWhatItsYamlReadsBackAsSoCheckingTheTreeChecksTheText() {
        // the shortcut of EdgePlanner: the tree is validated, its YAML is what Envoy gets
        Fixtures.shapes().forEach((name, yaml) -> {
            ObjectNode tree = Fixtures.tree(yaml);
            assertThat(Fixtures.tree(EnvoyConfigRenderer.yaml(tree))).as(name).isEqualTo(tree);
            assertThat(validator.validateRendered(tree).problems()).as(name).isEqualTo(validator.validate(yaml).problems());
        });
        EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks());
        EdgeRoutes routes = edge(withCanary("files", "webdev", "files.example.com"), stableOnly("docs", "prod", "docs.example.com"));
        ObjectNode rendered = renderer.renderTree(routes, java.util.Optional.empty());
        assertThat(EnvoyConfigRenderer.yaml(rendered)).isEqualTo(renderer.render(routes, java.util.Optional.empty()));
    }

    @Test
    void aRenderedTreeGetsEveryCheckTheTextGets() {
        String unknownField = mutate(GOOD, root -> root.putObject("static_resourcez"));
        String zeroSum = mutate(GOOD, root -> ((ArrayNode) root.at(WEIGHTED)).forEach(c -> ((ObjectNode) c).put("weight", 0)));
        for (String bad : java.util.List.of(unknownField, zeroSum)) {
            ValidationResult fromTree = validator.validateRendered(Fixtures.tree(bad));
            assertThat(fromTree.isValid()).isFalse();
            assertThat(fromTree.problems()).isEqualTo(validator.validate(bad).problems());
        }
        assertThat(validator.validateRendered(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode())
                .isValid()).isFalse();
    }

    @Test
    void theConfigParsedPartByPartIsTheConfigParsedWholeAndTheTreeIsLeftAsItWas() {
        Map<String, String> shapes = new java.util.LinkedHashMap<>(Fixtures.shapes());
        // HTTPS: a listener per port, each chain and the default chain with its own copy of the route table
        EnvoyConfigRenderer https = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks())
                .withHttps(new HttpsListener(10443, List.of(
                        new HttpsListener.Domain("files.example.com", null, null, "tls:files.example.com", "tls:files.example.com"),
                        new HttpsListener.Domain("*.example.org", null, null, "tls:*.example.org", "tls:*.example.org")),
                        true, 443, 600L, "files.example.com"));
        shapes.put("HTTPS with a default chain", https.render(edge(withCanary("files", "webdev", "files.example.com"),
                stableOnly("docs", "prod", "docs.example.org")), java.util.Optional.empty()));
        shapes.put("an xds bootstrap with HTTPS over SDS (rds, no inline routes)", Fixtures.xdsBootstrapWithSds());
        List<String> names = new java.util.ArrayList<>(shapes.keySet());
        List<String> backwards = new java.util.ArrayList<>(names);
        java.util.Collections.reverse(backwards);
        names.addAll(backwards);
        // one validator for them all, as a control plane keeps one: parts of the shape before must not leak into the next
        EnvoyConfigValidator one = new EnvoyConfigValidator();
        for (String name : names) {
            ObjectNode tree = Fixtures.tree(shapes.get(name));
            String before = EnvoyConfigRenderer.yaml(tree);
            EnvoyConfigValidator.Checked checked = one.checkRendered(tree);
            assertThat(checked.config()).as(name).isNotNull().isEqualTo(parsedWhole(tree));
            // the lists swapped out while the rest is written are back in their places
            assertThat(EnvoyConfigRenderer.yaml(tree)).as(name).isEqualTo(before);
        }
        assertThat(shapes.get("HTTPS with a default chain")).contains("default_filter_chain");
    }

    @Test
    void aSecondCheckParsesOnlyThePartsThatChanged() {
        EnvoyConfigRenderer renderer = new EnvoyConfigRenderer().withStatsHost().withEdgeKey(Fixtures.KEY.publicJwks());
        EdgeRoutes before = edge(withCanary("files", "webdev", "files.example.com"), stableOnly("docs", "prod", "docs.example.com"));
        TrackRoutes files = before.tracks().get(0);
        TrackRoutes shifted = new TrackRoutes(files.app(), files.env(), files.domains(), files.releases().stream()
                .map(r -> new ReleaseRoute(r.service(), r.version(), r.port(), 100 - r.weight())).toList(), files.canaryService());
        EdgeRoutes after = edge(shifted, before.tracks().get(1));
        io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap first = validator.checkRendered(
                renderer.renderTree(before, java.util.Optional.empty())).config();
        ObjectNode afterTree = renderer.renderTree(after, java.util.Optional.empty());
        io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap second = validator.checkRendered(afterTree).config();
        assertThat(second).isEqualTo(parsedWhole(afterTree)).isNotEqualTo(first);
        // the clusters did not change (a shift changes weights): the very messages of the first check are served
        assertThat(second.getStaticResources().getClustersCount()).isEqualTo(first.getStaticResources().getClustersCount());
        for (int i = 0; i < first.getStaticResources().getClustersCount(); i++) {
            assertThat(second.getStaticResources().getClusters(i)).isSameAs(first.getStaticResources().getClusters(i));
        }
    }

    @Test
    void aBadPartIsRefusedAsInTheWholeParseAndLeavesTheKeptPartsAsTheyWere() {
        EnvoyConfigValidator one = new EnvoyConfigValidator();
        io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap good = one.checkRendered(Fixtures.tree(GOOD)).config();
        String badCluster = mutate(GOOD, root -> cluster(root, 0).put("conect_timeout", "1s"));
        assertThat(one.validateRendered(Fixtures.tree(badCluster)).describe()).contains("conect_timeout");
        String badHost = mutate(GOOD, root -> ((ObjectNode) root.at(ROUTE_CONFIG + "/virtual_hosts/1")).put("domainz", "x"));
        assertThat(one.validateRendered(Fixtures.tree(badHost)).describe()).contains("domainz");
        // a refused check keeps what the last good one parsed
        io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap again = one.checkRendered(Fixtures.tree(GOOD)).config();
        assertThat(again).isEqualTo(good);
        assertThat(again.getStaticResources().getClusters(0)).isSameAs(good.getStaticResources().getClusters(0));
    }

    private static io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap parsedWhole(ObjectNode tree) {
        try {
            io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.Builder whole = io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.newBuilder();
            com.google.protobuf.util.JsonFormat.parser().usingTypeRegistry(EnvoyTypes.REGISTRY)
                    .merge(YamlTrees.JSON.writeValueAsString(tree), whole);
            return whole.build();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void acceptsAUserTemplateAsIs() {
        assertThat(validator.validate(Fixtures.TEMPLATE).isValid()).isTrue();
    }

    @Test
    void rejectsYamlThatDoesNotParseWithLineAndColumn() {
        ValidationResult result = validator.validate("static_resources:\n  clusters: [\n");
        assertThat(result.isValid()).isFalse();
        assertThat(result.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("$");
            assertThat(p.message()).contains("does not parse").contains("line").doesNotContain("\n");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "just a string", "- a\n- b", "a: 1\n---\nb: 2\n"})
    void rejectsAnythingButOneMapping(String yaml) {
        assertThat(validator.validate(yaml).problems()).singleElement()
                .satisfies(p -> assertThat(p.path()).isEqualTo("$"));
    }

    @Test
    void rejectsDuplicateKeys() {
        assertProblems("admin: {}\nadmin: {}\n").singleElement()
                .satisfies(p -> assertThat(p.message()).contains("Duplicate field 'admin'"));
    }

    @Test
    void rejectsFieldsEnvoyDoesNotKnow() {
        String yaml = mutate(GOOD, root -> root.putObject("static_resourcez"));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("static_resourcez"));
    }

    @Test
    void rejectsWrongValueTypes() {
        String yaml = mutate(GOOD, root -> cluster(root, 0).put("connect_timeout", "soon"));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("not a valid Envoy"));
    }

    @Test
    void rejectsUnknownTypedConfigTypesWithAHint() {
        String yaml = mutate(GOOD, root -> ((ObjectNode) root.at(Fixtures.HCM + "/http_filters/0/typed_config"))
                .put("@type", "type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope"));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("nope.v3.Nope", "EnvoyTypes"));
    }

    @Test
    void weightedClustersMustSumAboveZero() {
        String yaml = mutate(GOOD, root -> root.at(WEIGHTED).forEach(c -> ((ObjectNode) c).put("weight", 0)));
        assertProblems(yaml).singleElement().satisfies(p -> {
            assertThat(p.path()).endsWith("routes[1].route.weighted_clusters.clusters");
            assertThat(p.message()).contains("sum to 0");
        });
    }

    @Test
    void weightedClustersMustSumWithinUint32() {
        String yaml = mutate(GOOD, root -> root.at(WEIGHTED).forEach(c -> ((ObjectNode) c).put("weight", 4_000_000_000L)));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("4294967295"));
    }

    @Test
    void weightedClustersMustNotBeEmpty() {
        String yaml = mutate(GOOD, root -> ((ArrayNode) root.at(WEIGHTED)).removeAll());
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("no clusters"));
    }

    @Test
    void everyRouteMustNameADefinedCluster() {
        String yaml = mutate(GOOD, root -> {
            ((ObjectNode) root.at(WEIGHTED + "/0")).put("name", "files-webdev-9_9_9");
            ((ObjectNode) root.at(ROUTE_CONFIG + "/virtual_hosts/2/routes/0/route")).put("cluster", "ghost");
        });
        assertProblems(yaml).extracting(ValidationResult.Problem::path).containsExactlyInAnyOrder(
                "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config"
                        + ".virtual_hosts[2].routes[0].route.cluster",
                "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config"
                        + ".virtual_hosts[2].routes[1].route.weighted_clusters.clusters[0].name");
    }

    @Test
    void clustersFromCdsCannotBeCheckedAndAreNotReported() {
        String yaml = mutate(GOOD, root -> {
            ((ObjectNode) root.at(ROUTE_CONFIG + "/virtual_hosts/2/routes/0/route")).put("cluster", "from-cds");
            root.putObject("dynamic_resources").putObject("cds_config").putObject("ads");
        });
        assertThat(validator.validate(yaml).problems()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 65536, 4294967295L})
    void portsAreOneTo65535(long port) {
        String yaml = mutate(GOOD, root -> {
            socket(root, "/static_resources/listeners/0/address").put("port_value", port);
            socket(root, "/static_resources/clusters/0/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address")
                    .put("port_value", port);
            socket(root, "/admin/address").put("port_value", port);
        });
        assertProblems(yaml).hasSize(3).allSatisfy(p -> {
            assertThat(p.path()).endsWith("port_value");
            assertThat(p.message()).contains(Long.toString(port), "1-65535");
        });
    }

    @Test
    void namesMustNotBeEmpty() {
        String yaml = mutate(GOOD, root -> {
            cluster(root, 0).put("name", "");
            ((ObjectNode) root.at("/static_resources/listeners/0")).put("name", "");
            ((ObjectNode) root.at(ROUTE_CONFIG + "/virtual_hosts/0")).put("name", "");
        });
        assertProblems(yaml).extracting(ValidationResult.Problem::message)
                .contains("cluster has no name", "listener has no name", "virtual host has no name");
    }

    @Test
    void namesMustBeUnique() {
        String yaml = mutate(GOOD, root -> {
            cluster(root, 1).put("name", cluster(root, 0).get("name").asText());
            ((ObjectNode) root.at(ROUTE_CONFIG + "/virtual_hosts/1")).put("name", "proxy_test");
            ArrayNode listeners = (ArrayNode) root.at("/static_resources/listeners");
            ObjectNode copy = listeners.get(0).deepCopy();
            socket(copy, "/address").put("port_value", 10001);
            listeners.add(copy);
        });
        assertProblems(yaml).extracting(ValidationResult.Problem::message).anySatisfy(m ->
                        assertThat(m).contains("cluster name 'docs-prod-1_0_10' is used twice"))
                .anySatisfy(m -> assertThat(m).contains("virtual host name 'proxy_test' is used twice"))
                .anySatisfy(m -> assertThat(m).contains("listener name 'edge' is used twice"));
    }

    @Test
    void twoListenersCannotBindTheSameAddress() {
        String yaml = mutate(GOOD, root -> {
            ArrayNode listeners = (ArrayNode) root.at("/static_resources/listeners");
            listeners.add(((ObjectNode) listeners.get(0).deepCopy()).put("name", "second"));
        });
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("already binds 0.0.0.0:10000"));
    }

    @Test
    void aDomainBelongsToOneVirtualHostOfARouteConfig() {
        String yaml = mutate(GOOD, root ->
                ((ArrayNode) root.at(ROUTE_CONFIG + "/virtual_hosts/2/domains")).add("DOCS.example.com"));
        assertProblems(yaml).singleElement().satisfies(p -> {
            assertThat(p.path()).endsWith("virtual_hosts[2].domains[1]");
            assertThat(p.message()).contains("'DOCS.example.com'", "'docs-prod'", "'files-webdev'");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b.com", "*a*", "foo*bar.com", "", "a.com\n", "**"})
    void domainSyntaxIsChecked(String domain) {
        String yaml = mutate(GOOD, root -> ((ArrayNode) root.at(ROUTE_CONFIG + "/virtual_hosts/1/domains")).add(domain));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("invalid domain"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "*.example.com", "*-suffix.example.com", "example.*", "[::1]:8080", "example.com:*"})
    void envoyDomainFormsAreAccepted(String domain) {
        String yaml = mutate(GOOD, root -> ((ArrayNode) root.at(ROUTE_CONFIG + "/virtual_hosts/1/domains")).add(domain));
        assertThat(validator.validate(yaml).problems()).isEmpty();
    }

    @Test
    void aVirtualHostNeedsDomains() {
        String yaml = mutate(GOOD, root -> ((ArrayNode) root.at(ROUTE_CONFIG + "/virtual_hosts/1/domains")).removeAll());
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("no domains"));
    }

    @Test
    void adminMustListenOnLoopbackOnly() {
        String yaml = mutate(GOOD, root -> socket(root, "/admin/address").put("address", "0.0.0.0"));
        assertProblems(yaml).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("admin.address.socket_address.address");
            assertThat(p.message()).contains("127.0.0.1");
        });
    }

    @Test
    void adminMustNotShareAListenersPort() {
        String yaml = mutate(GOOD, root -> socket(root, "/admin/address").put("port_value", 10000));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("listener"));
    }

    @Test
    void anHttpConnectionManagerNeedsRoutes() {
        String yaml = mutate(GOOD, root -> ((ObjectNode) root.at(Fixtures.HCM)).remove("route_config"));
        assertProblems(yaml).singleElement().satisfies(p -> assertThat(p.message()).contains("no route_config"));
    }

    @Test
    void describeListsOneProblemPerLine() {
        String yaml = mutate(GOOD, root -> {
            cluster(root, 0).put("name", "");
            cluster(root, 1).put("name", "");
        });
        assertThat(validator.validate(yaml).describe().lines()).hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(line -> assertThat(line).startsWith("static_resources."));
        assertThat(validator.validate(GOOD).describe()).isEqualTo("valid");
    }

    private ListAssert<ValidationResult.Problem> assertProblems(String yaml) {
        ValidationResult result = validator.validate(yaml);
        assertThat(result.isValid()).isFalse();
        return assertThat(result.problems());
    }

    private static ObjectNode cluster(ObjectNode root, int index) {
        return (ObjectNode) root.at("/static_resources/clusters/" + index);
    }

    private static ObjectNode socket(ObjectNode root, String addressPointer) {
        return (ObjectNode) root.at(addressPointer + "/socket_address");
    }

}
