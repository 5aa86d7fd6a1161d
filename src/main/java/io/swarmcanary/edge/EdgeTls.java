package io.swarmcanary.edge;

import io.swarmcanary.UserInputException;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Names;
import io.swarmcanary.release.Progress;
import io.swarmcanary.swarm.AlreadyExistsException;
import io.swarmcanary.swarm.SecretMount;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.SwarmGateway;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The edge's certificates: what a request makes of the stored ones, their Swarm secrets, their mounts into Envoy. */
final class EdgeTls {
    static final String CERT_KIND = "tls-certificate";
    static final String KEY_KIND = "tls-key";

    private EdgeTls() {}

    /**
     * The edge's HTTPS after this request: the current one with the request's removals, additions (a domain it has gets
     * the new certificate) and options; null once no certificate is left.
     *
     * @param toCreate receives the secrets the result names, to create once everything is checked
     */
    static EdgeSettings.Https merge(String edge, EdgeSettings.Https current, TlsRequest request, byte[] namingKey,
                                    List<EdgeManager.TlsSecret> toCreate) {
        TreeMap<String, EdgeSettings.Certificate> certificates = new TreeMap<>(current == null ? Map.of() : current.certificates());
        request.remove().forEach(certificates::remove);
        for (TlsCertificates.Loaded l : request.add()) {
            EdgeManager.TlsSecret cert = secret(edge, "crt", CERT_KIND, l.certPem(), namingKey);
            EdgeManager.TlsSecret key = secret(edge, "key", KEY_KIND, l.keyPem(), namingKey);
            certificates.put(l.domain(), new EdgeSettings.Certificate(cert.name(), key.name()));
            if (toCreate.stream().noneMatch(s -> s.name().equals(cert.name()))) {
                toCreate.add(cert);
            }
            if (toCreate.stream().noneMatch(s -> s.name().equals(key.name()))) {
                toCreate.add(key);
            }
        }
        if (certificates.isEmpty()) {
            if (request.tunes()) {
                throw new UserInputException("--tls-port, --https-redirect, --hsts and --tls-default apply to an edge with a"
                        + " certificate: give one with --tls DOMAIN=CERT_FILE,KEY_FILE. Nothing was changed.");
            }
            return null;
        }
        String defaultDomain = request.defaultDomain() == null ? (current == null ? null : current.defaultDomain())
                : request.defaultDomain().equals(TlsRequest.DEFAULT_OFF) ? null : request.defaultDomain();
        if (defaultDomain != null && !certificates.containsKey(defaultDomain)) {
            throw new UserInputException(request.defaultDomain() == null
                    ? defaultDomain + " answers clients without SNI (--tls-default), so its certificate stays: give --tls-default"
                            + " with another domain, or off, to remove it. Nothing was changed."
                    : "--tls-default " + defaultDomain + " has no certificate on this edge (it has: " + String.join(", ",
                            certificates.keySet()) + "); give it with --tls too. Nothing was changed.");
        }
        int port = request.port() != null ? request.port()
                : current != null ? current.port() : EdgeSettings.Https.DEFAULT_PORT;
        boolean redirect = request.redirect() != null ? request.redirect() : current == null || current.redirect();
        Long hsts = request.hsts() == null ? (current == null ? null : current.hstsMaxAge())
                : request.hsts() == TlsRequest.HSTS_OFF ? null : request.hsts();
        return new EdgeSettings.Https(port, certificates, redirect, hsts, defaultDomain);
    }

    /** {@code <edge>-tls-crt-<12 hex of HMAC(naming key, bytes)>}: same file, same name; the name tells nothing of a key. */
    private static EdgeManager.TlsSecret secret(String edge, String what, String kind, byte[] data, byte[] namingKey) {
        return new EdgeManager.TlsSecret(edge + "-tls-" + what + "-" + Names.keyedHash(namingKey, data), kind, data);
    }

    static void createSecrets(SwarmGateway swarm, String edge, List<EdgeManager.TlsSecret> secrets, Progress progress) {
        for (EdgeManager.TlsSecret s : secrets) {
            if (swarm.secret(s.name()).isPresent()) {
                continue;
            }
            progress.info("creating secret " + s.name() + " (" + s.kind() + ")");
            try {
                swarm.createSecret(s.name(), s.data(), Map.of(Labels.MANAGED_BY, Labels.MANAGER, Labels.KIND, s.kind(),
                        Labels.EDGE, edge));
            } catch (AlreadyExistsException raced) {
                // another ensure stored the same file at the same moment: same name, same bytes
            }
        }
    }

    /** Where the control plane finds the certificates it serves over SDS. */
    static final String CONTROL_PLANE_DIR = "/run/secrets/sds/";

    /**
     * Whether the edge's certificates go to Envoy over SDS: with the xds delivery once ADS is mutual TLS (the key then
     * travels only inside it); a redeploy edge mounts the files into Envoy and restarts it on a rotation.
     */
    static boolean overSds(EdgeSettings settings) {
        return settings.servesHttps() && settings.usesXds() && settings.xds().pki() != null && settings.xds().servesCertificates();
    }

