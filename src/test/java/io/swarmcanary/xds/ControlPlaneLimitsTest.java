package io.swarmcanary.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.envoy.EdgeRoutes;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane's servers hold against clients that never finish: a real control plane in its own JVM (the JDK
 * HTTP server reads its limits once per JVM, so it must be a fresh one, as in the container), real sockets.
 */
class ControlPlaneLimitsTest {
    private static Process process;
    private static int grpcPort;
    private static int statusPort;

    /** The control plane of an edge without tracks, as the container runs it but fed without a cluster. */
    public static void main(String[] args) throws Exception {
        String yaml = new EnvoyConfigRenderer().render(new EdgeRoutes(10000, List.of(), List.of()), Optional.empty());
        ControlPlane plane = new ControlPlane("limits", () -> new ControlPlane.Served(
                new EdgeRoutes(10000, List.of(), List.of()), yaml, "r1", java.util.Map.of()), System.err);
        plane.start(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Duration.ofSeconds(1));
        System.out.println("ready");
        System.out.flush();
        plane.awaitTermination();
    }

    @BeforeAll
    static void start() throws Exception {
        grpcPort = freePort();
        statusPort = freePort();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                ControlPlaneLimitsTest.class.getName(), String.valueOf(grpcPort), String.valueOf(statusPort))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("ready");
    }

    @AfterAll
    static void stop() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Optional<Integer> status() {
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statusPort + "/status"))
                            .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
            return Optional.of(r.statusCode());
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    @Test
    void halfRequestsHoldNoThreadForLongAndStatusStillAnswers() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            // more idle half-requests than the server has threads (and than the two it once had)
            for (int i = 0; i < 3 * ControlPlane.HTTP_THREADS; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", statusPort), 2000);
                OutputStream o = s.getOutputStream();
                o.write("GET /status HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                o.flush();
                slow.add(s);
            }
            long started = System.nanoTime();
            assertThat(status()).contains(200);
            // cut off after maxReqTime (5s) plus the server's 1s timer tick, not held for ever
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(12));
            Socket first = slow.get(0);
            first.setSoTimeout(10_000);
            assertThat(first.getInputStream().read()).as("the server closed the half request").isEqualTo(-1);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void aConnectionThatNeverSpeaksHttp2IsClosedByTheAdsServer() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", grpcPort), 2000);
            s.setSoTimeout(20_000);
            long started = System.nanoTime();
            // the server sends its SETTINGS; we send no preface at all: the handshake timeout (10s) ends it (a read that
            // never ends throws SocketTimeoutException after 20s)
            s.getInputStream().readAllBytes();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
        }
    }
}
