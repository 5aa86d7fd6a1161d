package io.swarmcanary.edge;

import io.swarmcanary.envoy.EnvoyConfigRenderer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * Asks the live Envoy, through its public listener, which route table it serves: the smoke host answers
 * with the revision header. A raw request, because java.net.http refuses to set the Host header.
 */
public interface EdgeProbe {
    Optional<String> revision(int port);

    static EdgeProbe http(String host) {
        return port -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 1000);
                socket.setSoTimeout(2000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET / HTTP/1.1\r\nHost: proxy_test\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                String response = new String(in.readNBytes(16 * 1024), StandardCharsets.ISO_8859_1);
                if (!response.startsWith("HTTP/1.1 200")) {
                    return Optional.empty();
                }
                String prefix = EnvoyConfigRenderer.REVISION_HEADER + ":";
                for (String line : response.split("\r\n")) {
                    if (line.isEmpty()) {
                        break;
                    }
                    if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                        return Optional.of(line.substring(prefix.length()).trim());
                    }
                }
                return Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        };
    }

    /** The host the docker CLI talks to, or localhost for a local socket. */
    static String hostOf(String dockerHost) {
        if (dockerHost == null || dockerHost.startsWith("unix:") || dockerHost.startsWith("npipe:")) {
            return "127.0.0.1";
        }
        String rest = dockerHost.replaceFirst("^[a-z]+://", "");
        int colon = rest.lastIndexOf(':');
        return colon > 0 ? rest.substring(0, colon) : rest;
    }
}
