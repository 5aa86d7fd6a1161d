package io.swarmcanary.edge;

import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Names;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.AlreadyExistsException;
import io.swarmcanary.swarm.SecretInfo;
import io.swarmcanary.swarm.SecretMount;
import io.swarmcanary.swarm.SwarmGateway;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The per-edge PKI of an xds edge's ADS connection (mutual TLS between its Envoys and its control plane): a CA, the
 * control plane's server certificate and the Envoys' client certificate, all EC P-256, kept as Swarm secrets (the only
 * place the private keys ever are). A set is one "generation": five secrets sharing a generation label, named after
 * the CA certificate's hash (public data). The CA's own key signs the two leaves and is then dropped: a renewal makes a
 * whole new generation, so no long-lived key exists that could mint more identities.
 */
public final class AdsPki {
    /** The secrets' kind label: prune keeps them while a service (current or previous spec) mounts them. */
    public static final String KIND = "xds-pki";
    public static final String GENERATION = Labels.PREFIX + "xds-pki";
    public static final String PART = Labels.PREFIX + "xds-pki-part";
    public static final String NOT_AFTER = Labels.PREFIX + "not-after";
    static final Duration VALIDITY = Duration.ofDays(365);
    /** A generation this close to its end is renewed by the next {@code edge ensure}. */
    static final Duration RENEW_BEFORE = Duration.ofDays(30);

    /** Where Envoy reads its side (owned by its user, 0400). */
    public static final String ENVOY_DIR = "/etc/envoy/xds/";
    /** Where the control plane reads its side. */
    public static final String CONTROL_PLANE_DIR = "/run/secrets/xds/";

    /** One file of a generation: its secret name's suffix and its file name where it is mounted. */
    public enum Part {
        CA("ca", "ca.crt"), SERVER_CERT("srv-crt", "server.crt"), SERVER_KEY("srv-key", "server.key"),
        CLIENT_CERT("cli-crt", "client.crt"), CLIENT_KEY("cli-key", "client.key");

        public final String suffix;
        public final String file;

        Part(String suffix, String file) {
            this.suffix = suffix;
            this.file = file;
        }
    }

    private AdsPki() {}

    /** The name Envoy dials and checks the control plane's certificate for (also its SNI). */
    public static String controlPlaneHost(String edge) {
        return "tasks." + XdsConfig.controlPlaneService(edge);
    }

    /** What the bootstrap tells Envoy: its files and the name it checks. */
    public static XdsConfig.AdsTls envoySide(String edge) {
        return new XdsConfig.AdsTls(ENVOY_DIR + Part.CA.file, ENVOY_DIR + Part.CLIENT_CERT.file,
                ENVOY_DIR + Part.CLIENT_KEY.file, controlPlaneHost(edge));
    }

    /**
     * A generation made in memory, not stored yet. Its bytes (two private keys among them) never appear in
     * {@link #toString()}.
     */
    public record Generation(String edge, String id, Instant notAfter, Map<Part, byte[]> pem) {
        public Generation {
            pem = new EnumMap<>(pem);
        }

        String secretName(Part part) {
            return name(edge, id, part);
        }

        @Override
        public String toString() {
            return "ADS certificates " + id + " of edge " + edge + " (valid until " + notAfter + ")";
        }
    }

    static String name(String edge, String generation, Part part) {
        return edge + "-xds-" + generation + "-" + part.suffix;
    }

