package io.swarmcanary.envoy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads one Envoy's stats through the {@value EnvoyConfigRenderer#STATS_HOST} virtual host of its public listener. */
public final class StatsHost {
    private StatsHost() {}

    /** The stats URL as the request line carries it; {@code query} follows {@code format=json&}. */
    public static URI uri(int port, String query) {
        return URI.create("http://" + EnvoyConfigRenderer.STATS_HOST + ":" + port + "/stats?format=json&" + query);
    }

    /** GET {@link #uri} from the Envoy listening at host:port. */
    public static HttpResponse<String> get(String host, int port, String query, Duration connectTimeout, Duration timeout)
            throws IOException, InterruptedException {
        // The stats host is chosen by the authority. java.net.http will not set a Host header, so the Envoy task is used
        // as an HTTP proxy: the request line then carries http://swarm-canary-stats:<port>/...
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .proxy(ProxySelector.of(new InetSocketAddress(host, port))).build();
        return http.send(HttpRequest.newBuilder(uri(port, query)).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
