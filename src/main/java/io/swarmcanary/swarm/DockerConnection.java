package io.swarmcanary.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import java.time.Duration;

/**
 * One connection to a Docker Engine: the typed docker-java client and the raw transport beside it
 * (for what docker-java's model cannot say, e.g. binary secret data or job modes).
 *
 * <p>Honours DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH exactly as the docker CLI does,
 * because docker-java's default config reads the same variables.
 */
public final class DockerConnection implements AutoCloseable {
    /** The oldest engine we support; job modes exist there. */
    public static final RemoteApiVersion API_VERSION = RemoteApiVersion.VERSION_1_41;

    private final DockerClientConfig config;
    private final DockerHttpClient http;
    private final DockerClient client;
    private final java.util.concurrent.atomic.AtomicLong apiCalls = new java.util.concurrent.atomic.AtomicLong();

    private DockerConnection(DockerClientConfig config) {
        this.config = config;
        this.http = counting(new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(50)
                .connectionTimeout(Duration.ofSeconds(10))
                .responseTimeout(Duration.ofSeconds(120))
                .build());
        this.client = DockerClientImpl.getInstance(config, http);
    }

    /** Connects the way the docker CLI would from this process's environment. */
    public static DockerConnection fromEnvironment() {
        return new DockerConnection(DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withApiVersion(API_VERSION)
                .build());
    }

    public DockerClient client() {
        return client;
    }

    public DockerHttpClient http() {
        return http;
    }

    /** Engine API requests made so far, typed and raw alike (prune reports them; benchmarks compare them). */
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
        return "/v" + API_VERSION.getVersion();
    }

    public String dockerHost() {
        return config.getDockerHost().toString();
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception ignored) {
            // closing a connection that failed to open has nothing left to release
        }
    }
}
