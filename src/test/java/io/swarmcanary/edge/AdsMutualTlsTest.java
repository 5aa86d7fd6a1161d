package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.StreamObserver;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.xds.ControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADS over mutual TLS with a real control plane and real gRPC clients: only a client certificate of the edge's ADS CA
 * naming the edge's Envoy identity opens a stream; plaintext, TLS without a certificate, a certificate of another CA and
 * one of the right CA with another identity all fail, and none of them gets an ACK counted.
 */
class AdsMutualTlsTest {
    private static final String EDGE = "shop";
    private static final AdsPki.Generation PKI = AdsPki.issue(EDGE, Instant.now());
    private static final AdsPki.Generation OTHER = AdsPki.issue(EDGE, Instant.now()); // same edge name, another CA
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static ControlPlane plane;
    private static int port;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        port = freePort();
        String yaml = new EnvoyConfigRenderer().render(new EdgeRoutes(10000, List.of(), List.of()), Optional.empty());
        plane = new ControlPlane(EDGE, () -> new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), yaml, "r1",
                Map.of()), new PrintStream(LOG, true));
        plane.start(port, freePort(), Duration.ofSeconds(30), new ControlPlane.Tls(file(PKI, AdsPki.Part.CA),
                file(PKI, AdsPki.Part.SERVER_CERT), file(PKI, AdsPki.Part.SERVER_KEY), XdsConfig.envoyIdentity(EDGE)));
    }

    @AfterAll
    static void stop() {
        if (plane != null) {
            plane.close();
        }
    }

    private static File file(AdsPki.Generation g, AdsPki.Part part) throws Exception {
        Path f = dir.resolve(g.id() + "-" + part.file);
        Files.write(f, g.pem().get(part));
        return f.toFile();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Opens an ADS stream, asks for the clusters and ACKs what comes: the response, or the failure. */
    private static Object ads(ManagedChannel channel) throws Exception {
        CompletableFuture<Object> answer = new CompletableFuture<>();
        try {
            StreamObserver<DiscoveryRequest>[] requests = new StreamObserver[1];
            requests[0] = AggregatedDiscoveryServiceGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .streamAggregatedResources(new StreamObserver<>() {
                        @Override
                        public void onNext(DiscoveryResponse r) {
                            // a (fake) ACK of what was sent
                            requests[0].onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl())
                                    .setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce()).build());
                            answer.complete(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            answer.complete(t);
                        }

                        @Override
                        public void onCompleted() {
                            answer.complete("completed");
                        }
                    });
            requests[0].onNext(DiscoveryRequest.newBuilder().setNode(Node.newBuilder().setId(EDGE).setCluster(EDGE))
                    .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster").build());
            Object result = answer.get(15, TimeUnit.SECONDS);
            Thread.sleep(300); // the ACK reaches the control plane
            return result;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static ManagedChannel tls(SslContextBuilder ssl) throws Exception {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).overrideAuthority(AdsPki.controlPlaneHost(EDGE))
                .sslContext(ssl.build()).build();
    }

    private static SslContextBuilder trusting(AdsPki.Generation ca) throws Exception {
        return GrpcSslContexts.forClient().trustManager(file(ca, AdsPki.Part.CA));
    }

    private static long ackedStreams() {
        return plane.status().envoys().stream().filter(e -> e.clustersVersion() != null).count();
    }

    @Test
    void onlyTheEdgesEnvoyCertificateOpensAStreamAndGetsAnAckCounted() throws Exception {
        Map<String, Object> attacks = new LinkedHashMap<>();
        attacks.put("plaintext gRPC", ads(NettyChannelBuilder.forAddress("127.0.0.1", port)
                .negotiationType(NegotiationType.PLAINTEXT).build()));
        attacks.put("TLS without a client certificate", ads(tls(trusting(PKI))));
        attacks.put("a client certificate of another CA", ads(tls(trusting(PKI)
                .keyManager(file(OTHER, AdsPki.Part.CLIENT_CERT), file(OTHER, AdsPki.Part.CLIENT_KEY)))));
        // the right CA but not the Envoys' identity (the server's own certificate, were its key stolen)
        attacks.put("the edge CA's server certificate as a client", ads(tls(trusting(PKI)
                .keyManager(file(PKI, AdsPki.Part.SERVER_CERT), file(PKI, AdsPki.Part.SERVER_KEY)))));
        attacks.forEach((attack, result) -> {
            System.out.println("ADS attack: " + attack + " -> " + result);
            assertThat(result).as(attack).isInstanceOf(Throwable.class);
        });
        assertThat(ackedStreams()).as("ACKs counted from the attackers").isZero();

        // the Envoys' certificate, checking the control plane's: a stream, the clusters, an ACK counted
        Object envoy = ads(tls(trusting(PKI).keyManager(file(PKI, AdsPki.Part.CLIENT_CERT), file(PKI, AdsPki.Part.CLIENT_KEY))));
        assertThat(envoy).isInstanceOf(DiscoveryResponse.class);
        assertThat(LOG.toString()).contains("mutual TLS").contains("ACKed clusters");
    }

    @Test
    void anEnvoyRefusesAControlPlaneOfAnotherCa() throws Exception {
        Object result = ads(tls(trusting(OTHER).keyManager(file(PKI, AdsPki.Part.CLIENT_CERT),
                file(PKI, AdsPki.Part.CLIENT_KEY))));
        assertThat(result).isInstanceOf(Throwable.class);
    }

    @Test
    void unreadableFilesFailTheStartNamingTheFilesNotTheirContent() throws Exception {
        ControlPlane broken = new ControlPlane(EDGE, () -> { throw new IllegalStateException("no cluster"); },
                new PrintStream(new ByteArrayOutputStream()));
        File key = file(PKI, AdsPki.Part.SERVER_KEY);
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> broken.start(freePort(), freePort(), Duration.ofSeconds(30),
                            new ControlPlane.Tls(file(PKI, AdsPki.Part.CA), key, key, XdsConfig.envoyIdentity(EDGE))))
                    .hasMessageContaining(key.toString()).hasMessageNotContaining("PRIVATE KEY")
                    .hasMessageNotContaining(new String(PKI.pem().get(AdsPki.Part.SERVER_KEY)).substring(40, 80));
        } finally {
            broken.close();
        }
    }
}
