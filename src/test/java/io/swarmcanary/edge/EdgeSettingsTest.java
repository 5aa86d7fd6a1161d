package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EdgeSettingsTest {
    private static EdgeSettings xds() {
        return new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null, EdgeSettings.XDS,
                new EdgeSettings.Xds("swarm-canary/cli:latest"));
    }

    @Test
    void theSettingsLabelRoundTripsWithAndWithoutAControlPlane() {
        assertThat(EdgeSettings.fromJson(xds().toJson())).isEqualTo(xds());
        EdgeSettings redeploy = new EdgeSettings("envoy", "envoy:1", 10000, List.of("n"), List.of(), null, "redeploy");
        assertThat(EdgeSettings.fromJson(redeploy.toJson())).isEqualTo(redeploy);
        assertThat(redeploy.usesXds()).isFalse();
        assertThat(xds().usesXds()).isTrue();
    }

    @Test
    void anEdgeLabelWrittenBeforeXdsExistedStillParses() {
        String old = "{\"name\":\"envoy\",\"image\":\"envoy:1\",\"port\":10000,\"networks\":[\"envoy-net\"],"
                + "\"constraints\":[],\"templateConfig\":null,\"delivery\":\"redeploy\"}";
        assertThat(EdgeSettings.fromJson(old).xds()).isNull();
        assertThat(EdgeSettings.fromJson(old).delivery()).isEqualTo("redeploy");
    }

    @Test
    void badDeliverySettingsAreBadInput() {
        assertThatThrownBy(() -> new EdgeSettings("envoy", "envoy:1", 10000, List.of(), List.of(), null, "carrier-pigeon"))
                .isInstanceOf(UserInputException.class).hasMessageContaining("invalid --delivery 'carrier-pigeon'");
        assertThatThrownBy(() -> new EdgeSettings("envoy", "envoy:1", 10000, List.of(), List.of(), null, "xds"))
                .isInstanceOf(UserInputException.class).hasMessageContaining("control plane");
        assertThatThrownBy(() -> new EdgeSettings.Xds(" "))
                .isInstanceOf(UserInputException.class).hasMessageContaining("--control-plane-image");
    }

    @Test
    void anXdsEdgeStoredWithAPublishedStatusPortStillParsesWithoutIt() {
        String old = "{\"name\":\"envoy\",\"image\":\"envoy:1\",\"port\":10000,\"networks\":[\"envoy-net\"],"
                + "\"constraints\":[],\"templateConfig\":null,\"delivery\":\"xds\","
                + "\"xds\":{\"image\":\"swarm-canary/cli:latest\",\"statusPort\":10001}}";
        assertThat(EdgeSettings.fromJson(old)).isEqualTo(xds());
    }
}
