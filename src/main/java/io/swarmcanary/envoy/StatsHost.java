package io.swarmcanary.envoy;

import io.swarmcanary.HttpAnswer;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads one Envoy's stats through the {@value EnvoyConfigRenderer#STATS_HOST} virtual host of its public listener. The
 * host serves exactly the paths below (fixed query strings: a caller chooses no admin regex), each with a stats token.
 */
public final class StatsHost {
    /** Every release cluster's healthy host count (the forced clusters' too: a caller picks the ones it asked about). */
    public static final String HEALTHY_FILTER = "^cluster\\.[^.]+\\.membership_healthy$";
    /** What the analysis reads: uptime and every cluster's request, retry and connect-failure counters. */
    public static final String ANALYSIS_FILTER =
            "^(server\\.uptime|cluster\\.[^.]+\\.(upstream_rq_|retry\\.upstream_rq_|upstream_cx_connect_fail))";
    public static final String HEALTHY_PATH = "/stats?format=json&filter=" + encode(HEALTHY_FILTER);
    public static final String ANALYSIS_PATH = "/stats?format=json&histogram_buckets=detailed&filter=" + encode(ANALYSIS_FILTER);
    /** For a Prometheus scraping the edge (with a stats token as its bearer token). */
    public static final String PROMETHEUS_PATH = "/stats/prometheus";
    /** The only path-and-query strings the stats host forwards to admin. */
    public static final List<String> PATHS = List.of(HEALTHY_PATH, ANALYSIS_PATH, PROMETHEUS_PATH);

    private StatsHost() {}

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The stats URL as the request line carries it. */
    public static URI uri(int port, String pathAndQuery) {
        return URI.create("http://" + EnvoyConfigRenderer.STATS_HOST + ":" + port + pathAndQuery);
    }

    /** GET {@link #uri} from the Envoy listening at host:port, with a stats token. */
    public static HttpAnswer get(String host, int port, String pathAndQuery, String token, Duration connectTimeout,
                                 Duration timeout) throws IOException, InterruptedException {
        return send(host, port, "GET", pathAndQuery, token, connectTimeout, timeout);
    }

    /** GET or POST (no body) {@link #uri} from the Envoy listening at host:port, with a stats token. */
    public static HttpAnswer send(String host, int port, String method, String pathAndQuery, String token,
                                  Duration connectTimeout, Duration timeout) throws IOException, InterruptedException {
        return send(host, port, method, pathAndQuery, token, Map.of(), connectTimeout, timeout);
    }

    /**
     * As {@link #send}, with more request headers.
     *
     * @param timeout for the answer's headers, and again for each read of its body
     */
    public static HttpAnswer send(String host, int port, String method, String pathAndQuery, String token,
                                  Map<String, String> headers, Duration connectTimeout, Duration timeout)
            throws IOException, InterruptedException {
        // The stats host is chosen by the authority, so the Envoy task is used as an HTTP proxy: the request line then
        // carries http://swarm-canary-stats:<port>/... and the Host header that name.
        // HttpURLConnection, not java.net.http (HttpAnswer says why: every CLI command that looked at the edge exited late)
        if (connectTimeout.toMillis() < 1 || timeout.toMillis() < 1) { // 0 would be "no timeout" to HttpURLConnection
            throw new IllegalArgumentException("timeouts must be at least 1 ms, got " + connectTimeout + " and " + timeout);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        HttpURLConnection http = (HttpURLConnection) uri(port, pathAndQuery).toURL()
                .openConnection(new Proxy(Proxy.Type.HTTP, new InetSocketAddress(host, port)));
        try {
            http.setConnectTimeout(Math.toIntExact(connectTimeout.toMillis()));
            http.setReadTimeout(Math.toIntExact(timeout.toMillis()));
            http.setUseCaches(false);
            http.setInstanceFollowRedirects(false);
            http.setRequestMethod(method);
            http.setRequestProperty(EnvoyConfigRenderer.TOKEN_HEADER, token);
            headers.forEach(http::setRequestProperty);
            if (!method.equals("GET")) {
                http.setDoOutput(true);
                http.setFixedLengthStreamingMode(0);
                http.getOutputStream().close();
            }
        } catch (IOException e) {
            http.disconnect();
            throw e;
        }
        HttpAnswer answer = HttpAnswer.read(http);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return answer;
    }
}
