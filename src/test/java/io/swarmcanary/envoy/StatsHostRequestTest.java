package io.swarmcanary.envoy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmcanary.HttpAnswer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a CLI sends to an Envoy's stats host, against a one-connection HTTP server standing in for the Envoy (a plain
 * socket, so the test itself starts no selector thread): the request as the stats host routes it, the answer as read,
 * and no thread left behind in native code, which a JVM exiting waits 300 ms for.
 */
class StatsHostRequestTest {
    private final ServerSocket server;
    private final List<String> requestLines = new ArrayList<>();

    StatsHostRequestTest() throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void close() throws Exception {
        server.close();
    }

    /** Answers one request with this status, extra header lines and body; records the request's lines. */
    private CompletableFuture<Void> answerOnce(int status, String headerLines, String body, long delayMillis) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    synchronized (requestLines) {
                        requestLines.add(line);
                    }
                }
                Thread.sleep(delayMillis);
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 " + status + " X\r\n" + headerLines + "Content-Length: " + bytes.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(bytes);
                out.flush();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private String header(String name) {
        synchronized (requestLines) {
            return requestLines.stream().filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                    .map(l -> l.substring(name.length() + 1).trim()).findFirst().orElse(null);
        }
    }

    @Test
    void aGetGoesToTheStatsHostThroughTheEnvoyWithTheTokenAndTheAnswerIsReadWhole() throws Exception {
        CompletableFuture<Void> served = answerOnce(200, "ETag: \"abc\"\r\n", "{\"stats\":[]}", 0);
        HttpAnswer r = StatsHost.send("127.0.0.1", server.getLocalPort(), "GET", StatsHost.HEALTHY_PATH, "tok",
                Map.of("If-None-Match", "\"x\"", "Prefer", "wait=1"), Duration.ofSeconds(1), Duration.ofSeconds(3));
        served.get(5, TimeUnit.SECONDS);
        // the request line carries the stats host's authority: Envoy picks the virtual host by it
        assertThat(requestLines.get(0)).isEqualTo("GET http://" + EnvoyConfigRenderer.STATS_HOST + ":" + server.getLocalPort()
                + StatsHost.HEALTHY_PATH + " HTTP/1.1");
        assertThat(header("Host")).isEqualTo(EnvoyConfigRenderer.STATS_HOST + ":" + server.getLocalPort());
        assertThat(header(EnvoyConfigRenderer.TOKEN_HEADER)).isEqualTo("tok");
        assertThat(header("If-None-Match")).isEqualTo("\"x\"");
        assertThat(header("Prefer")).isEqualTo("wait=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"stats\":[]}");
        assertThat(r.header("etag")).contains("\"abc\"");
        assertThat(r.header("x-none")).isEmpty();
    }

    /** POST /refresh through the stand-in Envoy, answered with this status, header lines and body. */
    private HttpAnswer refreshAnswered(int status, String headerLines, String body) throws Exception {
        CompletableFuture<Void> served = answerOnce(status, headerLines, body, 0);
        HttpAnswer r = StatsHost.send("127.0.0.1", server.getLocalPort(), "POST",
                EnvoyConfigRenderer.CONTROL_PLANE_REFRESH_PATH, "tok", Duration.ofSeconds(1), Duration.ofSeconds(3));
        served.get(5, TimeUnit.SECONDS);
        return r;
    }

    @Test
    void aPostSendsAnEmptyBodyAndAnErrorStatusIsAnAnswerWithItsBody() throws Exception {
        HttpAnswer r = refreshAnswered(429, "", "slow down");
        assertThat(requestLines.get(0)).startsWith("POST http://" + EnvoyConfigRenderer.STATS_HOST + ":");
        assertThat(header("Content-Length")).isEqualTo("0");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.body()).isEqualTo("slow down");
    }

    @Test
    void aPostAnsweredUnauthorizedIsThatAnswer() throws Exception {
        assertThat(refreshAnswered(401, "WWW-Authenticate: Bearer\r\n", "Jwt is missing").statusCode()).isEqualTo(401);
    }

    @Test
    void theNextAskOfTheSameEnvoyGoesOverTheSameConnection() throws Exception {
        // a wait asks ten times a second: each ask on a new connection would cost Envoy and the CLI a handshake
        java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
        CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < 2; i++) {
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        // the request's head
                    }
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    answered.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        for (int i = 0; i < 2; i++) {
            assertThat(StatsHost.get("127.0.0.1", server.getLocalPort(), StatsHost.HEALTHY_PATH, "tok", Duration.ofSeconds(1),
                    Duration.ofSeconds(3)).body()).isEqualTo("{}");
        }
        served.get(5, TimeUnit.SECONDS);
        assertThat(answered).as("both answered on the one connection the server accepted").hasValue(2);
    }

    @Test
    void aZeroTimeoutIsRefusedNotWaitedOnForever() {
        assertThatThrownBy(() -> StatsHost.get("127.0.0.1", server.getLocalPort(), StatsHost.HEALTHY_PATH, "tok",
                Duration.ofSeconds(1), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAnswerSlowerThanTheTimeoutIsAnIoError() {
        answerOnce(200, "", "late", 1_500);
        assertThatThrownBy(() -> StatsHost.get("127.0.0.1", server.getLocalPort(), StatsHost.HEALTHY_PATH, "tok",
                Duration.ofSeconds(1), Duration.ofMillis(300))).isInstanceOf(SocketTimeoutException.class);
    }

    @Test
    void noThreadIsLeftWaitingInNativeCode() throws Exception {
        CompletableFuture<Void> served = answerOnce(200, "", "{}", 0);
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        StatsHost.get("127.0.0.1", server.getLocalPort(), StatsHost.HEALTHY_PATH, "tok", Duration.ofSeconds(1),
                Duration.ofSeconds(3));
        served.get(5, TimeUnit.SECONDS);
        // java.net.http's client keeps a selector thread in epoll_wait until it is collected; HotSpot's exit then waits
        // 300 ms for it (VM_Exit::wait_for_threads_in_native_to_block), on every CLI command that asked an Envoy
        // (sleeping and waiting threads are blocked to HotSpot, not in native: only a poll of the network counts)
        List<String> started = Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> !before.contains(e.getKey()) && e.getKey().isAlive())
                .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.isNativeMethod()
                        && f.getClassName().startsWith("sun.nio.ch.")))
                .map(e -> e.getKey().getName() + " " + java.util.Arrays.toString(e.getValue())).toList();
        assertThat(started).isEmpty();
    }
}