    /** Each domain's certificate and key at {@code /etc/envoy/tls/<domain>.crt|.key}, readable by Envoy's user alone. */
    static List<SecretMount> mounts(SwarmGateway swarm, EdgeSettings settings) {
        if (!settings.servesHttps() || overSds(settings)) {
            return List.of();
        }
        List<SecretMount> mounts = new ArrayList<>();
        settings.https().certificates().forEach((domain, c) -> {
            mounts.add(mount(swarm, c.certSecret(), TlsCertificates.target(domain, "crt")));
            mounts.add(mount(swarm, c.keySecret(), TlsCertificates.target(domain, "key")));
        });
        return mounts;
    }

    /**
     * With SDS, the control plane's mounts: each certificate and key under its secret's own name (the name is what
     * the control plane's SDS version is made of), readable by its user (root in its image) alone.
     */
    static List<SecretMount> controlPlaneMounts(SwarmGateway swarm, EdgeSettings settings) {
        if (!overSds(settings)) {
            return List.of();
        }
        List<SecretMount> mounts = new ArrayList<>();
        settings.https().certificates().forEach((domain, c) -> {
            mounts.add(mount(swarm, c.certSecret(), CONTROL_PLANE_DIR + c.certSecret(), "0"));
            mounts.add(mount(swarm, c.keySecret(), CONTROL_PLANE_DIR + c.keySecret(), "0"));
        });
        return mounts;
    }

    /** With SDS, the control plane's {@code --sds DOMAIN=CERT_FILE,KEY_FILE} options naming its files; none otherwise. */
    static List<String> controlPlaneOptions(EdgeSettings settings) {
        List<String> options = new ArrayList<>();
        sdsFiles(settings).forEach((domain, files) -> options.addAll(List.of("--sds", domain + "=" + files)));
        return options;
    }

    /** The SDS version the control plane serves with these settings' certificates; null without SDS. */
    static String sdsVersion(EdgeSettings settings) {
        return io.swarmcanary.envoy.XdsConfig.sdsVersion(sdsFiles(settings));
    }

    private static TreeMap<String, String> sdsFiles(EdgeSettings settings) {
        TreeMap<String, String> files = new TreeMap<>();
        if (overSds(settings)) {
            settings.https().certificates().forEach((domain, c) -> files.put(domain,
                    CONTROL_PLANE_DIR + c.certSecret() + "," + CONTROL_PLANE_DIR + c.keySecret()));
        }
        return files;
    }

    private static SecretMount mount(SwarmGateway swarm, String name, String target) {
        return mount(swarm, name, target, TlsCertificates.ENVOY_UID);
    }

    private static SecretMount mount(SwarmGateway swarm, String name, String target, String uid) {
        String id = swarm.secret(name).orElseThrow(() -> new IllegalStateException("the edge's TLS secret " + name
                + " is missing; give the certificate again with 'edge ensure --tls DOMAIN=CERT_FILE,KEY_FILE'")).id();
        return new SecretMount(id, name, target, uid, uid, TlsCertificates.KEY_MODE);
    }

    /** The plain listener's port, and the TLS listener's once the edge has a certificate; both in host mode. */
    static List<ServiceDefinition.PublishedPort> ports(EdgeSettings settings) {
        ServiceDefinition.PublishedPort plain = new ServiceDefinition.PublishedPort(settings.port(), EdgeSettings.LISTENER_PORT);
        return !settings.servesHttps() ? List.of(plain)
                : List.of(plain, new ServiceDefinition.PublishedPort(settings.https().port(), EdgeSettings.TLS_LISTENER_PORT));
    }

    /**
     * What the renderer adds for this edge's HTTPS: each domain's SDS secret, or its files at their stable targets; null
     * without any. Over SDS nothing in it names a secret: a rotation leaves the listener (and Envoy's bootstrap) as is.
     */
    static io.swarmcanary.envoy.HttpsListener listener(EdgeSettings settings) {
        if (!settings.servesHttps()) {
            return null;
        }
        EdgeSettings.Https https = settings.https();
        List<io.swarmcanary.envoy.HttpsListener.Domain> domains = new ArrayList<>();
        boolean sds = overSds(settings);
        https.certificates().forEach((domain, c) -> domains.add(sds
                ? new io.swarmcanary.envoy.HttpsListener.Domain(domain, null, null,
                        io.swarmcanary.envoy.XdsConfig.sdsSecretName(domain), io.swarmcanary.envoy.XdsConfig.sdsSecretName(domain))
                : new io.swarmcanary.envoy.HttpsListener.Domain(domain, TlsCertificates.target(domain, "crt"),
                        TlsCertificates.target(domain, "key"), c.certSecret() + "+" + c.keySecret())));
        return new io.swarmcanary.envoy.HttpsListener(EdgeSettings.TLS_LISTENER_PORT, domains, https.redirect(), https.port(),
                https.hstsMaxAge(), https.defaultDomain());
    }
}
