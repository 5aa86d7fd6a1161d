package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.UserInputException;
import io.swarmcanary.testing.TestCertificates;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsCertificatesTest {
    @TempDir Path dir;

    private List<TlsCertificates.Loaded> load(String... specs) {
        return TlsCertificates.load(java.util.Arrays.stream(specs).map(TlsCertificates.Spec::parse).toList(), Instant.now());
    }

    @Test
    void readsRsaPkcs1EcAndPkcs8KeysThatFitTheirCertificates() {
        TestCertificates certs = new TestCertificates(dir);
        KeyPair rsa = TestCertificates.keys("RSA");
        KeyPair ec = TestCertificates.keys("EC");
        KeyPair p8 = TestCertificates.keys("EC");
        String pkcs8 = "p8.example.com=" + certs.write("p8.crt", TestCertificates.pem(certs.leaf(p8, "p8.example.com")))
                + "," + certs.write("p8.key", TestCertificates.pkcs8(p8.getPrivate()));
        assertThat(TestCertificates.pem(rsa.getPrivate())).contains("BEGIN RSA PRIVATE KEY");
        assertThat(TestCertificates.key(ec)).contains("BEGIN EC PRIVATE KEY");

        List<TlsCertificates.Loaded> loaded = load(certs.files("Shop.Example.com", certs.leaf(rsa, "shop.example.com"), rsa),
                certs.files("*.example.org", certs.leaf(ec, "*.example.org"), ec), pkcs8);

        assertThat(loaded).extracting(TlsCertificates.Loaded::domain)
                .containsExactly("shop.example.com", "*.example.org", "p8.example.com");
        assertThat(loaded.get(0).toString()).doesNotContain("PRIVATE");
    }

    @Test
    void aChainIsReadLeafFirst() {
        TestCertificates certs = new TestCertificates(dir);
        KeyPair keys = TestCertificates.keys("RSA");
        String chain = TestCertificates.pem(certs.leaf(keys, "shop.example.com")) + TestCertificates.pem(certs.ca);
        String spec = "shop.example.com=" + certs.write("chain.crt", chain) + ","
                + certs.write("k.key", TestCertificates.pem(keys.getPrivate()));
        assertThat(load(spec)).hasSize(1);
    }

    @Test
    void refusesEachBadInputWithExit2AndNeverQuotesTheKey() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        KeyPair keys = TestCertificates.keys("RSA");
        KeyPair other = TestCertificates.keys("RSA");
        X509CertificateHolder good = certs.leaf(keys, "shop.example.com");
        String keyPem = TestCertificates.pem(keys.getPrivate());
        Instant now = Instant.now();
        String expired = certs.files("old.example.com", certs.leaf(keys, now.minus(Duration.ofDays(10)),
                now.minus(Duration.ofDays(1)), "old.example.com"), keys);
        String notYet = certs.files("new.example.com", certs.leaf(keys, now.plus(Duration.ofDays(1)),
                now.plus(Duration.ofDays(10)), "new.example.com"), keys);
        String mismatched = "shop.example.com=" + certs.write("m.crt", TestCertificates.pem(good)) + ","
                + certs.write("m.key", TestCertificates.pem(other.getPrivate()));
        String notCovered = certs.files("api.example.com", good, keys);
        String keyAsCert = "shop.example.com=" + certs.write("k-as-c.crt", keyPem) + "," + certs.write("k2.key", keyPem);
        String certAsKey = "shop.example.com=" + certs.write("c.crt", TestCertificates.pem(good)) + ","
                + certs.write("c-as-k.key", TestCertificates.pem(good));
        String garbage = "shop.example.com=" + certs.write("g.crt", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
                + "," + certs.write("g.key", keyPem);
        String missing = "shop.example.com=" + dir.resolve("nope.crt") + "," + dir.resolve("nope.key");
        String good1 = certs.files("shop.example.com", good, keys);

        java.security.KeyPairGenerator small = java.security.KeyPairGenerator.getInstance("RSA");
        small.initialize(1024);
        KeyPair weak = small.generateKeyPair();
        String weakRsa = certs.files("weak.example.com", certs.leaf(weak, "weak.example.com"), weak);
        KeyPair edwards = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String ed25519 = "ed.example.com=" + certs.write("ed.crt", TestCertificates.pem(certs.leaf(edwards, "ed.example.com")))
                + "," + certs.write("ed.key", TestCertificates.pkcs8(edwards.getPrivate()));

        assertRefused(weakRsa, "a 1024-bit RSA key");
        assertRefused(ed25519, "key, not RSA or ECDSA");
        assertThat(TlsCertificates.servableKey(TestCertificates.keys("EC").getPublic())).isNull();
        assertThat(TlsCertificates.servableKey(keys.getPublic())).isNull();
        assertRefused(expired, "expired");
        assertRefused(notYet, "not valid before");
        assertRefused(mismatched, "does not belong to the certificate");
        assertRefused(notCovered, "does not cover api.example.com");
        assertRefused(keyAsCert, "other than certificates");
        assertRefused(certAsKey, "no PEM private key");
        assertRefused(garbage, "not a PEM certificate");
        assertRefused(missing, "cannot read the certificate file");
        assertThatThrownBy(() -> load(good1, good1.replace("shop.example.com=", "SHOP.example.com.=")))
                .isInstanceOf(UserInputException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> TlsCertificates.Spec.parse("shop.example.com=only-one-file"))
                .isInstanceOf(UserInputException.class).hasMessageContaining("DOMAIN=CERT_FILE,KEY_FILE");
        for (String bad : List.of("*.com", "f*.example.com", "a.*.example.com", "shop..example.com", "-a.example.com")) {
            assertThatThrownBy(() -> TlsCertificates.domain(bad)).as(bad).isInstanceOf(UserInputException.class);
        }
    }

    private void assertRefused(String spec, String why) {
        assertThatThrownBy(() -> load(spec)).isInstanceOf(UserInputException.class)
                .hasMessageContaining(why).hasMessageContaining("Nothing was changed")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("PRIVATE KEY-----").doesNotContain("MII"));
    }

    @Test
    void wildcardsCoverAsBrowsersMatch() {
        assertThat(TlsCertificates.covers("*.example.com", "shop.example.com")).isTrue();
        assertThat(TlsCertificates.covers("*.example.com", "*.example.com")).isTrue();
        assertThat(TlsCertificates.covers("SHOP.example.com", "shop.example.com")).isTrue();
        assertThat(TlsCertificates.covers("*.example.com", "example.com")).isFalse();
        assertThat(TlsCertificates.covers("*.example.com", "a.shop.example.com")).isFalse();
        assertThat(TlsCertificates.covers("shop.example.com", "*.example.com")).isFalse();
        assertThat(TlsCertificates.covers("*.com", "example.com")).isFalse();
        assertThat(TlsCertificates.covers("f*.example.com", "foo.example.com")).isFalse();
        assertThat(TlsCertificates.covers("*.*.example.com", "a.b.example.com")).isFalse();
    }
}
