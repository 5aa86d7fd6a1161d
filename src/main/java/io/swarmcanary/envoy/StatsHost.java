package io.swarmcanary.envoy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    private static final Map<String, HttpClient> CLIENTS = new ConcurrentHashMap<>();

    private StatsHost() {}

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The stats URL as the request line carries it. */
    public static URI uri(int port, String pathAndQuery) {
        return URI.create("http://" + EnvoyConfigRenderer.STATS_HOST + ":" + port + pathAndQuery);
    }

    /** GET {@link #uri} from the Envoy listening at host:port, with a stats token. */
    public static HttpResponse<String> get(String host, int port, String pathAndQuery, String token, Duration connectTimeout,
                                           Duration timeout) throws IOException, InterruptedException {
        return send(host, port, "GET", pathAndQuery, token, connectTimeout, timeout);
    }

    /** GET or POST (no body) {@link #uri} from the Envoy listening at host:port, with a stats token. */
    public static HttpResponse<String> send(String host, int port, String method, String pathAndQuery, String token,
                                            Duration connectTimeout, Duration timeout) throws IOException, InterruptedException {
        return send(host, port, method, pathAndQuery, token, Map.of(), connectTimeout, timeout);
    }

    /** As {@link #send}, with more request headers. */
    public static HttpResponse<String> send(String host, int port, String method, String pathAndQuery, String token,
                                            Map<String, String> headers, Duration connectTimeout, Duration timeout)
            throws IOException, InterruptedException {
        // The stats host is chosen by the authority. java.net.http will not set a Host header, so the Envoy task is used
        // as an HTTP proxy: the request line then carries http://swarm-canary-stats:<port>/...
        // one client per Envoy: waits poll ten times a second, and each client holds a thread until it is collected
        HttpClient http = CLIENTS.computeIfAbsent(host + "|" + port + "|" + connectTimeout, k -> HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .proxy(ProxySelector.of(new InetSocketAddress(host, port))).build());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(port, pathAndQuery)).timeout(timeout)
                .header(EnvoyConfigRenderer.TOKEN_HEADER, token).method(method, HttpRequest.BodyPublishers.noBody());
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
