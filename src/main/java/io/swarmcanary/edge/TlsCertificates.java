package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.DomainNames;
import io.swarmcanary.release.Names;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The certificates {@code edge ensure --tls DOMAIN=CERT_FILE,KEY_FILE} gives the edge, read and checked before anything
 * touches the cluster: a PEM certificate (chain: leaf first), a PEM private key (PKCS#1 RSA, SEC1 EC or PKCS#8) that
 * fits it, valid now, whose SAN covers the domain as a browser matches it. No message ever carries a key's bytes.
 */
public final class TlsCertificates {
    /** Where Envoy reads a domain's certificate and key: stable, whatever the secret's content-addressed name. */
    public static final String TARGET_DIR = "/etc/envoy/tls/";
    /** The envoy user of the official image (its entrypoint drops to it); root in an image that does not drop. */
    public static final String ENVOY_UID = "101";
    public static final long KEY_MODE = 0400;

    private TlsCertificates() {}

    /** One {@code --tls} as given: files not read yet. */
    public record Spec(String domain, Path certFile, Path keyFile) {
        /** {@code DOMAIN=CERT_FILE,KEY_FILE}; the domain is kept as Envoy and browsers compare it (lower case). */
        public static Spec parse(String value) {
            int eq = value.indexOf('=');
            int comma = value.indexOf(',', eq + 1);
            if (eq <= 0 || comma < 0 || comma == eq + 1 || comma == value.length() - 1) {
                throw new UserInputException("invalid --tls '" + Names.printable(value) + "': expected DOMAIN=CERT_FILE,KEY_FILE"
                        + " (PEM files), e.g. --tls shop.example.com=shop.crt,shop.key. Nothing was changed.");
            }
            return new Spec(TlsCertificates.domain(value.substring(0, eq)), Path.of(value.substring(eq + 1, comma)),
                    Path.of(value.substring(comma + 1)));
        }
    }

    /**
     * A checked certificate and key, read from the files. The bytes are what the files hold (what Envoy gets); the key's
     * bytes never appear in {@link #toString()}.
     */
    public record Loaded(String domain, byte[] certPem, byte[] keyPem, Instant notAfter) {
        @Override
        public String toString() {
            return "certificate for " + domain + " (valid until " + notAfter + ")";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Loaded l && l.domain.equals(domain) && java.util.Arrays.equals(l.certPem, certPem)
                    && java.util.Arrays.equals(l.keyPem, keyPem);
        }

        @Override
        public int hashCode() {
            return domain.hashCode();
        }
    }

    /** A domain as given to {@code --tls} or {@code --tls-remove}, lower case; one wildcard label at the left at most. */
    public static String domain(String given) {
        String d = DomainNames.normalize(given.trim());
        String plain = d.startsWith("*.") ? d.substring(2) : d;
        if (!plain.matches("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?") || d.length() > 253
                || (d.startsWith("*.") && !plain.contains("."))) {
            throw new UserInputException("invalid TLS domain '" + Names.printable(given) + "': a host name such as"
                    + " shop.example.com, or a wildcard *.example.com (one '*' as the whole leftmost label, above a domain"
                    + " of two labels at least). Nothing was changed.");
        }
        return d;
    }

    /** Reads and checks every spec, all before any change: the first problem is exit 2 naming the domain and the file. */
    public static List<Loaded> load(List<Spec> specs, Instant now) {
        Set<String> seen = new HashSet<>();
        for (Spec s : specs) {
            if (!seen.add(s.domain())) {
                throw new UserInputException("--tls names " + s.domain() + " twice: give each domain one certificate."
                        + " Nothing was changed.");
            }
        }
        List<Loaded> loaded = new ArrayList<>();
        for (Spec s : specs) {
            loaded.add(load(s, now));
        }
        return List.copyOf(loaded);
    }

    static Loaded load(Spec spec, Instant now) {
        String where = "--tls " + spec.domain() + ": ";
        byte[] certPem = read(spec.certFile(), where, "certificate");
        byte[] keyPem = read(spec.keyFile(), where, "key");
        List<X509Certificate> chain = certificates(certPem, where + "certificate file " + spec.certFile());
        X509Certificate leaf = chain.get(0);
        try {
            leaf.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw new UserInputException(where + "the certificate in " + spec.certFile() + " expired on "
                    + leaf.getNotAfter().toInstant() + ". Nothing was changed.");
        } catch (CertificateNotYetValidException e) {
            throw new UserInputException(where + "the certificate in " + spec.certFile() + " is not valid before "
                    + leaf.getNotBefore().toInstant() + ". Nothing was changed.");
        }
        String servable = servableKey(leaf.getPublicKey());
        if (servable != null) {
            throw new UserInputException(where + "the certificate in " + spec.certFile() + " has " + servable
                    + ": Envoy serves RSA keys of 2048 bits or more and ECDSA keys on P-256, P-384 or P-521 only (every Envoy"
                    + " of the edge would refuse the config). Nothing was changed.");
        }
        PrivateKey key = privateKey(keyPem, where + "key file " + spec.keyFile());
        if (!fits(key, leaf)) {
            throw new UserInputException(where + "the key in " + spec.keyFile() + " does not belong to the certificate in "
                    + spec.certFile() + ". Nothing was changed.");
        }
        List<String> names = dnsNames(leaf);
        if (names.stream().noneMatch(n -> covers(n, spec.domain()))) {
            throw new UserInputException(where + "the certificate in " + spec.certFile() + " does not cover " + spec.domain()
                    + ": its DNS names (subjectAltName) are " + (names.isEmpty() ? "none" : String.join(", ", names))
                    + ". Nothing was changed.");
        }
        return new Loaded(spec.domain(), certPem, keyPem, leaf.getNotAfter().toInstant());
    }

    /**
     * Whether a certificate's DNS name covers a domain as browsers match (RFC 6125 as applied by them): equal ignoring
     * case, or a {@code *.} name covering exactly one more leftmost label; a wildcard domain only by the same wildcard.
     * Partial-label wildcards ({@code f*.example.com}) and wildcards over a single label ({@code *.com}) cover nothing.
     */
    static boolean covers(String certName, String domain) {
        return DomainNames.covers(certName, domain);
    }

    private static byte[] read(Path file, String where, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException | SecurityException e) {
            throw new UserInputException(where + "cannot read the " + what + " file " + file + " ("
                    + e.getClass().getSimpleName() + "). Nothing was changed.");
        }
    }

    private static List<X509Certificate> certificates(byte[] pem, String where) {
        List<X509Certificate> chain = new ArrayList<>();
        try (PEMParser parser = parser(pem)) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new UserInputException(where + " holds something other than certificates (a "
                            + o.getClass().getSimpleName() + "): give the certificate chain alone, leaf first. Nothing was changed.");
                }
                chain.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            if (e instanceof UserInputException u) {
                throw u;
            }
            throw new UserInputException(where + " is not a PEM certificate (" + e.getClass().getSimpleName()
                    + "). Nothing was changed.");
        }
        if (chain.isEmpty()) {
            throw new UserInputException(where + " holds no PEM certificate (-----BEGIN CERTIFICATE-----). Nothing was changed.");
        }
        return chain;
    }

    /** The key, PKCS#1, SEC1 or PKCS#8; the parser's own message is not shown, as it could quote the key. */
    static PrivateKey privateKey(byte[] pem, String where) {
        Object o;
        try (PEMParser parser = parser(pem)) {
            o = parser.readObject();
            // an EC key file from openssl starts with its curve's parameters
            while (o instanceof org.bouncycastle.asn1.ASN1ObjectIdentifier) {
                o = parser.readObject();
            }
        } catch (IOException | RuntimeException e) {
            throw new UserInputException(where + " is not a PEM private key (" + e.getClass().getSimpleName()
                    + "). Nothing was changed.");
        }
        if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new UserInputException(where + " is encrypted: Envoy needs the key without a passphrase (it is kept as"
                    + " a Swarm secret). Nothing was changed.");
        }
        try {
            if (o instanceof PEMKeyPair pair) {
                return jdkKey(pair.getPrivateKeyInfo());
            }
            if (o instanceof PrivateKeyInfo info) {
                return jdkKey(info);
            }
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
            throw new UserInputException(where + " holds a key this tool cannot read (" + e.getClass().getSimpleName()
                    + "). Nothing was changed.");
        }
        throw new UserInputException(where + " holds no PEM private key (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or"
                + " BEGIN EC PRIVATE KEY)" + (o == null ? "" : ", but a " + o.getClass().getSimpleName()) + ". Nothing was changed.");
    }

    /** The JDK's own key (its KeyFactory names EC keys "EC", where BouncyCastle's converter asks for "ECDSA"). */
    private static PrivateKey jdkKey(PrivateKeyInfo info) throws IOException, java.security.GeneralSecurityException {
        org.bouncycastle.asn1.ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
        String algorithm = oid.equals(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption) ? "RSA"
                : oid.equals(org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey) ? "EC"
                : oid.equals(org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519) ? "Ed25519"
                : null;
        if (algorithm == null) {
            throw new java.security.NoSuchAlgorithmException("key algorithm " + oid + " (RSA, EC or Ed25519 are read)");
        }
        return java.security.KeyFactory.getInstance(algorithm).generatePrivate(
                new java.security.spec.PKCS8EncodedKeySpec(info.getEncoded()));
    }

    private static PEMParser parser(byte[] pem) {
        Reader reader = new StringReader(new String(pem, StandardCharsets.UTF_8));
        return new PEMParser(reader);
    }

    /** Why Envoy would refuse to serve a certificate with this public key, or null when it serves it. */
    static String servableKey(java.security.PublicKey key) {
        if (key instanceof java.security.interfaces.RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= 2048 ? null : "a " + bits + "-bit RSA key";
        }
        if (key instanceof java.security.interfaces.ECPublicKey ec) {
            String curve = ec.getParams().toString(); // the JDK names its curves: "secp256r1 [NIST P-256, ...] (oid)"
            boolean nist = curve.contains("NIST P-256") || curve.contains("NIST P-384") || curve.contains("NIST P-521");
            return nist ? null : "an EC key on a curve Envoy does not serve (" + curve + ")";
        }
        return "an " + key.getAlgorithm() + " (" + key.getFormat() + ") key, not RSA or ECDSA";
    }

    /** A key fits a certificate when what it signs the certificate's public key verifies: RSA, EC and EdDSA alike. */
    static boolean fits(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        byte[] probe = "swarm-canary: does this key fit the certificate".getBytes(StandardCharsets.UTF_8);
        try {
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            return verify.verify(signature);
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            return false; // another algorithm or curve than the certificate's
        }
    }

    /** The certificate's DNS names (browsers ignore the subject's CN). */
    static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return names;
    }

    /** A file name for a domain under {@link #TARGET_DIR}: a wildcard's '*' becomes '_', which no host name has. */
    public static String target(String domain, String extension) {
        return TARGET_DIR + domain.replace('*', '_') + "." + extension;
    }
}
