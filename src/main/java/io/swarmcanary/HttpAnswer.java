package io.swarmcanary;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An HTTP answer read whole: its status, body and headers (names as sent; look them up with {@link #header}). The CLI
 * asks Envoy and Prometheus over HttpURLConnection, not java.net.http: the latter's selector thread waits in native code
 * for the rest of the JVM's life, and a JVM exiting waits 300 ms for such threads.
 */
public record HttpAnswer(int statusCode, String body, Map<String, List<String>> headers) {
    public Optional<String> header(String name) {
        return headers.entrySet().stream().filter(e -> e.getKey() != null && e.getKey().equalsIgnoreCase(name))
                .flatMap(e -> e.getValue().stream()).findFirst();
    }

    /**
     * The answer on this connection, read whole: an error status's body comes from the error stream, and a body read to
     * its end leaves the connection to be kept for the next ask. A connection that fails is dropped.
     */
    public static HttpAnswer read(HttpURLConnection http) throws IOException {
        try {
            int status = http.getResponseCode();
            String body;
            try (InputStream in = status >= 400 ? http.getErrorStream() : http.getInputStream()) {
                body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return new HttpAnswer(status, body, http.getHeaderFields());
        } catch (IOException e) {
            http.disconnect();
            throw e;
        }
    }
}
