package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.at;
import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.render;
import static io.swarmcanary.envoy.Fixtures.stableOnly;
import static io.swarmcanary.envoy.Fixtures.withMatchesAndMirror;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** route --match and mirror as Envoy config: where the routes go, what they match, and what is refused. */
class CanaryTrafficRenderTest {
    private static final String HOSTS = Fixtures.ROUTE_CONFIG + "/virtual_hosts";

    @Test
    void matchRouteComesAfterTheForcedRouteAndBeforeTheWeightedOneAndGoesToTheCanarysOwnCluster() {
        String yaml = render(edge(withMatchesAndMirror("files", "webdev", "files.example.com"),
                stableOnly("docs", "prod", "docs.example.com")));
        JsonNode routes = track(yaml, "files-webdev").path("routes");
        assertThat(names(routes)).containsExactly("files-webdev-force-canary", "files-webdev-match", "files-webdev");
        JsonNode ab = routes.get(1);
        assertThat(ab.at("/route/cluster").asText()).isEqualTo("files-webdev-1_0_11");
        assertThat(ab.at("/match/headers")).hasSize(5);
        assertThat(ab.at("/match/headers/0/name").asText()).isEqualTo("x-beta");
        assertThat(ab.at("/match/headers/0/string_match/exact").asText()).isEqualTo("1");
        assertThat(ab.at("/match/headers/1/string_match/prefix").asText()).isEqualTo("Mozilla/");
        assertThat(ab.at("/match/headers/2/string_match/safe_regex/regex").asText()).isEqualTo("eu-(west|north)-[0-9]+");
        assertThat(ab.at("/match/headers/3/name").asText()).isEqualTo(":method");
        assertThat(ab.at("/match/headers/4/name").asText()).isEqualTo("cookie");
        // the other track has neither
        assertThat(names(track(yaml, "docs-prod").path("routes"))).containsExactly("docs-prod");
    }

