package io.swarmcanary.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates the unit tests make for themselves (the ITs make theirs with openssl): a CA and leaf certificates signed
 * by it, written as PEM files the way openssl writes them.
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());
    public final KeyPair caKeys = keys("RSA");
    public final X509CertificateHolder ca;
    private final Path dir;

    public TestCertificates(Path dir) {
        this.dir = dir;
        this.ca = sign(new X500Name("CN=swarm-canary test CA"), caKeys, caKeys.getPrivate(), new X500Name("CN=swarm-canary test CA"),
                Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)), null, true);
    }

    public static KeyPair keys(String algorithm) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) {
                g.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                g.initialize(2048);
            }
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A leaf for these DNS names, signed by the CA, valid between the two instants. */
    public X509CertificateHolder leaf(KeyPair keys, Instant from, Instant until, String... dnsNames) {
        return sign(new X500Name("CN=" + dnsNames[0].replace("*", "wildcard")), keys, caKeys.getPrivate(), ca.getSubject(),
                from, until, dnsNames, false);
    }

    public X509CertificateHolder leaf(KeyPair keys, String... dnsNames) {
        return leaf(keys, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(10)), dnsNames);
    }

    private static X509CertificateHolder sign(X500Name subject, KeyPair keys, PrivateKey issuerKey, X500Name issuer,
                                              Instant from, Instant until, String[] dnsNames, boolean ca) {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                    Date.from(from), Date.from(until), subject, keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (dnsNames != null) {
                GeneralName[] names = new GeneralName[dnsNames.length];
                for (int i = 0; i < dnsNames.length; i++) {
                    names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            String algorithm = issuerKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            return b.build(new JcaContentSignerBuilder(algorithm).build(issuerKey));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM of a certificate, or of a private key the way openssl writes it traditionally (PKCS#1 RSA, SEC1 EC). */
    public static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * A key pair's private key as openssl writes it: PKCS#1 for RSA, SEC1 with its named curve for EC (BouncyCastle's
     * writer leaves a JDK EC key's curve out).
     */
    public static String key(KeyPair keys) {
        if (!(keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec)) {
            return pem(keys.getPrivate());
        }
        try {
            byte[] point = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded())
                    .getPublicKeyData().getBytes();
            var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, ec.getS(), new org.bouncycastle.asn1.DERBitString(point),
                    org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1);
            return pem(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PEM of a private key as PKCS#8 (BEGIN PRIVATE KEY). */
    public static String pkcs8(PrivateKey key) {
        try {
            return pem(new JcaPKCS8Generator(key, null).generate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public Path write(String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a certificate and its key (traditional PEM) and returns {@code DOMAIN=CERT,KEY} for --tls. */
    public String files(String domain, X509CertificateHolder cert, KeyPair keys) {
        String base = domain.replace('*', '_');
        return domain + "=" + write(base + ".crt", pem(cert)) + "," + write(base + ".key", key(keys));
    }
}
