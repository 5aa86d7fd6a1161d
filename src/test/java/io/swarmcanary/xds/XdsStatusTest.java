package io.swarmcanary.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.ProductVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The control plane's status names its version, so a CLI of another version can say why a change does not converge. */
class XdsStatusTest {
    final ObjectMapper json = new ObjectMapper();

    @Test
    void theControlPlaneReportsItsOwnVersion() throws Exception {
        XdsStatus served = new ControlPlane("envoy", () -> null, System.err).status();
        XdsStatus read = json.readValue(json.writeValueAsString(served), XdsStatus.class);

        assertThat(read.version()).isEqualTo(ProductVersion.current());
        assertThat(read.versionMismatch("envoy")).isEmpty();
    }

    @Test
    void aControlPlaneOlderThanTheFieldReadsAsUnknownAndIsNamedWithTheWayToUpdateIt() throws Exception {
        XdsStatus old = json.readValue("{\"edge\":\"envoy\",\"routesVersion\":\"r1\",\"clustersVersion\":\"c1\",\"envoys\":[]}",
                XdsStatus.class);

        assertThat(old.version()).isNull();
        assertThat(old.versionMismatch("envoy")).hasValueSatisfying(m -> assertThat(m)
                .contains("of an older version").contains("this CLI is " + ProductVersion.current())
                .contains("swarm-canary edge ensure --edge envoy --delivery xds --control-plane-image IMAGE:" + ProductVersion.current()));
    }

    @Test
    void anotherVersionIsNamed() {
        XdsStatus other = new XdsStatus("envoy", "r1", "c1", null, List.of(), "0.0.9", null, true);

        assertThat(other.versionMismatch("envoy")).hasValueSatisfying(m -> assertThat(m).contains("runs swarm-canary 0.0.9"));
    }
    @Test
    void aRevisionIsServedByItsOwnRoutesOrByRoutesMadeFromItsLabelsThatTheCallerTakesForItsOwn() {
        XdsStatus routesOfAnotherHash = new XdsStatus("envoy", "h2", "c1", null, List.of(), "1", null, true, null, "r1");
        assertThat(routesOfAnotherHash.serves("r1", routes -> routes.equals("h2"))).isTrue();
        assertThat(routesOfAnotherHash.serves("r1", routes -> false)).as("rendered otherwise").isFalse();
        assertThat(routesOfAnotherHash.serves("r2", routes -> true)).as("not made from its labels").isFalse();
        assertThat(routesOfAnotherHash.serves("", routes -> true)).isFalse();
        XdsStatus own = new XdsStatus("envoy", "r1", "c1", null, List.of(), "1", null, true, null, "r1");
        assertThat(own.serves("r1", routes -> false)).as("its own routes need no render").isTrue();
        XdsStatus older = new XdsStatus("envoy", "h2", "c1", null, List.of(), "1", null, true, null, null);
        assertThat(older.serves("r1", routes -> true)).as("a control plane older than the field").isFalse();
    }
}
