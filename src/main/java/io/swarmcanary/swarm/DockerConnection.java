package io.swarmcanary.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import io.swarmcanary.UserInputException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.function.Function;

/**
 * One connection to a Docker Engine: the typed docker-java client and the raw transport beside it
 * (for what docker-java's model cannot say, e.g. binary secret data or job modes).
 *
 * <p>Honours DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH exactly as the docker CLI does,
 * because docker-java's default config reads the same variables.
 *
 * <p>The Engine API version is negotiated as the docker CLI does: before the first versioned request,
 * {@code GET /version} (unversioned) reads the engine's range ({@code ApiVersion}, {@code MinAPIVersion})
 * and the connection speaks the newest version both sides support: the engine's newest, capped at
 * {@link #MAX_API_VERSION}. Below {@link #MIN_API_VERSION} the product cannot work (job modes), and an
 * engine whose minimum is above our newest refuses us: both are a clear error (exit 2) before anything
 * else is sent. {@code DOCKER_API_VERSION} pins the version instead, as for the docker CLI.
 */
public final class DockerConnection implements AutoCloseable {
    /** The oldest Engine API the product works with: job modes (prune's global jobs) arrived in 1.41 (Docker 20.10). */
    public static final RemoteApiVersion MIN_API_VERSION = RemoteApiVersion.VERSION_1_41;
    /**
     * The newest Engine API the product has been tested against (Docker 26.1 in the three-node bed); newer
     * engines are spoken to in this version, as long as they still accept it (Docker 29 accepts 1.44 and up).
     */
    public static final RemoteApiVersion MAX_API_VERSION = RemoteApiVersion.create(1, 45);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<RemoteApiVersion, DockerClientConfig> configFor;
    private final DockerClientConfig config;
    private final DockerHttpClient transport;
    private final DockerHttpClient http;
    private final String forcedVersion;
    private final java.util.concurrent.atomic.AtomicLong apiCalls = new java.util.concurrent.atomic.AtomicLong();
    private RemoteApiVersion apiVersion;
    private DockerClient client;

    DockerConnection(Function<RemoteApiVersion, DockerClientConfig> configFor, DockerHttpClient transport, String forcedVersion) {
        this.configFor = configFor;
        this.config = configFor.apply(RemoteApiVersion.UNKNOWN_VERSION);
        this.transport = transport;
        this.http = counting(transport);
        this.forcedVersion = forcedVersion == null || forcedVersion.isBlank() ? null : forcedVersion.trim();
    }

    /** The opt-in for a plain (unencrypted) tcp:// DOCKER_HOST that is not loopback. */
    public static final String ALLOW_PLAIN_TCP = "SWARM_CANARY_ALLOW_PLAIN_TCP";

    /**
     * Connects the way the docker CLI would from this process's environment. Sends nothing yet. A plain tcp://
     * DOCKER_HOST off this machine is refused unless {@value #ALLOW_PLAIN_TCP}=1 (secret values travel in
     * POST /secrets/create), and missing or unreadable TLS files are named: both exit 2 before anything is sent.
     */
    public static DockerConnection fromEnvironment() {
        Function<RemoteApiVersion, DockerClientConfig> configFor =
                v -> DefaultDockerClientConfig.createDefaultConfigBuilder().withApiVersion(v)
                        .withDockerTlsVerify(tlsVerify(System.getenv("DOCKER_TLS_VERIFY"))).build();
        // checked before docker-java builds its config: its own check of DOCKER_CERT_PATH is vaguer and exits 1
        String hostEnv = System.getenv("DOCKER_HOST");
        checkEndpoint(hostUri(hostEnv == null || hostEnv.isBlank() ? "unix:///var/run/docker.sock" : hostEnv.strip()),
                tlsVerify(System.getenv("DOCKER_TLS_VERIFY")), System.getenv("DOCKER_CERT_PATH"), System.getenv(ALLOW_PLAIN_TCP));
        DockerClientConfig config = configFor.apply(RemoteApiVersion.UNKNOWN_VERSION);
        DockerHttpClient transport = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(50)
                .connectionTimeout(Duration.ofSeconds(10))
                .responseTimeout(Duration.ofSeconds(120))
                .build();
        return new DockerConnection(configFor, transport, System.getenv("DOCKER_API_VERSION"));
    }