    @Test
    void mirrorCopiesTheWeightedRouteToASeparatelyNamedClusterWithTheCanarysEndpoints() {
        String yaml = render(edge(withMatchesAndMirror("files", "webdev", "files.example.com")));
        JsonNode weighted = track(yaml, "files-webdev").path("routes").get(2);
        JsonNode mirror = weighted.at("/route/request_mirror_policies/0");
        assertThat(mirror.path("cluster").asText()).isEqualTo("files-webdev-1_0_11--mirror");
        assertThat(mirror.at("/runtime_fraction/default_value/numerator").asInt()).isEqualTo(10);
        assertThat(mirror.at("/runtime_fraction/default_value/denominator").asText()).isEqualTo("HUNDRED");
        // neither the forced nor the matched route mirrors: only the weighted traffic is copied
        assertThat(track(yaml, "files-webdev").path("routes").get(0).at("/route/request_mirror_policies").isMissingNode()).isTrue();
        assertThat(track(yaml, "files-webdev").path("routes").get(1).at("/route/request_mirror_policies").isMissingNode()).isTrue();
        JsonNode cluster = cluster(yaml, "files-webdev-1_0_11--mirror");
        assertThat(cluster.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address/address").asText())
                .isEqualTo("tasks.files-webdev-1_0_11");
        assertThat(cluster.at("/metadata/filter_metadata/swarm_canary/mirror").asBoolean()).isTrue();
        assertThat(EnvoyConfigRenderer.serviceOfCluster("files-webdev-1_0_11--mirror")).isEqualTo("files-webdev-1_0_11");
    }

    @Test
    void withoutMatchesOrMirrorTheTrackRendersAsBefore() {
        TrackRoutes plain = Fixtures.withCanary("files", "webdev", "files.example.com");
        TrackRoutes empty = new TrackRoutes("files", "webdev", plain.domains(), plain.releases(), plain.canaryService(),
                new CanaryTraffic(plain.canaryService(), List.of(), 0));
        assertThat(render(edge(empty))).isEqualTo(render(edge(plain)));
    }

    @Test
    void xdsServesTheMirrorClusterWithTheCanarysTaskAddresses() {
        TrackRoutes track = withMatchesAndMirror("files", "webdev", "files.example.com");
        String yaml = render(edge(track));
        List<String> services = new ArrayList<>();
        track.releases().forEach(r -> services.add(r.service()));
        services.addAll(track.aliasClusters());
        assertThat(track.aliasClusters()).containsExactly("files-webdev-1_0_11--forced", "files-webdev-1_0_11--mirror");
        XdsConfig.Resources resources = new XdsConfig().resources(yaml, services, "r1",
                Map.of("files-webdev-1_0_11", List.of("10.0.0.7")));
        assertThat(resources.endpoints()).anySatisfy(e -> {
            assertThat(e.getClusterName()).isEqualTo("files-webdev-1_0_11--mirror");
            assertThat(e.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress())
                    .isEqualTo("10.0.0.7");
        });
        assertThat(resources.routes().getVirtualHostsList()).anySatisfy(h -> assertThat(h.getRoutesList())
                .anySatisfy(r -> assertThat(r.getName()).isEqualTo("files-webdev-match")));
    }

    @Test
    void aCanaryTrafficOfAServiceThatIsNoReleaseIsRefused() {
        TrackRoutes plain = Fixtures.withCanary("files", "webdev", "files.example.com");
        TrackRoutes bad = new TrackRoutes("files", "webdev", plain.domains(), plain.releases(), null,
                new CanaryTraffic("files-webdev-9_9_9", List.of(RouteMatch.parse("header:x-beta=1")), 0));
        assertThatThrownBy(() -> render(edge(bad))).isInstanceOf(InvalidRoutesException.class).hasMessageContaining("9_9_9");
    }

    @Test
    void parsesEveryFormAndGivesItBack() {
        assertThat(RouteMatch.parse("header:X-Beta=1")).isEqualTo(new RouteMatch(RouteMatch.Kind.HEADER, "x-beta",
                RouteMatch.Op.EXACT, "1"));
        assertThat(RouteMatch.parse("header:x-ua^=Mozilla").op()).isEqualTo(RouteMatch.Op.PREFIX);
        assertThat(RouteMatch.parse("header:x-ua~a=b").op()).isEqualTo(RouteMatch.Op.REGEX);
        assertThat(RouteMatch.parse("header:x-ua=a~b").value()).isEqualTo("a~b");
        assertThat(RouteMatch.parse("header::path^=/beta").name()).isEqualTo(":path");
        assertThat(RouteMatch.parse("cookie:beta=a=b").value()).isEqualTo("a=b");
        for (String spec : List.of("header:x-beta=1", "header:x-ua^=Mozilla", "header:x-r~eu-.*", "cookie:beta=yes",
                "header::method=GET")) {
            assertThat(RouteMatch.parse(spec).spec()).isEqualTo(spec);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "beta=1", "query:x=1", "header:x-beta", "header:=1", "header:x-beta=", "header:x beta=1",
            "header:x-beta(=1", "header::status=200", "header::foo=1", "header:x-canary-token=abc", "header:X-Canary=1",
            "header:x-r~(unclosed", "header:x-r~(a)\\1", "header:x-r~(?=look)", "header:x-v= padded",
            "header:x-v=tab\there", "header:x-v=caf\u00e9", "cookie:beta~yes", "cookie:be ta=1", "cookie:beta=a;b",
            "cookie:beta=a b", "cookie:beta=\"q\"", "cookie:beta="})
    void refusesBadMatchesAsBadInput(String spec) {
        assertThatThrownBy(() -> RouteMatch.parse(spec)).isInstanceOf(InvalidRoutesException.class)
                .isInstanceOf(io.swarmcanary.UserInputException.class);
    }

    @Test
    void refusesRepetitionCountsThatWouldBlowUpTheCompiledRegex() {
        for (String heavy : List.of("header:x~[0-9a-f]{64}", "header:x~a{2,11}", "header:x~(ab{3}){4}", "header:x~a{11,}")) {
            assertThatThrownBy(() -> RouteMatch.parse(heavy)).as(heavy).isInstanceOf(InvalidRoutesException.class)
                    .hasMessageContaining("repeats by count").hasMessageContaining("Use + or *");
        }
        for (String fine : List.of("header:x~[0-9a-f]{10}", "header:x~a{2,10}b+", "header:x~a\\{64}")) {
            assertThat(RouteMatch.parse(fine).value()).as(fine).isNotEmpty();
        }
    }

    @Test
    void refusesTooLongValuesThatEnvoyWouldNotTake() {
        assertThatThrownBy(() -> RouteMatch.parse("cookie:beta=" + "v".repeat(RouteMatch.MAX_COOKIE)))
                .hasMessageContaining("over " + RouteMatch.MAX_COOKIE);
        assertThatThrownBy(() -> RouteMatch.parse("header:x~" + "a".repeat(RouteMatch.MAX_REGEX + 1)))
                .hasMessageContaining("over " + RouteMatch.MAX_REGEX);
    }

    @Test
    void theCookieRegexMatchesOnlyThatCookieWithThatValue() {
        Pattern p = Pattern.compile(RouteMatch.cookieRegex("beta", "1"));
        for (String yes : List.of("beta=1", "a=2; beta=1", "a=2;beta=1", "beta=1; a=2", "x=1; beta=1; y=2")) {
            assertThat(p.matches(yes)).as(yes).isTrue();
        }
        for (String no : List.of("xbeta=1", "beta=10", "beta=1x", "a=beta=1", "beta=2; xbeta=1", "x-beta=1", "beta1=1",
                "a=2; bbeta=1", "beta =1")) {
            assertThat(p.matches(no)).as(no).isFalse();
        }
        // a name or value with regex characters is taken literally
        Pattern dots = Pattern.compile(RouteMatch.cookieRegex("a.b", "x+y"));
        assertThat(dots.matches("a.b=x+y")).isTrue();
        assertThat(dots.matches("aXb=xxy")).isFalse();
    }

    static JsonNode track(String yaml, String name) {
        for (JsonNode host : at(yaml, HOSTS)) {
            if (host.path("name").asText().equals(name)) {
                return host;
            }
        }
        throw new AssertionError("no virtual host " + name);
    }

    private static JsonNode cluster(String yaml, String name) {
        for (JsonNode c : at(yaml, "/static_resources/clusters")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no cluster " + name);
    }

    static List<String> names(JsonNode routes) {
        List<String> names = new ArrayList<>();
        routes.forEach(r -> names.add(r.path("name").asText()));
        return names;
    }
}
