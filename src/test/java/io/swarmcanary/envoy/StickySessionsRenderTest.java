package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.CanaryTrafficRenderTest.names;
import static io.swarmcanary.envoy.CanaryTrafficRenderTest.track;
import static io.swarmcanary.envoy.Fixtures.at;
import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.render;
import static io.swarmcanary.envoy.Fixtures.stableOnly;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static io.swarmcanary.envoy.Fixtures.withSticky;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.Pattern;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** shift --sticky as Envoy config: the cookie each weighted cluster sets, the routes that read it, and what is refused. */
class StickySessionsRenderTest {
    private static final String CANARY = "files-webdev-1_0_11";
    private static final String STABLE = "files-webdev-1_0_10";

    @Test
    void stickyRoutesComeAfterTheForcedAndTheMatchRoutesAndBeforeTheWeightedOneTheCanarysFirst() {
        TrackRoutes track = withSticky("files", "webdev", "files.example.com");
        String yaml = render(edge(track, stableOnly("docs", "prod", "docs.example.com")));
        JsonNode routes = track(yaml, "files-webdev").path("routes");
        assertThat(names(routes)).containsExactly("files-webdev-force-canary", "files-webdev-match",
                "files-webdev-sticky-" + CANARY, "files-webdev-sticky-" + STABLE, "files-webdev");
        StickySessions sticky = track.canaryTraffic().sticky();
        for (int i : new int[] {2, 3}) {
            String service = i == 2 ? CANARY : STABLE;
            JsonNode route = routes.get(i);
            assertThat(route.at("/route/cluster").asText()).isEqualTo(service); // its own cluster: analysis counts them
            String regex = route.at("/match/headers/0/string_match/safe_regex/regex").asText();
            assertThat(route.at("/match/headers/0/name").asText()).isEqualTo("cookie");
            String mine = sticky.cookie() + "=" + sticky.values().get(service);
            assertThat(Pattern.matches(regex, mine)).isTrue();
            assertThat(Pattern.matches(regex, "a=b; " + mine + "; c=d")).isTrue();
            // a neighbouring name, a longer value or the other release's value never match
            assertThat(Pattern.matches(regex, "x" + mine)).isFalse();
            assertThat(Pattern.matches(regex, mine + "0")).isFalse();
            String other = sticky.values().get(i == 2 ? STABLE : CANARY);
            assertThat(Pattern.matches(regex, sticky.cookie() + "=" + other)).isFalse();
        }
        assertThat(names(track(yaml, "docs-prod").path("routes"))).containsExactly("docs-prod");
    }

