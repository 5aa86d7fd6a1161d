package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.release;
import static io.swarmcanary.envoy.Fixtures.render;
import static io.swarmcanary.envoy.Fixtures.stableOnly;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The renderer refuses route tables Envoy would reject or that could smuggle text into the YAML. */
class RouteInputValidationTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "evil.com\n  - name: injected", "evil.com: {}", "evil.com # comment", "\"quoted.com\"", "a.com'",
            "$(rm -rf /).com", "`id`.com", "a.com;b", "a com", "", "-a.com", "a-.com", "a..com", ".a.com",
            "*.*.a.com", "a.*.com", "*a.com", "a.com:", "a.com:0", "a.com:65536", "a.com:80:81", "a.com/path",
            "{a: b}", "[a]", "&anchor", "*alias", "a.com\u0000", "ex\u00e4mple.com"})
    void rejectsDomainsOutsideTheStrictPattern(String domain) {
        expectInvalid(edge(stableOnly("files", "prod", domain)))
                .hasMessageContaining("invalid domain")
                .hasMessageContaining("track files-prod");
    }

    @ParameterizedTest
    @ValueSource(strings = {"files.example.com", "*.example.com", "example.com:8443", "*.example.com:*",
            "proxy_test2", "proxy_test:10000", "localhost", "10.0.0.1:80", "a"})
    void acceptsHostNamesWithOptionalPortAndWildcard(String domain) {
        assertThatCode(() -> render(edge(stableOnly("files", "prod", domain)))).doesNotThrowAnyException();
    }

    @Test
    void controlCharactersAreShownEscapedInTheMessage() {
        expectInvalid(edge(stableOnly("files", "prod", "evil.com\n- x")))
                .hasMessageContaining("'evil.com\\x0a- x'");
    }

    @Test
    void aDomainClaimedByTwoTracksNamesBoth() {
        expectInvalid(edge(stableOnly("files", "prod", "shared.example.com"),
                stableOnly("docs", "prod", "Shared.Example.com")))
                .hasMessageContaining("shared.example.com")
                .hasMessageContaining("track files-prod")
                .hasMessageContaining("track docs-prod");
    }

    @Test
    void aTrackCannotTakeASmokeDomain() {
        expectInvalid(edge(stableOnly("files", "prod", "proxy_test")))
                .hasMessageContaining("smoke test");
    }

    @Test
    void smokeDomainsAreCheckedToo() {
        expectInvalid(new EdgeRoutes(10000, List.of("ok.com", "bad domain"), List.of()))
                .hasMessageContaining("'bad domain'");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 101, 1000})
    void weightsAreZeroToHundred(int weight) {
        TrackRoutes track = new TrackRoutes("files", "prod", List.of("a.com"),
                List.of(release("files", "prod", "1.0.10", weight), release("files", "prod", "1.0.11", 10)), null);
        expectInvalid(edge(track)).hasMessageContaining("weight " + weight).hasMessageContaining("0-100");
    }

    @Test
    void notAllWeightsMayBeZero() {
        TrackRoutes track = new TrackRoutes("files", "prod", List.of("a.com"),
                List.of(release("files", "prod", "1.0.10", 0), release("files", "prod", "1.0.11", 0)), null);
        expectInvalid(edge(track)).hasMessageContaining("weight 0").hasMessageContaining("files-prod");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65536, 9901})
    void listenerPortMustBeUsableAndNotTheAdminPort(int port) {
        expectInvalid(new EdgeRoutes(port, List.of())).hasMessageContaining(String.valueOf(port));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 65536})
    void releasePortIsOneTo65535(int port) {
        TrackRoutes track = new TrackRoutes("files", "prod", List.of("a.com"),
                List.of(new ReleaseRoute("files-prod-1_0_10", "1.0.10", port, 100)), null);
        expectInvalid(edge(track)).hasMessageContaining("port " + port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"files-prod-1.0.10", "files prod", "files-prod\n", "-files", "files-prod-", "a\"b", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void serviceNamesAreSingleDnsLabels(String service) {
        TrackRoutes track = new TrackRoutes("files", "prod", List.of("a.com"),
                List.of(new ReleaseRoute(service, "1.0.10", 8080, 100)), null);
        expectInvalid(edge(track)).hasMessageContaining("invalid service name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.0\n1", "", "1 0", "-1", "1.0;rm"})
    void versionsAreSafe(String version) {
        TrackRoutes track = new TrackRoutes("files", "prod", List.of("a.com"),
                List.of(new ReleaseRoute("files-prod-1", version, 8080, 100)), null);
        expectInvalid(edge(track)).hasMessageContaining("invalid version");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "fi les", "files.prod", "files\n", "f:x"})
    void appAndEnvAreNames(String name) {
        expectInvalid(edge(stableOnly(name, "prod", "a.com"))).hasMessageContaining("invalid app");
        expectInvalid(edge(stableOnly("files", name, "a.com"))).hasMessageContaining("invalid env");
    }

    @Test
    void canaryMustBeOneOfTheTracksReleases() {
        TrackRoutes track = new TrackRoutes("files", "prod", List.of("a.com"),
                List.of(release("files", "prod", "1.0.10", 100)), "files-prod-9_9_9");
        expectInvalid(edge(track)).hasMessageContaining("'files-prod-9_9_9'").hasMessageContaining("not one of its releases");
    }

    @Test
    void aTrackAppearsOnce() {
        expectInvalid(edge(stableOnly("files", "prod", "a.com"), withCanary("files", "prod", "b.com")))
                .hasMessageContaining("files-prod appears twice");
    }

    @Test
    void aServiceBelongsToOneTrack() {
        TrackRoutes other = new TrackRoutes("docs", "prod", List.of("b.com"),
                List.of(new ReleaseRoute("files-prod-1_0_10", "1.0.10", 8080, 100)), null);
        expectInvalid(edge(stableOnly("files", "prod", "a.com"), other))
                .hasMessageContaining("files-prod-1_0_10 is listed twice");
    }

    @Test
    void aTrackNeedsDomainsAndReleases() {
        expectInvalid(edge(new TrackRoutes("files", "prod", List.of(), List.of(release("files", "prod", "1", 100)), null)))
                .hasMessageContaining("no domains");
        expectInvalid(edge(new TrackRoutes("files", "prod", List.of("a.com"), List.of(), null)))
                .hasMessageContaining("no releases");
    }

    @Test
    void isBadInputForTheCli() {
        assertThat(new InvalidRoutesException("x")).isInstanceOf(io.swarmcanary.UserInputException.class);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> expectInvalid(EdgeRoutes routes) {
        return assertThatThrownBy(() -> render(routes)).isInstanceOf(InvalidRoutesException.class);
    }
}
