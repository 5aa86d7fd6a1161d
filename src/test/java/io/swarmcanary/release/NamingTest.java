package io.swarmcanary.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.swarm.NetworkInfo;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamingTest {
    @Test
    void releaseNamesReplaceDotsWithUnderscores() {
        assertThat(Names.serviceName(new Track("files", "webdev"), "1.0.10")).isEqualTo("files-webdev-1_0_10");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "a;b", "a.b", "-a", "a/b", "ä"})
    void badAppNamesAreRefused(String app) {
        assertThatThrownBy(() -> new Track(app, "webdev")).isInstanceOf(UserInputException.class);
    }

    @Test
    void namesLongerThanDockerAllowsAreRefused() {
        Track t = new Track("a".repeat(30), "b".repeat(20));
        assertThatThrownBy(() -> Names.serviceName(t, "1".repeat(20)))
                .isInstanceOf(UserInputException.class).hasMessageContaining("allow 63");
    }

    @Test
    void contentAddressedNamesDependOnContentOnly() {
        Track t = new Track("files", "webdev");
        String a = Names.contentAddressed(t, "db", "x".getBytes());
        assertThat(Names.contentAddressed(t, "db", "x".getBytes())).isEqualTo(a);
        assertThat(Names.contentAddressed(t, "db", "y".getBytes())).isNotEqualTo(a);
        assertThat(a).matches("files-webdev-db-[0-9a-f]{12}");
    }

    @Test
    void secretSourcesNeverTakeValuesFromTheCommandLine() {
        assertThat(SecretSource.parse("db=env:DB_PASSWORD").kind()).isEqualTo(SecretSource.Kind.ENV);
        assertThat(SecretSource.parse("tls.key=file:/k").reference()).isEqualTo("/k");
        assertThatThrownBy(() -> SecretSource.parse("db=hunter2"))
                .isInstanceOf(UserInputException.class).hasMessageNotContaining("hunter2");
    }

    @Test
    void defaultRouteComesFromTheLexicallyFirstNetworkWithAGateway() {
        var back = new NetworkInfo("1", "BACK_db", "bridge", "swarm", false);
        var front = new NetworkInfo("2", "public", "bridge", "swarm", false);
        var overlay = new NetworkInfo("3", "aaa_overlay", "overlay", "swarm", false);
        var internal = new NetworkInfo("4", "AAA_internal", "bridge", "swarm", true);
        RoutingReport r = RoutingReport.of(List.of(front, back, overlay, internal));
        assertThat(r.defaultRouteNetwork()).isEqualTo("BACK_db");
        assertThat(r.warnings()).singleElement().asString().contains("back-end");

        assertThat(RoutingReport.of(List.of(front, overlay)).defaultRouteNetwork()).isEqualTo("public");
        assertThat(RoutingReport.of(List.of(front, overlay)).warnings()).isEmpty();
        assertThat(RoutingReport.of(List.of(overlay)).defaultRouteNetwork()).isEqualTo("docker_gwbridge");
        assertThat(RoutingReport.of(List.of(internal)).defaultRouteNetwork()).isNull();
    }
}
