package io.swarmcanary.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real requests through an edge's published port, as a client of one of its virtual hosts. On the three-node bed
 * the requests go round the published port of every node, so every node's Envoy must route as asserted.
 */
public final class Traffic {
    static {
        // the tests play the client of many virtual hosts on one port
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private static final AtomicInteger NEXT_NODE = new AtomicInteger();

    private Traffic() {}

    /** One request to the next node's published port. */
    public static HttpResponse<String> get(int port, String host, Map<String, String> headers) throws Exception {
        return get(nextNode(), port, host, headers);
    }

    /** The address of the next node in turn (always 127.0.0.1 on the one-node bed). */
    public static String nextNode() {
        return Bed.NODE_HOSTS.get(Math.floorMod(NEXT_NODE.getAndIncrement(), Bed.NODE_HOSTS.size()));
    }

    /** One request to this node's published port. */
    public static HttpResponse<String> get(String node, int port, String host, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + node + ":" + port + "/"))
                .header("Host", host).timeout(Duration.ofSeconds(5));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * One raw HTTP/1.1 request to the next node's port (127.0.0.1 on the one-node bed), any Host, method, path and header (java.net.http refuses some); the
     * whole response (status line, headers, body), or "" when nothing answers.
     */
    public static String raw(int port, String host, String method, String path, Map<String, String> headers) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(nextNode(), port), 2000);
            socket.setSoTimeout(5000);
            StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
            headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
            request.append("Content-Length: 0\r\nConnection: close\r\n\r\n");
            socket.getOutputStream().write(request.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readNBytes(4 * 1024 * 1024), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** Sends n requests and counts answers per version ("version=1.0.0"); any non-200 counts as "error-<status>". */
    public static Map<String, Integer> sample(int port, String host, int n, Map<String, String> headers) throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String key;
            try {
                HttpResponse<String> r = get(port, host, headers);
                key = r.statusCode() == 200 ? r.body().trim().split(" ")[0] : "error-" + r.statusCode();
            } catch (java.io.IOException e) {
                key = "error-" + e.getClass().getSimpleName();
            }
            counts.merge(key, 1, Integer::sum);
        }
        return counts;
    }

    /** Normal requests every 20 ms on a thread of their own, counted, until closed: "normal traffic kept 0 failures". */
    public static final class Steady implements AutoCloseable {
        private final AtomicInteger sent = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final Thread thread;

        public Steady(int port, String host) {
            thread = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        sent.incrementAndGet();
                        if (get(port, host, Map.of()).statusCode() != 200) {
                            failed.incrementAndGet();
                        }
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
            });
            thread.start();
        }

        public int sent() {
            return sent.get();
        }

        public int failed() {
            return failed.get();
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(10_000);
        }
    }
}
