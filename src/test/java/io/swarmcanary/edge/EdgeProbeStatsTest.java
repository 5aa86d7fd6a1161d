package io.swarmcanary.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The healthy-hosts read through the stats host: a busy stats host (429: its rate limit is shared by every pipeline
 * on the edge) means "not found yet, ask again", never "no stats host, skip the check" (ManyTeamsIT lost 8 requests to
 * a shift that skipped it). Served here by a local HTTP server standing in for Envoy's stats host.
 */
class EdgeProbeStatsTest {
    private HttpServer server;

    private int serve(int... statuses) throws Exception {
        AtomicInteger call = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            int status = statuses[Math.min(call.getAndIncrement(), statuses.length - 1)];
            byte[] body = (status == 200 ? "{\"stats\":[{\"name\":\"cluster.app-1_0_1.membership_healthy\",\"value\":1}]}"
                    : "busy").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aRateLimitedStatsHostCountsAsNothingFoundYetAndTheNextReadFindsIt() throws Exception {
        int port = serve(429, 503, 200);
        EdgeProbe probe = EdgeProbe.http("127.0.0.1", () -> Optional.of("token"));
        assertThat(probe.healthyHosts(port, List.of("app-1_0_1"))).contains(Map.of("app-1_0_1", 0L));
        assertThat(probe.healthyHosts(port, List.of("app-1_0_1"))).contains(Map.of("app-1_0_1", 0L));
        assertThat(probe.healthyHosts(port, List.of("app-1_0_1"))).contains(Map.of("app-1_0_1", 1L));
    }

    @Test
    void aStatsHostThatIsNotThereOrRefusesTheTokenEndsTheCheck() throws Exception {
        int port = serve(404, 401);
        EdgeProbe probe = EdgeProbe.http("127.0.0.1", () -> Optional.of("token"));
        assertThat(probe.healthyHosts(port, List.of("app-1_0_1"))).isEmpty();
        assertThat(probe.healthyHosts(port, List.of("app-1_0_1"))).isEmpty();
    }
}
