package io.swarmcanary.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates the ITs make with openssl (a CA, leaf certificates signed by it) in one folder, and a TLS client that
 * trusts that CA alone and checks the host name, as a browser would.
 */
public final class Openssl {
    private final Path dir;
    private final SSLContext trustingTheCa;

    /** A CA ({@code ca.crt}) in this folder. */
    public Openssl(Path dir) throws Exception {
        this.dir = dir;
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=swarm-canary test CA");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("ca.crt")))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trustingTheCa = SSLContext.getInstance("TLS");
        trustingTheCa.init(null, tmf.getTrustManagers(), null);
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** {@code <name>.crt} for this DNS name signed by the CA, and its key {@code <name>.key}: RSA, or EC with "ec". */
    public void leaf(String name, String domain, String keyType) throws Exception {
        List<String> req = new ArrayList<>(List.of("req", "-new", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + domain.replace("*", "wildcard")));
        req.addAll(1, keyType.equals("ec") ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
                : List.of("-newkey", "rsa:2048"));
        run(req.toArray(String[]::new));
        Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=DNS:" + domain + "\n");
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                "-extfile", name + ".ext", "-out", name + ".crt");
    }

    /** {@code DOMAIN=<name>.crt,<name>.key}, as --tls takes it. */
    public String tls(String domain, String name) {
        return domain + "=" + file(name + ".crt") + "," + file(name + ".key");
    }

    public String run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as("openssl %s: %s", command, out).isZero();
        return out;
    }

    /** What {@code openssl s_client} says of a handshake with this SNI and version option (-tls1_1, -tls1_2). */
    public String sClient(String address, int port, String sni, String version) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", address + ":" + port, "-servername", sni,
                version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", file("ca.crt").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out;
    }

    /** A response over TLS: the certificate the server showed, the protocol, the raw HTTP response. */
    public record Answer(X509Certificate certificate, String protocol, String response) {}

    /** GET path over TLS to address:port sending no SNI (Host: host), trusting only the CA; the caller checks the certificate. */
    public Answer getWithoutSni(String address, int port, String host, String path) throws Exception {
        return get(address, port, host, path, false);
    }

    /** GET path over TLS to address:port with SNI and host-name checking for host, trusting only the CA. */
    public Answer get(String address, int port, String host, String path) throws Exception {
        return get(address, port, host, path, true);
    }

    private Answer get(String address, int port, String host, String path, boolean sni) throws Exception {
        try (Socket raw = new Socket(address, port);
             SSLSocket tls = (SSLSocket) trustingTheCa.getSocketFactory().createSocket(raw, sni ? host : address, port, true)) {
            SSLParameters params = tls.getSSLParameters();
            if (sni) {
                params.setEndpointIdentificationAlgorithm("HTTPS");
            } else {
                params.setServerNames(List.of());
            }
            params.setApplicationProtocols(new String[] {"http/1.1"});
            tls.setSSLParameters(params);
            tls.setSoTimeout(10000);
            tls.startHandshake();
            OutputStream out = tls.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = tls.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Answer((X509Certificate) tls.getSession().getPeerCertificates()[0], tls.getSession().getProtocol(), response);
        }
    }

    /**
     * One TLS connection kept open (HTTP/1.1 keep-alive), with SNI and host-name checking for host, trusting only the
     * CA: each {@link KeepAlive#get} is one more request on the same connection.
     */
    public KeepAlive keepAlive(String address, int port, String host) throws Exception {
        SSLSocket tls = (SSLSocket) trustingTheCa.getSocketFactory().createSocket(new Socket(address, port), host, port, true);
        SSLParameters params = tls.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setApplicationProtocols(new String[] {"http/1.1"});
        tls.setSSLParameters(params);
        tls.setSoTimeout(10000);
        tls.startHandshake();
        return new KeepAlive(tls, host);
    }

    /** A kept-open HTTPS connection; a response that closes it (or any error) fails the next request. */
    public static final class KeepAlive implements AutoCloseable {
        private final SSLSocket tls;
        private final String host;
        private final InputStream in;

        KeepAlive(SSLSocket tls, String host) throws java.io.IOException {
            this.tls = tls;
            this.host = host;
            this.in = new java.io.BufferedInputStream(tls.getInputStream());
        }

        public X509Certificate certificate() throws Exception {
            return (X509Certificate) tls.getSession().getPeerCertificates()[0];
        }

        /** The status line, headers and body of one GET on this connection (Content-Length or chunked). */
        public String get(String path) throws java.io.IOException {
            OutputStream out = tls.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            StringBuilder head = new StringBuilder();
            String line;
            long length = -1;
            boolean chunked = false;
            while (!(line = line()).isEmpty()) {
                head.append(line).append("\n");
                String lower = line.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            StringBuilder body = new StringBuilder();
            if (chunked) {
                for (long size; (size = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; line()) {
                    body.append(new String(in.readNBytes((int) size), StandardCharsets.UTF_8));
                }
                line(); // the empty line after the last chunk
            } else if (length >= 0) {
                body.append(new String(in.readNBytes((int) length), StandardCharsets.UTF_8));
            }
            return head + "\n" + body;
        }

        private String line() throws java.io.IOException {
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new java.io.EOFException("the server closed the connection");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws java.io.IOException {
            tls.close();
        }
    }
}
