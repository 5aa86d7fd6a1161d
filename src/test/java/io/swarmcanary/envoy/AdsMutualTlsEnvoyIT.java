package io.swarmcanary.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.edge.AdsPki;
import io.swarmcanary.xds.ControlPlane;
import io.swarmcanary.xds.XdsStatus;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Envoy on the xds bootstrap with mutual TLS to a real control plane: with the edge's client certificate it
 * gets and ACKs its config; with another CA's certificate, or checking for another control plane name, it never does.
 */
class AdsMutualTlsEnvoyIT {
    private static final String EDGE = "shop";
    private static final AdsPki.Generation PKI = AdsPki.issue(EDGE, Instant.now());
    private static final AdsPki.Generation OTHER = AdsPki.issue(EDGE, Instant.now());
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static ControlPlane plane;
    private static int grpcPort;
    private static int statusPort;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        grpcPort = freePort();
        statusPort = freePort();
        String yaml = new EnvoyConfigRenderer().render(new EdgeRoutes(10000, List.of(), List.of()), Optional.empty());
        plane = new ControlPlane(EDGE, () -> new ControlPlane.Served(new EdgeRoutes(10000, List.of(), List.of()), yaml, "r1",
                Map.of()), new PrintStream(LOG, true));
        plane.start(grpcPort, statusPort, Duration.ofSeconds(30), new ControlPlane.Tls(file(PKI, AdsPki.Part.CA),
                file(PKI, AdsPki.Part.SERVER_CERT), file(PKI, AdsPki.Part.SERVER_KEY), XdsConfig.envoyIdentity(EDGE)));
    }

    @AfterAll
    static void stop() {
        if (plane != null) {
            plane.close();
        }
    }

    private static File file(AdsPki.Generation g, AdsPki.Part part) throws Exception {
        Path f = dir.resolve(g.id() + "-" + part.file);
        Files.write(f, g.pem().get(part));
        return f.toFile();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The bootstrap as an xds edge gets it, its clusters pointed at this machine, Envoy's files at these. */
    private static String bootstrap(AdsPki.Generation client, String serverName) throws Exception {
        String yaml = new XdsConfig().bootstrap(EDGE, freePort(), Optional.empty(), AdsPki.controlPlaneHost(EDGE), grpcPort,
                Optional.empty(), null, new XdsConfig.AdsTls(file(PKI, AdsPki.Part.CA).toString(),
                        file(client, AdsPki.Part.CLIENT_CERT).toString(), file(client, AdsPki.Part.CLIENT_KEY).toString(),
                        serverName));
        return Fixtures.local(yaml, freePort(), name -> name.equals(XdsConfig.XDS_CLUSTER) ? grpcPort : statusPort);
    }

    private static Process envoy(String yaml, String name) throws Exception {
        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, yaml);
        return new ProcessBuilder(Fixtures.envoyBinary().toString(), "-c", config.toString(), "--disable-hot-restart",
                "--log-level", "warn").redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    private static long acked() {
        XdsStatus s = plane.status();
        return s.envoys().stream().filter(e -> e.clustersVersion() != null && e.routesVersion() != null).count();
    }

    @Test
    void envoyWithTheEdgesCertificateGetsItsConfigAndOthersNever() throws Exception {
        String good = bootstrap(PKI, AdsPki.controlPlaneHost(EDGE));
        assertThat(good).contains("envoy.transport_sockets.tls").contains("match_typed_subject_alt_names")
                .contains("sni: \"tasks.shop-xds\"").doesNotContain("PRIVATE KEY");
        Process validate = new ProcessBuilder(Fixtures.envoyBinary().toString(), "--mode", "validate", "-c",
                Files.writeString(dir.resolve("validate.yaml"), good).toString(), "--log-level", "warn")
                .redirectErrorStream(true).start();
        String validated = new String(validate.getInputStream().readAllBytes());
        assertThat(validate.waitFor()).as(validated).isZero();
        // (the DNS cluster's dns_refresh_rate is reported deprecated by this Envoy: older than this change, not in TLS)
        assertThat(validated).contains("OK").doesNotContain("tls.v3");

        Process foreign = null;
        Process wrongName = null;
        Process envoy = null;
        try {
            foreign = envoy(bootstrap(OTHER, AdsPki.controlPlaneHost(EDGE)), "foreign");
            wrongName = envoy(bootstrap(PKI, "tasks.other-xds"), "wrong-name");
            Thread.sleep(8000); // both retry every 0.25-2 s meanwhile
            assertThat(acked()).as("streams of an Envoy with another CA's certificate or expecting another name: %s",
                    plane.status().envoys()).isZero();
            assertThat(foreign.isAlive()).isTrue();
            assertThat(wrongName.isAlive()).isTrue();

            envoy = envoy(good, "good");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (acked() == 0) {
                assertThat(System.nanoTime()).as("Envoy did not ACK: %s%n%s", LOG,
                        Files.readString(dir.resolve("good.log"))).isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(acked()).isEqualTo(1);
            assertThat(LOG.toString()).contains("ACKed routes").contains("ACKed clusters");
        } finally {
            for (Process p : new Process[] {envoy, foreign, wrongName}) {
                if (p != null) {
                    p.destroy();
                    p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
    }
}
