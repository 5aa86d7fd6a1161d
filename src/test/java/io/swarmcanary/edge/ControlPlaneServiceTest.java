package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.swarm.ServiceDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What edge ensure asks Swarm for, for an xds edge's control plane and its Envoys. */
class ControlPlaneServiceTest {
    private final EdgeSettings settings = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null,
            EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest"));

    @Test
    void theControlPlanePublishesNothingAndSitsOnlyOnTheNetworkItSharesWithTheEnvoys() {
        ServiceDefinition d = XdsDelivery.controlPlaneDefinition(settings);
        assertThat(d.ports()).isEmpty();
        assertThat(d.networks()).containsExactly("envoy-xds-net");
        assertThat(EdgeManager.envoyNetworks(settings)).containsExactly("envoy-net", "envoy-xds-net");
        // the releases join the edge's first network, never the control plane's
        assertThat(settings.networks().get(0)).isEqualTo("envoy-net");
        EdgeSettings redeploy = settings.withDelivery(EdgeSettings.REDEPLOY, null);
        assertThat(EdgeManager.envoyNetworks(redeploy)).containsExactly("envoy-net");
    }

    @Test
    void itRunsReadOnlyWithoutCapabilitiesAndTheSocketBoundReadOnly() {
        ServiceDefinition d = XdsDelivery.controlPlaneDefinition(settings);
        assertThat(d.options().readOnly()).isTrue();
        assertThat(d.capabilityDrop()).containsExactly("ALL");
        assertThat(d.binds()).containsExactly(new ServiceDefinition.BindMount("/var/run/docker.sock", "/var/run/docker.sock", true));
        assertThat(d.args()).contains("--status-port", "18001");
    }