    /** The typed client, speaking the negotiated API version. */
    public synchronized DockerClient client() {
        if (client == null) {
            client = DockerClientImpl.getInstance(configFor.apply(apiVersion()), http);
        }
        return client;
    }

    /** The raw transport: callers put {@link #apiPrefix()} before every path. */
    public DockerHttpClient http() {
        return http;
    }

    /** The Engine API version this connection speaks (negotiated on first use). */
    public synchronized RemoteApiVersion apiVersion() {
        if (apiVersion == null) {
            apiVersion = forcedVersion != null ? forced(forcedVersion) : negotiate(transport, dockerHost());
        }
        return apiVersion;
    }

    /**
     * Engine API requests made so far, typed and raw alike (prune reports them; benchmarks compare them).
     * The one-off {@code GET /version} of the negotiation is not counted: it is the connection's, not the operation's.
     */
    public long apiCalls() {
        return apiCalls.get();
    }

    private DockerHttpClient counting(DockerHttpClient delegate) {
        return new DockerHttpClient() {
            @Override
            public Response execute(Request request) {
                apiCalls.incrementAndGet();
                return delegate.execute(request);
            }

            @Override
            public void close() throws java.io.IOException {
                delegate.close();
            }
        };
    }

    public String apiPrefix() {
        return "/v" + apiVersion().getVersion();
    }

    public String dockerHost() {
        return config.getDockerHost().toString();
    }

    /**
     * DOCKER_TLS_VERIFY as the docker CLI reads it: any non-empty value turns verification on ("0" and "false" too).
     * docker-java alone honours only "1" and "true", so DOCKER_TLS_VERIFY=yes would have sent secrets unverified.
     */
    static boolean tlsVerify(String value) {
        return value != null && !value.isEmpty();
    }

    private static java.net.URI hostUri(String host) {
        try {
            return java.net.URI.create(host);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("DOCKER_HOST '" + host + "' is not an address (" + e.getMessage() + "); use e.g."
                    + " unix:///var/run/docker.sock or tcp://manager.example.com:2376. Nothing was sent.");
        }
    }

    /** Refuses, before anything is sent, what would send secrets in clear text or fail later with a vague TLS error. */
    static void checkEndpoint(java.net.URI host, boolean tls, String certPath, String allowPlain) {
        String scheme = host.getScheme();
        if (!"tcp".equals(scheme) && !"http".equals(scheme) && !"https".equals(scheme)) {
            return; // unix:// and npipe:// never leave the machine
        }
        if (!tls) {
            if (!loopback(host.getHost()) && !"1".equals(allowPlain)) {
                throw new UserInputException("DOCKER_HOST " + host + " is plain TCP to another machine: secret values would"
                        + " travel unencrypted. Use TLS (DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH with ca.pem, cert.pem, key.pem),"
                        + " or set " + ALLOW_PLAIN_TCP + "=1 if this network is trusted. Nothing was sent.");
            }
            return;
        }
        java.nio.file.Path dir = java.nio.file.Path.of(certPath == null || certPath.isBlank()
                ? System.getProperty("user.home") + "/.docker" : certPath);
        for (String name : java.util.List.of("ca.pem", "cert.pem", "key.pem")) {
            java.nio.file.Path file = dir.resolve(name);
            String text;
            try {
                text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
            } catch (IOException | RuntimeException e) {
                throw new UserInputException("DOCKER_TLS_VERIFY is set but " + file + " cannot be read (" + e.getClass().getSimpleName()
                        + "); DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem. Nothing was sent.");
            }
            boolean pem = name.equals("key.pem") ? text.contains("PRIVATE KEY-----") : parsesAsCertificates(text);
            if (!pem) {
                throw new UserInputException("DOCKER_TLS_VERIFY is set but " + file + " is not a PEM "
                        + (name.equals("key.pem") ? "private key" : "certificate") + ". Nothing was sent.");
            }
        }
    }