    /** A fresh CA, server and client certificate for this edge, valid from now for {@link #VALIDITY}. */
    public static Generation issue(String edge, Instant now) {
        try {
            KeyPair ca = keyPair();
            KeyPair server = keyPair();
            KeyPair client = keyPair();
            Instant notAfter = now.plus(VALIDITY);
            X500Name caName = new X500Name("CN=swarm-canary ADS CA of edge " + edge);
            X509CertificateHolder caCert = certificate(caName, ca.getPublic(), caName, ca.getPrivate(), now, notAfter,
                    b -> {
                        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                    });
            X509CertificateHolder serverCert = certificate(new X500Name("CN=" + controlPlaneHost(edge)), server.getPublic(),
                    caName, ca.getPrivate(), now, notAfter, b -> leaf(b, KeyPurposeId.id_kp_serverAuth,
                            new GeneralName(GeneralName.dNSName, controlPlaneHost(edge)),
                            new GeneralName(GeneralName.dNSName, XdsConfig.controlPlaneService(edge))));
            X509CertificateHolder clientCert = certificate(new X500Name("CN=swarm-canary Envoy of edge " + edge),
                    client.getPublic(), caName, ca.getPrivate(), now, notAfter, b -> leaf(b, KeyPurposeId.id_kp_clientAuth,
                            new GeneralName(GeneralName.uniformResourceIdentifier, XdsConfig.envoyIdentity(edge))));
            Map<Part, byte[]> pem = new EnumMap<>(Part.class);
            pem.put(Part.CA, pem(caCert));
            pem.put(Part.SERVER_CERT, pem(serverCert));
            pem.put(Part.SERVER_KEY, pem(server.getPrivate()));
            pem.put(Part.CLIENT_CERT, pem(clientCert));
            pem.put(Part.CLIENT_KEY, pem(client.getPrivate()));
            String id = Names.sha256(caCert.getEncoded()).substring(0, 12);
            return new Generation(edge, id, caCert.getNotAfter().toInstant(), pem);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            // the JDK's own EC and BouncyCastle's builder: only a broken runtime gets here; no key material in the message
            throw new IllegalStateException("cannot make the ADS certificates of edge " + edge + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    private interface Extensions {
        void add(JcaX509v3CertificateBuilder builder) throws IOException, GeneralSecurityException;
    }

    private static void leaf(JcaX509v3CertificateBuilder b, KeyPurposeId purpose, GeneralName... names)
            throws IOException {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    }

    private static X509CertificateHolder certificate(X500Name subject, PublicKey key, X500Name issuer, PrivateKey signer,
                                                     Instant now, Instant notAfter, Extensions extensions)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        // five minutes back: the nodes' clocks differ a little, and a certificate "not valid yet" fails the handshake
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(128, new SecureRandom()),
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(notAfter), subject, key);
        b.addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key));
        extensions.add(b);
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer));
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static byte[] pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            // a private key as PKCS#8 ("BEGIN PRIVATE KEY"): what both Netty and Envoy read
            writer.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY",
                    k.getEncoded()) : o);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A stored generation: its id and the end of its validity, as its labels say (secret data cannot be read back). */
    public record Stored(String id, Instant notAfter) {}

    /** The complete generations of this edge's stored secrets, newest end of validity first. */
    static List<Stored> stored(SwarmGateway swarm, String edge) {
        Map<String, List<SecretInfo>> byGeneration = swarm.secrets(Map.of(Labels.MANAGED_BY, Labels.MANAGER,
                        Labels.KIND, KIND, Labels.EDGE, edge)).stream()
                .filter(s -> s.labels().get(GENERATION) != null)
                .collect(Collectors.groupingBy(s -> s.labels().get(GENERATION), TreeMap::new, Collectors.toList()));
        List<Stored> complete = new ArrayList<>();
        byGeneration.forEach((id, secrets) -> {
            boolean all = java.util.Arrays.stream(Part.values())
                    .allMatch(p -> secrets.stream().anyMatch(s -> s.name().equals(name(edge, id, p))));
            Instant notAfter = secrets.stream().map(s -> s.labels().get(NOT_AFTER)).filter(java.util.Objects::nonNull)
                    .map(AdsPki::instant).filter(java.util.Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
            if (all && notAfter != null) {
                complete.add(new Stored(id, notAfter));
            }
        });
        complete.sort(Comparator.comparing(Stored::notAfter).reversed());
        return complete;
    }

    private static Instant instant(String label) {
        try {
            return Instant.parse(label);
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    /**
     * The generation an xds edge uses after this {@code edge ensure}: the one it uses now while it is complete and not
     * within {@link #RENEW_BEFORE} of its end, else any other such stored generation (one an interrupted run made), else
     * a new one to store ({@code toCreate}).
     */
    static String choose(SwarmGateway swarm, String edge, String current, Instant now, List<Generation> toCreate) {
        List<Stored> fresh = stored(swarm, edge).stream().filter(s -> s.notAfter().isAfter(now.plus(RENEW_BEFORE))).toList();
        Optional<Stored> keep = fresh.stream().filter(s -> s.id().equals(current)).findFirst().or(() -> fresh.stream().findFirst());
        if (keep.isPresent()) {
            return keep.get().id();
        }
        Generation made = issue(edge, now);
        toCreate.add(made);
        return made.id();
    }

    /** Stores a generation's five secrets; one stored already (a concurrent run's) is kept as it is. */
    static void create(SwarmGateway swarm, Generation g, Progress progress) {
        progress.info("creating ADS certificates " + g.id() + " for edge " + g.edge() + " (a CA, the control plane's and the"
                + " Envoys' certificates, valid until " + g.notAfter() + ") as Swarm secrets " + name(g.edge(), g.id(), Part.CA)
                + " and its siblings");
        for (Part p : Part.values()) {
            if (swarm.secret(g.secretName(p)).isPresent()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>(Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, KIND,
                    Labels.EDGE, g.edge(), GENERATION, g.id(), PART, p.suffix, NOT_AFTER, g.notAfter().toString()));
            try {
                swarm.createSecret(g.secretName(p), g.pem().get(p), labels);
            } catch (AlreadyExistsException raced) {
                // the same name is the same generation: the CA certificate's hash
            }
        }
    }

    /** Envoy's mounts: the CA and its client certificate and key, readable by Envoy's user alone. */
    static List<SecretMount> envoyMounts(SwarmGateway swarm, String edge, String generation) {
        return generation == null ? List.of() : mounts(swarm, edge, generation, ENVOY_DIR, TlsCertificates.ENVOY_UID,
                List.of(Part.CA, Part.CLIENT_CERT, Part.CLIENT_KEY));
    }

    /** The control plane's mounts: the CA and its server certificate and key (it runs as root in its image). */
    static List<SecretMount> controlPlaneMounts(SwarmGateway swarm, String edge, String generation) {
        return generation == null ? List.of() : mounts(swarm, edge, generation, CONTROL_PLANE_DIR, "0",
                List.of(Part.CA, Part.SERVER_CERT, Part.SERVER_KEY));
    }

    /** The control plane's command-line options naming its files. */
    static List<String> controlPlaneOptions(String generation) {
        return generation == null ? List.of() : List.of("--tls-ca", CONTROL_PLANE_DIR + Part.CA.file,
                "--tls-cert", CONTROL_PLANE_DIR + Part.SERVER_CERT.file, "--tls-key", CONTROL_PLANE_DIR + Part.SERVER_KEY.file);
    }

    private static List<SecretMount> mounts(SwarmGateway swarm, String edge, String generation, String dir, String uid,
                                            List<Part> parts) {
        List<SecretMount> mounts = new ArrayList<>();
        for (Part p : parts) {
            String name = name(edge, generation, p);
            String id = swarm.secret(name).orElseThrow(() -> new IllegalStateException("the edge's ADS secret " + name
                    + " is missing; run 'edge ensure' again to make new ADS certificates")).id();
            mounts.add(new SecretMount(id, name, dir + p.file, uid, uid, TlsCertificates.KEY_MODE));
        }
        return mounts;
    }
}
