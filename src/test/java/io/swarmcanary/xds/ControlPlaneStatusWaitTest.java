package io.swarmcanary.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import static org.awaitility.Awaitility.await;

/**
 * A wait for an ACK is told, not polling: GET /status with the ETag of the status seen ({@code If-None-Match}) and
 * {@code Prefer: wait=N} is answered when the status changes, or after N seconds as it is. A real control plane on
 * real ports, fed by a fake source whose revision the test changes.
 */
class ControlPlaneStatusWaitTest {
    private static final String YAML = new EnvoyConfigRenderer().render(new EdgeRoutes(10000, List.of(), List.of()), Optional.empty());
    private final AtomicReference<String> revision = new AtomicReference<>("r1");
    private final HttpClient http = HttpClient.newHttpClient();
    private ControlPlane plane;
    private int statusPort;
    private int grpcPort;

    @BeforeEach
    void start() throws Exception {
        plane = new ControlPlane("waits", whole -> new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), YAML,
                revision.get(), Map.of()), new PrintStream(OutputStream.nullOutputStream()));
        statusPort = freePort();
        grpcPort = freePort();
        plane.start(grpcPort, statusPort, Duration.ofHours(1), Duration.ofHours(1), null); // reads only when told
    }

    @AfterEach
    void close() {
        plane.close();
    }

    private HttpResponse<String> get(Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/status"))
                .timeout(Duration.ofSeconds(20));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String routes(HttpResponse<String> response) throws Exception {
        return new ObjectMapper().readValue(response.body(), XdsStatus.class).routesVersion();
    }

    @Test
    void aHeldStatusRequestIsAnsweredWhenTheStatusChanges() throws Exception {
        HttpResponse<String> first = get(Map.of());
        String tag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(routes(first)).isEqualTo("r1");

        long asked = System.nanoTime();
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> {
            try {
                return get(Map.of("If-None-Match", tag, "Prefer", "wait=2"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        TimeUnit.MILLISECONDS.sleep(300);
        assertThat(held).as("nothing changed yet: still held").isNotDone();
        revision.set("r2");
        plane.refresh(); // a new read: a new routes version

        HttpResponse<String> changed = held.get(10, TimeUnit.SECONDS);
        assertThat(routes(changed)).isEqualTo("r2");
        assertThat(changed.headers().firstValue("ETag")).isPresent().get().isNotEqualTo(tag);
        // answered by the change, not at the end of its wait
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(ControlPlane.MAX_STATUS_WAIT);
    }

    @Test
    void aHeldRequestWithoutAChangeIsAnsweredAsItIsWhenItsWaitIsOver() throws Exception {
        String tag = get(Map.of()).headers().firstValue("ETag").orElseThrow();
        long asked = System.nanoTime();
        HttpResponse<String> same = get(Map.of("If-None-Match", tag, "Prefer", "wait=1"));
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(same.headers().firstValue("ETag")).contains(tag);
        assertThat(routes(same)).isEqualTo("r1");
    }

    @Test
    void aTagThatIsNotTheCurrentOneOrNoWaitIsAnsweredAtOnce() throws Exception {
        String tag = get(Map.of()).headers().firstValue("ETag").orElseThrow();
        long asked = System.nanoTime();
        assertThat(get(Map.of("If-None-Match", "\"stale\"", "Prefer", "wait=2")).headers().firstValue("ETag")).contains(tag);
        assertThat(get(Map.of("If-None-Match", tag)).headers().firstValue("ETag")).contains(tag); // no Prefer: no wait
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void noMoreThanHalfTheThreadsWait() throws Exception {
        String tag = get(Map.of()).headers().firstValue("ETag").orElseThrow();
        List<CompletableFuture<HttpResponse<String>>> held = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(ControlPlane.MAX_STATUS_WAITERS);
        for (int i = 0; i < ControlPlane.MAX_STATUS_WAITERS; i++) {
            held.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return get(Map.of("If-None-Match", tag, "Prefer", "wait=2"));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, clients));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> plane.statusWaiters() == ControlPlane.MAX_STATUS_WAITERS);
        clients.shutdown();
        long asked = System.nanoTime();
        assertThat(get(Map.of("If-None-Match", tag, "Prefer", "wait=2")).statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("one too many: answered at once").isLessThan(Duration.ofSeconds(1));
        for (CompletableFuture<HttpResponse<String>> h : held) {
            assertThat(h.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anEnvoysAckAndItsStreamClosingAnswerAHeldRequest() throws Exception {
        // an ADS stream as Envoy opens it (the real server, gRPC over loopback), then its ACK of the routes
        io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
                .forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        try {
            java.util.concurrent.BlockingQueue<io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse> responses =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            io.grpc.stub.StreamObserver<io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest> stream =
                    io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.newStub(channel)
                            .streamAggregatedResources(new io.grpc.stub.StreamObserver<>() {
                                @Override public void onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse r) { responses.add(r); }
                                @Override public void onError(Throwable t) {}
                                @Override public void onCompleted() {}
                            });
            String rds = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
            io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.Builder ask = io.envoyproxy.envoy.service.discovery.v3
                    .DiscoveryRequest.newBuilder().setTypeUrl(rds).addResourceNames(EnvoyConfigRenderer.ROUTE_CONFIG_NAME)
                    .setNode(io.envoyproxy.envoy.config.core.v3.Node.newBuilder().setId("envoy-1"));
            stream.onNext(ask.build());
            io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse routes = responses.poll(10, TimeUnit.SECONDS);
            assertThat(routes).as("the control plane sent its routes").isNotNull();
            await().atMost(Duration.ofSeconds(10)).until(() -> plane.status().envoys().size() == 1);
            String tag = get(Map.of()).headers().firstValue("ETag").orElseThrow();
            assertThat(plane.status().envoys().get(0).routesVersion()).as("not ACKed yet").isNull();

            long asked = System.nanoTime();
            CompletableFuture<HttpResponse<String>> held = heldAfter(tag);
            TimeUnit.MILLISECONDS.sleep(300);
            assertThat(held).as("nothing changed yet").isNotDone();
            stream.onNext(ask.setVersionInfo(routes.getVersionInfo()).setResponseNonce(routes.getNonce()).build()); // the ACK
            HttpResponse<String> acked = held.get(10, TimeUnit.SECONDS);
            // told by the ACK, not answered at the end of its 2 s (the status then would say the same)
            assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(ControlPlane.MAX_STATUS_WAIT.minusMillis(300));
            XdsStatus status = new ObjectMapper().readValue(acked.body(), XdsStatus.class);
            assertThat(status.envoys()).singleElement().extracting(XdsStatus.Envoy::routesVersion).isEqualTo("r1");

            long asked2 = System.nanoTime();
            CompletableFuture<HttpResponse<String>> held2 = heldAfter(acked.headers().firstValue("ETag").orElseThrow());
            TimeUnit.MILLISECONDS.sleep(300);
            assertThat(held2).isNotDone();
            stream.onCompleted(); // Envoy goes away
            assertThat(new ObjectMapper().readValue(held2.get(10, TimeUnit.SECONDS).body(), XdsStatus.class).envoys()).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - asked2)).isLessThan(ControlPlane.MAX_STATUS_WAIT.minusMillis(300));
        } finally {
            channel.shutdownNow();
        }
    }

    /** A status request held until the status differs from {@code tag} (at most 2 s), sent on another thread. */
    private CompletableFuture<HttpResponse<String>> heldAfter(String tag) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return get(Map.of("If-None-Match", tag, "Prefer", "wait=2"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void theWaitAskedForIsCappedAndAMalformedOneIsNone() {
        assertThat(ControlPlane.preferredWait("wait=1")).isEqualTo(Duration.ofSeconds(1));
        assertThat(ControlPlane.preferredWait("respond-async, wait=100")).isEqualTo(ControlPlane.MAX_STATUS_WAIT);
        assertThat(ControlPlane.preferredWait("wait=soon")).isZero();
        assertThat(ControlPlane.preferredWait("handling=lenient")).isZero();
        assertThat(ControlPlane.preferredWait(null)).isZero();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