    @Test
    void anEnsureWhoseEnvoyUpdateFailsPutsBackTheControlPlaneItMoved() {
        EdgeSettings rotated = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null,
                EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest", "0123456789ab"));
        EdgeSettings before = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null,
                EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest", "ba9876543210"));
        // other ADS certificates (or a first move to mutual TLS, or another image): back to the previous ones
        assertThat(EdgeManager.controlPlaneToPutBack(before, rotated)).contains(before);
        assertThat(EdgeManager.controlPlaneToPutBack(settings, rotated)).contains(settings);
        // the same control plane, a new edge, or an edge that was not on xds: nothing to put back
        assertThat(EdgeManager.controlPlaneToPutBack(rotated, rotated)).isEmpty();
        assertThat(EdgeManager.controlPlaneToPutBack(null, rotated)).isEmpty();
        EdgeSettings redeploy = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null, "redeploy");
        assertThat(EdgeManager.controlPlaneToPutBack(redeploy, rotated)).isEmpty();
    }

    @Test
    void overSdsTheCertificatesGoToTheControlPlaneAndARotationChangesItAloneNeverEnvoysListener() {
        EdgeSettings xds = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null,
                EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest", "0123456789ab"));
        EdgeSettings https = xds.withHttps(new EdgeSettings.Https(443, new java.util.TreeMap<>(java.util.Map.of("shop.test",
                new EdgeSettings.Certificate("envoy-tls-crt-aaa", "envoy-tls-key-bbb"))), true, null));
        EdgeSettings rotated = xds.withHttps(new EdgeSettings.Https(443, new java.util.TreeMap<>(java.util.Map.of("shop.test",
                new EdgeSettings.Certificate("envoy-tls-crt-ccc", "envoy-tls-key-ddd"))), true, null));

        assertThat(EdgeTls.overSds(https)).isTrue();
        assertThat(XdsDelivery.controlPlaneDefinition(https).args()).containsSubsequence("--sds",
                "shop.test=/run/secrets/sds/envoy-tls-crt-aaa,/run/secrets/sds/envoy-tls-key-bbb");
        // Envoy's listener names the domain's secret, no file and no secret's name: the same before and after a rotation
        assertThat(EdgeTls.listener(https)).isEqualTo(EdgeTls.listener(rotated));
        assertThat(EdgeTls.listener(https).domains().get(0).sdsSecret()).isEqualTo("tls:shop.test");
        assertThat(EdgeTls.listener(https).domains().get(0).certFile()).isNull();
        // the CLI waits for the version the new control plane serves; a failed rotation puts the previous one back
        assertThat(EdgeTls.sdsVersion(https)).isNotNull().isNotEqualTo(EdgeTls.sdsVersion(rotated));
        assertThat(EdgeManager.controlPlaneToPutBack(https, rotated)).contains(https);
        // redeploy, or xds without ADS certificates (no mutual TLS for the key): files in Envoy as before
        EdgeSettings redeploy = https.withDelivery(EdgeSettings.REDEPLOY, null);
        assertThat(EdgeTls.overSds(redeploy)).isFalse();
        assertThat(EdgeTls.listener(redeploy).domains().get(0).certFile()).isEqualTo("/etc/envoy/tls/shop.test.crt");
        assertThat(EdgeTls.sdsVersion(redeploy)).isNull();
        assertThat(EdgeTls.overSds(https.withDelivery(EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest"))))
                .isFalse();
    }

    @Test
    void anXdsEdgeStoredBeforeSdsKeepsItsCertificatesAsFilesUntilItsControlPlaneIsSetAgain() throws Exception {
        // the settings label of an xds edge made by the previous version: its control plane has no --sds
        EdgeSettings.Xds stored = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                "{\"image\":\"swarm-canary/cli:0.0.9\",\"pki\":\"0123456789ab\"}", EdgeSettings.Xds.class);
        EdgeSettings https = new EdgeSettings("envoy", "envoy:1", 10000, List.of("envoy-net"), List.of(), null,
                EdgeSettings.XDS, stored).withHttps(new EdgeSettings.Https(443, new java.util.TreeMap<>(java.util.Map.of(
                "shop.test", new EdgeSettings.Certificate("envoy-tls-crt-aaa", "envoy-tls-key-bbb"))), true, null));

        assertThat(stored.servesCertificates()).isFalse();
        assertThat(EdgeTls.overSds(https)).isFalse();
        assertThat(XdsDelivery.controlPlaneDefinition(https).args()).doesNotContain("--sds");
        assertThat(EdgeTls.listener(https).domains().get(0).certFile()).isEqualTo("/etc/envoy/tls/shop.test.crt");
        // set again by this version: SDS, and a failed ensure puts the old control plane back
        EdgeSettings moved = https.withDelivery(EdgeSettings.XDS, new EdgeSettings.Xds(stored.image(), stored.pki(), true));
        assertThat(EdgeTls.overSds(moved)).isTrue();
        assertThat(EdgeManager.controlPlaneToPutBack(https, moved)).contains(https);
    }

    @Test
    void itsMemoryIsBoundedNotSizedByTheManagers() {
        ServiceDefinition d = XdsDelivery.controlPlaneDefinition(settings);
        assertThat(d.env()).containsExactly("JAVA_TOOL_OPTIONS=-Xmx64m -Xmn12m -XX:+UseSerialGC -XX:MinHeapFreeRatio=10"
                + " -XX:MaxHeapFreeRatio=30 -XX:+ExitOnOutOfMemoryError -Xss512k -XX:MaxMetaspaceSize=96m"
                + " -XX:ReservedCodeCacheSize=32m -XX:MaxDirectMemorySize=64m -XX:TieredStopAtLevel=1", "MALLOC_ARENA_MAX=2");
        assertThat(d.options().limits().memoryBytes()).isEqualTo(384L << 20);
        // the JVM's bounds (heap, metaspace, code cache, direct memory) add up to well under the limit
        long bounded = 0;
        for (String option : XdsDelivery.JVM_OPTIONS.split(" ")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:-Xmx|Size=)(\\d+)m").matcher(option);
            if (m.find()) {
                bounded += Long.parseLong(m.group(1)) << 20;
            }
        }
        assertThat(bounded).isEqualTo((64L + 96 + 32 + 64) << 20).isLessThan(d.options().limits().memoryBytes());
    }
}
