package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.SecretMount;
import io.swarmcanary.testing.FakeSwarm;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-edge ADS PKI: what it issues, how it is stored, found again and renewed. */
class AdsPkiTest {
    private static final Instant NOW = Instant.parse("2026-11-30T06:00:00Z");
    private static final AdsPki.Generation G = AdsPki.issue("shop", NOW);

    private static X509Certificate cert(AdsPki.Part part) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(G.pem().get(part)));
    }

    @Test
    void bothLeavesChainToTheEdgesCaAndNameWhatEachSideChecks() throws Exception {
        X509Certificate ca = cert(AdsPki.Part.CA);
        X509Certificate server = cert(AdsPki.Part.SERVER_CERT);
        X509Certificate client = cert(AdsPki.Part.CLIENT_CERT);
        ca.verify(ca.getPublicKey());
        server.verify(ca.getPublicKey());
        client.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isZero(); // a CA that signs leaves only
        assertThat(server.getBasicConstraints()).isEqualTo(-1);
        assertThat(client.getBasicConstraints()).isEqualTo(-1);
        assertThat(server.getSubjectAlternativeNames()).containsExactlyInAnyOrder(List.of(2, "tasks.shop-xds"), List.of(2, "shop-xds"));
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(client.getSubjectAlternativeNames()).containsExactly(List.of(6, "spiffe://swarm-canary/shop/envoy"));
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        for (X509Certificate c : List.of(ca, server, client)) {
            assertThat(((ECPublicKey) c.getPublicKey()).getParams().toString()).contains("NIST P-256");
            assertThat(c.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(365)));
            c.checkValidity(java.util.Date.from(NOW)); // valid at once, even on a node whose clock is a little behind
        }
        assertThat(G.notAfter()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        assertThat(XdsConfig.envoyIdentity("shop")).isEqualTo("spiffe://swarm-canary/shop/envoy");
    }

    @Test
    void theKeysFitTheirCertificatesAndAreReadAsPkcs8() throws Exception {
        assertThat(TlsCertificates.fits(TlsCertificates.privateKey(G.pem().get(AdsPki.Part.SERVER_KEY), "server"),
                cert(AdsPki.Part.SERVER_CERT))).isTrue();
        assertThat(TlsCertificates.fits(TlsCertificates.privateKey(G.pem().get(AdsPki.Part.CLIENT_KEY), "client"),
                cert(AdsPki.Part.CLIENT_CERT))).isTrue();
        assertThat(new String(G.pem().get(AdsPki.Part.CLIENT_KEY), StandardCharsets.US_ASCII)).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void noKeyIsEverInToStringLabelsOrProgress() {
        FakeSwarm swarm = new FakeSwarm();
        List<String> printed = new ArrayList<>();
        AdsPki.create(swarm, G, recording(printed));
        List<String> keyTexts = new ArrayList<>();
        for (AdsPki.Part p : List.of(AdsPki.Part.SERVER_KEY, AdsPki.Part.CLIENT_KEY)) {
            String pem = new String(G.pem().get(p), StandardCharsets.US_ASCII);
            String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            keyTexts.add(body.substring(20, 60)); // any part of the base64
            keyTexts.add(java.util.HexFormat.of().formatHex(Base64.getDecoder().decode(body)).substring(40, 80));
        }
        List<String> visible = new ArrayList<>(printed);
        visible.add(G.toString());
        swarm.secrets.values().forEach(s -> {
            visible.add(s.name());
            visible.add(s.labels().toString());
        });
        assertThat(swarm.secrets).hasSize(5);
        for (String text : visible) {
            assertThat(text).doesNotContain("PRIVATE KEY");
            keyTexts.forEach(k -> assertThat(text).doesNotContain(k));
        }
        // the keys are in the secrets' data, which Swarm never gives back
        assertThat(swarm.secretData.get(AdsPki.name("shop", G.id(), AdsPki.Part.CLIENT_KEY))).isEqualTo(G.pem().get(AdsPki.Part.CLIENT_KEY));
    }

    @Test
    void aStoredFreshGenerationIsReusedAndOneNearItsEndIsRenewed() {
        FakeSwarm swarm = new FakeSwarm();
        AdsPki.create(swarm, G, recording(new ArrayList<>()));
        List<AdsPki.Generation> made = new ArrayList<>();
        assertThat(AdsPki.choose(swarm, "shop", G.id(), NOW.plus(Duration.ofDays(300)), made)).isEqualTo(G.id());
        // an edge of an older version (none in its settings) finds the stored one too
        assertThat(AdsPki.choose(swarm, "shop", null, NOW, made)).isEqualTo(G.id());
        assertThat(made).isEmpty();
        // another edge's are not this one's
        assertThat(AdsPki.choose(swarm, "other", null, NOW, made)).isNotEqualTo(G.id());
        assertThat(made).hasSize(1);
        made.clear();
        String renewed = AdsPki.choose(swarm, "shop", G.id(), NOW.plus(Duration.ofDays(336)), made);
        assertThat(renewed).isNotEqualTo(G.id());
        assertThat(made).extracting(AdsPki.Generation::id).containsExactly(renewed);
    }

    @Test
    void everyPlanWarnsWhenTheEdgesCertificatesNearTheirEnd() {
        FakeSwarm swarm = new FakeSwarm();
        AdsPki.create(swarm, G, recording(new ArrayList<>()));
        EdgeSettings settings = new EdgeSettings("shop", "envoy:1", 10000, List.of("shop-net"), List.of(), null,
                EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest", G.id()));
        EdgePlanner planner = new EdgePlanner(swarm);
        assertThat(planner.adsCertificatesEnding(settings, NOW.plus(Duration.ofDays(300)))).isEmpty();
        assertThat(planner.adsCertificatesEnding(settings, NOW.plus(Duration.ofDays(340)))).get().asString()
                .contains("edge shop: its ADS certificates end " + G.notAfter()).contains("edge ensure --edge shop");
        assertThat(planner.adsCertificatesEnding(settings, NOW.plus(Duration.ofDays(400)))).get().asString()
                .contains("ended").contains("gets no config");
    }

    @Test
    void anIncompleteGenerationIsNotUsed() {
        FakeSwarm swarm = new FakeSwarm();
        AdsPki.create(swarm, G, recording(new ArrayList<>()));
        swarm.secrets.remove(AdsPki.name("shop", G.id(), AdsPki.Part.SERVER_KEY));
        List<AdsPki.Generation> made = new ArrayList<>();
        assertThat(AdsPki.choose(swarm, "shop", G.id(), NOW, made)).isNotEqualTo(G.id());
        assertThat(made).hasSize(1);
    }

    @Test
    void eachSideMountsItsOwnKeyOnlyReadableByItsUser() {
        FakeSwarm swarm = new FakeSwarm();
        AdsPki.create(swarm, G, recording(new ArrayList<>()));
        List<SecretMount> envoy = AdsPki.envoyMounts(swarm, "shop", G.id());
        assertThat(envoy).extracting(SecretMount::target)
                .containsExactly("/etc/envoy/xds/ca.crt", "/etc/envoy/xds/client.crt", "/etc/envoy/xds/client.key");
        assertThat(envoy).allSatisfy(m -> {
            assertThat(m.uid()).isEqualTo("101");
            assertThat(m.mode()).isEqualTo(0400);
        });
        assertThat(AdsPki.controlPlaneMounts(swarm, "shop", G.id())).extracting(SecretMount::target)
                .containsExactly("/run/secrets/xds/ca.crt", "/run/secrets/xds/server.crt", "/run/secrets/xds/server.key");
        assertThat(AdsPki.envoyMounts(swarm, "shop", null)).isEmpty();
        EdgeSettings settings = new EdgeSettings("shop", "envoy:1", 10000, List.of("shop-net"), List.of(), null,
                EdgeSettings.XDS, new EdgeSettings.Xds("swarm-canary/cli:latest", G.id()));
        assertThat(EdgeSettings.fromJson(settings.toJson())).isEqualTo(settings);
        assertThat(XdsDelivery.controlPlaneDefinition(settings, AdsPki.controlPlaneMounts(swarm, "shop", G.id())).args())
                .containsSubsequence("--tls-ca", "/run/secrets/xds/ca.crt", "--tls-cert", "/run/secrets/xds/server.crt",
                        "--tls-key", "/run/secrets/xds/server.key");
    }

    static Progress recording(List<String> printed) {
        return new Progress() {
            @Override
            public void info(String message) {
                printed.add(message);
            }

            @Override
            public void waiting(String status) {
                printed.add(status);
            }

            @Override
            public void done() {}
        };
    }
}