    private static boolean loopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equals("localhost") || h.equals("::1") || h.matches("127(\\.\\d{1,3}){3}");
    }

    private static boolean parsesAsCertificates(String text) {
        try {
            return !java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificates(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII))).isEmpty();
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            return false;
        }
    }

    /** Asks the engine for its API range (unversioned GET /version) and picks the version to speak. */
    static RemoteApiVersion negotiate(DockerHttpClient transport, String host) {
        var request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path("/version").build();
        JsonNode version;
        try (var response = transport.execute(request); InputStream in = response.getBody()) {
            String text = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (response.getStatusCode() / 100 != 2) {
                throw new DockerApiException(response.getStatusCode(), "GET /version at " + host + ": " + text.trim());
            }
            version = JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("GET /version at " + host + ": " + e.getMessage(), e);
        }
        return negotiate(version.path("ApiVersion").asText(""), version.path("MinAPIVersion").asText(""), host);
    }

    /**
     * The newest version both sides support: the engine's newest capped at {@link #MAX_API_VERSION}; it must be
     * at least {@link #MIN_API_VERSION} and at least the engine's minimum (when it says one).
     */
    static RemoteApiVersion negotiate(String engineMax, String engineMin, String host) {
        RemoteApiVersion max = parse(engineMax);
        if (max == null) {
            throw new IllegalStateException("the Docker engine at " + host + " did not say its API version (GET /version: ApiVersion '"
                    + engineMax + "')");
        }
        RemoteApiVersion chosen = MAX_API_VERSION.isGreater(max) ? max : MAX_API_VERSION;
        if (!chosen.isGreaterOrEqual(MIN_API_VERSION)) {
            throw new UserInputException("the Docker engine at " + host + " offers Engine API up to " + max.getVersion()
                    + "; swarm-canary needs " + MIN_API_VERSION.getVersion() + " or newer (Docker 20.10 or later). Nothing was changed.");
        }
        RemoteApiVersion min = parse(engineMin);
        if (min != null && !chosen.isGreaterOrEqual(min)) {
            throw new UserInputException("the Docker engine at " + host + " accepts Engine API " + min.getVersion() + " to "
                    + max.getVersion() + "; swarm-canary speaks " + MIN_API_VERSION.getVersion() + " to "
                    + MAX_API_VERSION.getVersion() + " (set DOCKER_API_VERSION to try another). Nothing was changed.");
        }
        return chosen;
    }

    /** DOCKER_API_VERSION, as the docker CLI takes it: no negotiation, but never below what the product needs. */
    static RemoteApiVersion forced(String value) {
        RemoteApiVersion v = parse(value);
        if (v == null) {
            throw new UserInputException("DOCKER_API_VERSION '" + value + "' is not an API version like 1.45");
        }
        if (!v.isGreaterOrEqual(MIN_API_VERSION)) {
            throw new UserInputException("DOCKER_API_VERSION " + v.getVersion() + " is too old: swarm-canary needs "
                    + MIN_API_VERSION.getVersion() + " or newer");
        }
        return v;
    }

    private static RemoteApiVersion parse(String text) {
        if (text == null || !text.trim().matches("\\d+\\.\\d+")) {
            return null;
        }
        String[] parts = text.trim().split("\\.");
        return RemoteApiVersion.create(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    @Override
    public void close() {
        try {
            if (client != null) {
                client.close();
            } else {
                http.close();
            }
        } catch (Exception ignored) {
            // closing a connection that failed to open has nothing left to release
        }
    }
}