    @Test
    void eachWeightedClusterAppendsItsOwnCookieSoTheApplicationsSetCookieStays() {
        TrackRoutes track = withSticky("files", "webdev", "files.example.com");
        StickySessions sticky = track.canaryTraffic().sticky();
        JsonNode weighted = track(render(edge(track)), "files-webdev").path("routes").get(4);
        assertThat(weighted.path("name").asText()).isEqualTo("files-webdev");
        for (JsonNode cluster : weighted.at("/route/weighted_clusters/clusters")) {
            JsonNode add = cluster.at("/response_headers_to_add/0");
            assertThat(add.path("append_action").asText()).isEqualTo("APPEND_IF_EXISTS_OR_ADD");
            assertThat(add.at("/header/key").asText()).isEqualTo("set-cookie");
            assertThat(add.at("/header/value").asText()).isEqualTo(sticky.cookie() + "="
                    + sticky.values().get(cluster.path("name").asText()) + "; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
        }
        // the sticky routes set no cookie: a client keeps the one it has until it expires
        assertThat(track(render(edge(track)), "files-webdev").path("routes").get(2).has("response_headers_to_add")).isFalse();
    }

    @Test
    void aReleaseWithoutACookieValueGetsNeitherACookieNorARoute() {
        TrackRoutes plain = withCanary("files", "webdev", "files.example.com");
        StickySessions none = new StickySessions("sc", 3600, Map.of());
        TrackRoutes track = new TrackRoutes("files", "webdev", plain.domains(), plain.releases(), plain.canaryService(),
                new CanaryTraffic(plain.canaryService(), List.of(), 0, none));
        assertThat(render(edge(track))).isEqualTo(render(edge(plain)));
        StickySessions stableOnly = new StickySessions("sc", 3600, Map.of(STABLE, "0123456789abcdef0123"));
        String yaml = render(edge(new TrackRoutes("files", "webdev", plain.domains(), plain.releases(), plain.canaryService(),
                new CanaryTraffic(plain.canaryService(), List.of(), 0, stableOnly))));
        assertThat(names(track(yaml, "files-webdev").path("routes"))).containsExactly("files-webdev-force-canary",
                "files-webdev-sticky-" + STABLE, "files-webdev");
    }

    @Test
    void overHttpsTheCookieIsSecureAndOverPlainHttpItIsNot() {
        TrackRoutes track = withSticky("files", "prod", "shop.example.com");
        String yaml = new EnvoyConfigRenderer().withEdgeKey(Fixtures.KEY.publicJwks())
                .withHttps(new HttpsListener(10443, List.of(HttpsListenerTest.SHOP), false, 443, null))
                .render(edge(track), Optional.empty());
        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        String plain = cookieOf(at(yaml, "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/route_config"));
        String tls = cookieOf(at(yaml, "/static_resources/listeners/1/filter_chains/0/filters/0/typed_config/route_config"));
        assertThat(plain).endsWith("; HttpOnly; SameSite=Lax");
        assertThat(tls).isEqualTo(plain + "; Secure");
    }

    @Test
    void aCookieValueIsAKeyedHashThatNamesNoVersionAndChangesWithTheRelease() {
        byte[] key = new byte[32];
        String value = StickySessions.value(key, "files-webdev", CANARY, "svc-id-1");
        assertThat(value).hasSize(20).matches("[0-9a-f]+").doesNotContain("1_0_11");
        assertThat(StickySessions.value(key, "files-webdev", CANARY, "svc-id-1")).isEqualTo(value); // re-renders agree
        // a canary deployed again under the same name is a new Swarm service: its cookie is not the old one's
        assertThat(StickySessions.value(key, "files-webdev", CANARY, "svc-id-2")).isNotEqualTo(value);
        assertThat(StickySessions.value(key, "files-prod", CANARY, "svc-id-1")).isNotEqualTo(value);
        byte[] other = new byte[32];
        other[0] = 1;
        assertThat(StickySessions.value(other, "files-webdev", CANARY, "svc-id-1")).isNotEqualTo(value);
        // its own label: never the hash a secret's name would carry for the same bytes
        assertThat(io.swarmcanary.release.Names.keyedHash(key, ("files-webdev\0" + CANARY + "\0svc-id-1")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), 20)).isNotEqualTo(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "a;b", "a=b", "a,b", "a%b", "caf\u00e9", "a\"b", "a/b",
            "ssssssssssssssssssssssssssssz"})
    void refusesBadCookieNamesAsBadInput(String name) {
        assertThatThrownBy(() -> StickySessions.check(name, 3600)).isInstanceOf(io.swarmcanary.UserInputException.class)
                .hasMessageContaining("--cookie");
    }

    @Test
    void refusesATtlOutsideAMinuteToAWeek() {
        StickySessions.check("sc", 60);
        StickySessions.check("sc", 7 * 24 * 3600);
        StickySessions.check("s".repeat(StickySessions.MAX_NAME), 3600);
        for (long bad : new long[] {0, 59, 7 * 24 * 3600 + 1, -1}) {
            assertThatThrownBy(() -> StickySessions.check("sc", bad)).isInstanceOf(InvalidRoutesException.class)
                    .hasMessageContaining("--ttl");
        }
    }

    @Test
    void aCookieForAReleaseWithoutWeightIsRefused() {
        TrackRoutes plain = Fixtures.withCanary("files", "webdev", "files.example.com");
        List<ReleaseRoute> zero = List.of(Fixtures.release("files", "webdev", "1.0.10", 100),
                Fixtures.release("files", "webdev", "1.0.11", 0));
        TrackRoutes bad = new TrackRoutes("files", "webdev", plain.domains(), zero, plain.canaryService(),
                new CanaryTraffic(CANARY, List.of(), 0, new StickySessions("sc", 60, Map.of(CANARY, "0123456789abcdef0123"))));
        assertThatThrownBy(() -> render(edge(bad))).isInstanceOf(InvalidRoutesException.class).hasMessageContaining(CANARY)
                .hasMessageContaining("weight");
    }

    private static String cookieOf(JsonNode routeConfig) {
        for (JsonNode host : routeConfig.path("virtual_hosts")) {
            if (host.path("name").asText().equals("files-prod")) {
                for (JsonNode route : host.path("routes")) {
                    JsonNode clusters = route.at("/route/weighted_clusters/clusters");
                    if (!clusters.isMissingNode()) {
                        return clusters.get(0).at("/response_headers_to_add/0/header/value").asText();
                    }
                }
            }
        }
        throw new AssertionError("no weighted route");
    }
}
