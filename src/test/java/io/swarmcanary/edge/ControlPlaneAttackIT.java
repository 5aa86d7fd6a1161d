package io.swarmcanary.edge;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.envoy.XdsConfig;
import io.swarmcanary.swarm.DockerConnection;
import io.swarmcanary.swarm.DockerSwarmGateway;
import io.swarmcanary.swarm.TaskInfo;
import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import io.swarmcanary.testing.Traffic;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The xds control plane against an outsider on the published port and a hostile container on the apps' edge network,
 * on the real swarm and Envoy: no port of it answers from the host, its status through the stats host needs the stats
 * token, nothing on the apps' network reaches ADS or the status endpoint, and half-requests held open against every port
 * the product opens do not block a shift, while normal traffic keeps 0 failed requests.
 */
class ControlPlaneAttackIT {
    private static final int PORT = 10241;
    private static final int OLD_STATUS_PORT = 10242;
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("cpatk");
    private static final String EDGE = "sctest-" + APP;
    private static final String CONTROL_PLANE = XdsConfig.controlPlaneService(EDGE);
    private static final String HOST = APP + ".webdev.test";
    private static final String TRACK = APP + "-webdev";
    private static final String IMAGE = APP + "-cli:latest";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Cli.Result ensured;

    @BeforeAll
    static void anXdsEdgeEnsuredAsAnOlderPipelineDoes() {
        String controlPlaneImage = Bed.cliImage(IMAGE);
        // --xds-status-port as pipelines written for the published status port still pass it
        ensured = cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image", TestSwarm.ENVOY,
                "--delivery", "xds", "--control-plane-image", controlPlaneImage, "--xds-status-port",
                String.valueOf(OLD_STATUS_PORT), "--probe-host", Bed.PROBE_HOST).ok();
        EdgeAttackIT.deploy(EDGE, APP, HOST, "1.0.0").ok();
        EdgeAttackIT.deploy(EDGE, APP, HOST, "2.0.0").ok(); // the canary, at weight 0
    }

    @AfterAll
    static void cleanUp() {
        swarm.removeTrack(TRACK);
        swarm.removeEdge(EDGE);
        Bed.removeCliImage(IMAGE);
        swarm.close();
    }

    private static String statsToken() {
        return cli().run("canary-token", "--edge", EDGE, "--stats", "--ttl", "5m").ok().stdout().strip();
    }

    private static boolean connects(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return true;
        } catch (Exception refused) {
            return false;
        }
    }

    @Test
    void theControlPlaneAnswersNobodyButTheCliThroughEnvoy() throws Exception {
        String header = EnvoyConfigRenderer.TOKEN_HEADER;
        String stats = statsToken();
        String status = EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH;
        String refresh = EnvoyConfigRenderer.CONTROL_PLANE_REFRESH_PATH;
        assertThat(ensured.stderr() + ensured.stdout()).contains("--xds-status-port is no longer used");

        // the legitimate way works: the CLI's stats token, through the edge's Envoy
        assertThat(Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "GET", status, Map.of(header, stats)))
                .startsWith("HTTP/1.1 200").contains("\"envoys\"").contains("\"routesVersion\"");
        assertThat(Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "POST", refresh, Map.of(header, stats)))
                .startsWith("HTTP/1.1 200");

        Map<String, Boolean> attacks = new LinkedHashMap<>(); // attack -> succeeded
        for (String node : Bed.NODE_HOSTS) {
            attacks.put("status on the old host port of " + node, connects(node, OLD_STATUS_PORT));
            attacks.put("status port 18001 on the host " + node, connects(node, XdsConfig.STATUS_PORT));
            attacks.put("ADS port 18000 on the host " + node, connects(node, XdsConfig.DEFAULT_GRPC_PORT));
        }
        EdgeKey stranger = EdgeKey.generate();
        Map<String, Map<String, String>> credentials = new LinkedHashMap<>();
        credentials.put("no token", Map.of());
        credentials.put("a made-up token", Map.of(header, "x"));
        credentials.put("a stats token of another key", Map.of(header,
                stranger.mint(EnvoyConfigRenderer.STATS_AUDIENCE, Duration.ofMinutes(5), Instant.now())));
        credentials.put("a forcing token", Map.of(header, cli().run("canary-token", "--edge", EDGE, "--app", APP,
                "--env", "webdev").ok().stdout().strip()));
        for (var c : credentials.entrySet()) {
            for (String[] request : List.of(new String[] {"GET", status}, new String[] {"POST", refresh})) {
                String r = Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, request[0], request[1], c.getValue());
                attacks.put(request[0] + " " + request[1] + " with " + c.getKey(),
                        !r.matches("(?s)HTTP/1.1 40[13] .*") || r.contains("envoys"));
            }
        }
        for (String[] request : List.of(new String[] {"GET", status + "?x=1"}, new String[] {"GET", refresh},
                new String[] {"POST", status}, new String[] {"GET", "/swarm-canary/control-plane/../status"},
                new String[] {"GET", "/status"}, new String[] {"POST", "/refresh"})) {
            String r = Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, request[0], request[1], Map.of(header, stats));
            attacks.put("with the token, " + request[0] + " " + request[1], r.contains("envoys"));
        }

        // A hostile container on the apps' network. This machine's outbound interception accepts any TCP connection to an
        // address it cannot route (it even answers HTTP/2), so "connected" proves nothing: a probe counts only the control
        // plane's own answer (its status JSON naming the edge), and the same probes from Envoy's own network namespace
        // must get it (else they prove nothing). ADS shares the status port's address: isolation is per network, not per port.
        DockerSwarmGateway gateway = new DockerSwarmGateway(DockerConnection.fromEnvironment());
        List<String> cpAddresses = gateway.tasks(CONTROL_PLANE).stream().filter(TaskInfo::running)
                .flatMap(t -> t.addresses().stream()).toList();
        assertThat(cpAddresses).isNotEmpty();
        List<String> hosts = concat(List.of("tasks." + CONTROL_PLANE), cpAddresses);
        StringBuilder script = new StringBuilder("if nslookup tasks." + CONTROL_PLANE
                + " >/dev/null 2>&1; then echo RESOLVES; else echo UNRESOLVED; fi; ");
        for (String host : hosts) {
            script.append("if timeout 5 wget -q -O - http://").append(host).append(':').append(XdsConfig.STATUS_PORT)
                    .append("/status 2>/dev/null | grep -q '").append(EDGE).append("'; then echo OPEN ").append(host)
                    .append("; else echo CLOSED ").append(host).append("; fi; ");
            // and try to open an ADS stream (an HTTP/2 preface): it must never show up as a stream of the control plane
            script.append("printf 'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n' | timeout 5 nc ").append(host).append(' ')
                    .append(XdsConfig.DEFAULT_GRPC_PORT).append(" >/dev/null 2>&1; ");
        }
        script.append("true"); // the verdict is in the output: a refused or timed-out last probe is no error of the run
        String envoyContainer = Bed.docker("ps", "-q", "--filter", "label=com.docker.swarm.service.name=" + EDGE).strip()
                .lines().findFirst().orElseThrow();
        String fromEnvoy = Bed.docker("run", "--rm", "--network", "container:" + envoyContainer, "--entrypoint", "/bin/sh",
                TestSwarm.TESTAPP, "-c", script.toString());
        assertThat(fromEnvoy).as("the probes reach the control plane from Envoy's own network (else they prove nothing)")
                .contains("RESOLVES").doesNotContain("CLOSED");
        String seen = Bed.docker("run", "--rm", "--network", EDGE + "-net", "--entrypoint", "/bin/sh", TestSwarm.TESTAPP,
                "-c", script.toString());
        attacks.put("from the apps' network, resolve tasks." + CONTROL_PLANE, !seen.contains("UNRESOLVED"));
        for (String host : hosts) {
            attacks.put("from the apps' network, read the status at " + host, !seen.contains("CLOSED " + host));
        }
        List<String> envoyAddresses = gateway.tasks(EDGE).stream().filter(TaskInfo::running)
                .flatMap(t -> t.addresses().stream()).toList();
        JsonNode streams = JSON.readTree(Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "GET", status, Map.of(header, stats))
                .split("\r\n\r\n", 2)[1]).path("envoys");
        assertThat(streams.size()).isPositive();
        for (JsonNode stream : streams) {
            attacks.put("an ADS stream from " + stream.path("address").asText(),
                    !envoyAddresses.contains(stream.path("address").asText()));
        }
        boolean attached;
        try {
            Bed.docker("run", "--rm", "--network", XdsConfig.controlPlaneNetwork(EDGE), TestSwarm.TESTAPP, "true");
            attached = true;
        } catch (AssertionError refused) {
            attached = false;
        }
        attacks.put("a plain container joins the control plane's network", attached);

        long succeeded = attacks.values().stream().filter(b -> b).count();
        System.out.println("control plane attacks tried: " + attacks.size() + ", succeeded: " + succeeded);
        assertThat(attacks).as("attacks that succeeded").allSatisfy((attack, worked) -> assertThat(worked).as(attack).isFalse());
    }

    @Test
    void itsContainerIsLockedDownAndItsNetworkIsInternal() throws Exception {
        JsonNode spec = JSON.readTree(Bed.docker("service", "inspect", "--format", "{{json .Spec}}", CONTROL_PLANE));
        JsonNode container = spec.at("/TaskTemplate/ContainerSpec");
        assertThat(container.path("ReadOnly").asBoolean()).isTrue();
        assertThat(container.path("CapabilityDrop").toString()).isEqualTo("[\"ALL\"]");
        assertThat(container.at("/Mounts/0/ReadOnly").asBoolean()).isTrue();
        assertThat(spec.at("/EndpointSpec/Ports").size()).isZero();
        assertThat(spec.at("/TaskTemplate/Networks").size()).isEqualTo(1);
        JsonNode network = JSON.readTree(Bed.docker("network", "inspect", "--format", "{{json .}}",
                XdsConfig.controlPlaneNetwork(EDGE)));
        assertThat(network.path("Id").asText()).isEqualTo(spec.at("/TaskTemplate/Networks/0/Target").asText());
        assertThat(network.path("Internal").asBoolean()).isTrue();
        assertThat(network.path("Attachable").asBoolean()).isFalse();
    }

    @Test
    void halfRequestsOnEveryPortTheProductOpensDoNotBlockAShiftAndNormalTrafficNeverFails() throws Exception {
        // the product opens the edge's listener on every node; the control plane opens none any more (checked above)
        List<Socket> slow = new ArrayList<>();
        Traffic.Steady normal = null;
        try {
            for (int i = 0; i < 200; i++) {
                for (String node : Bed.NODE_HOSTS) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(node, PORT), 2000);
                    OutputStream o = s.getOutputStream();
                    o.write(("GET / HTTP/1.1\r\nHost: " + EnvoyConfigRenderer.STATS_HOST + "\r\nx-a: ").getBytes(StandardCharsets.US_ASCII));
                    o.flush();
                    slow.add(s);
                }
            }
            normal = new Traffic.Steady(PORT, HOST);
            long started = System.nanoTime();
            Cli.Result shifted = cli().run("shift", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP,
                    "--env", "webdev", "--weight", "50", "--converge-timeout", "60s");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            shifted.ok();
            System.out.println("shift under " + slow.size() + " half-requests took " + took.toMillis() + " ms");
            assertThat(took).isLessThan(Duration.ofSeconds(60));
            assertThat(Traffic.sample(PORT, HOST, 40, Map.of()).keySet()).contains("version=2.0.0");
            cli().run("shift", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev",
                    "--weight", "0").ok();
        } finally {
            if (normal != null) {
                normal.close();
            }
            for (Socket s : slow) {
                s.close();
            }
        }
        System.out.println("normal requests during the slowloris: " + normal.sent() + ", failed: " + normal.failed());
        assertThat(normal.sent()).isPositive();
        assertThat(normal.failed()).as("failed normal requests of %d", normal.sent()).isZero();
    }

    /**
     * Mutual TLS on ADS: a process in an Envoy's own network namespace (the one place that reaches ADS; it has the same
     * address as that Envoy, so the peer-address check alone would count its ACKs as the Envoy's) runs a real gRPC ADS
     * client (Envoy itself, without the Envoy's secret files): plaintext, TLS without a client certificate, and a client
     * certificate of another CA. None opens a stream (no stream of theirs in the control plane's status, so no fake
     * ACK or NACK), while the edge's Envoys stay connected and a shift still converges.
     */
    @Test
    void withoutTheEdgesClientCertificateNothingOpensAnAdsStream() throws Exception {
        assertThat(ensured.stderr() + ensured.stdout()).contains("creating ADS certificates");
        JsonNode cp = JSON.readTree(Bed.docker("service", "inspect", "--format", "{{json .Spec.TaskTemplate.ContainerSpec}}",
                CONTROL_PLANE));
        assertThat(cp.path("Args").toString()).contains("--tls-ca").contains("--tls-cert").contains("--tls-key");
        assertThat(cp.path("Secrets").size()).isEqualTo(3);
        JsonNode envoySpec = JSON.readTree(Bed.docker("service", "inspect", "--format",
                "{{json .Spec.TaskTemplate.ContainerSpec}}", EDGE));
        assertThat(envoySpec.path("Secrets").toString()).contains("/etc/envoy/xds/client.key").contains("\"Mode\":256");
        String header = EnvoyConfigRenderer.TOKEN_HEADER;
        String stats = statsToken();
        String status = EnvoyConfigRenderer.CONTROL_PLANE_STATUS_PATH;
        AdsPki.Generation foreign = AdsPki.issue(EDGE, Instant.now()); // same edge name and identity, another CA
        Map<String, com.fasterxml.jackson.databind.node.ObjectNode> attackers = new LinkedHashMap<>();
        attackers.put("plaintext gRPC", null);
        attackers.put("TLS without a client certificate", tls(null));
        attackers.put("a client certificate of another CA", tls(foreign));
        StringBuilder script = new StringBuilder("mkdir -p /tmp/atk && cd /tmp/atk\n");
        for (AdsPki.Part p : List.of(AdsPki.Part.CLIENT_CERT, AdsPki.Part.CLIENT_KEY)) {
            script.append("cat > ").append(p.file).append(" <<'PEM'\n")
                    .append(new String(foreign.pem().get(p), StandardCharsets.US_ASCII)).append("PEM\n");
        }
        int i = 0;
        for (var a : attackers.entrySet()) {
            script.append("cat > a").append(i).append(".yaml <<'YAML'\n").append(JSON.writeValueAsString(attacker(i, a.getValue())))
                    .append("\nYAML\n");
            script.append("timeout 20 envoy -c a").append(i).append(".yaml --disable-hot-restart -l info > a").append(i)
                    .append(".log 2>&1 &\n");
            i++;
        }
        script.append("wait\nfor f in a*.log; do echo \"== $f\"; grep -ciE 'ssl|tls|stream closed|remote reset' $f; done\n");
        String envoyContainer = Bed.docker("ps", "-q", "--filter", "label=com.docker.swarm.service.name=" + EDGE).strip()
                .lines().findFirst().orElseThrow();
        java.util.concurrent.CompletableFuture<String> run = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                Bed.docker("run", "-i", "--rm", "--network", "container:" + envoyContainer, "--entrypoint", "/bin/sh",
                        TestSwarm.ENVOY, "-s", "<<" + script));
        java.util.Set<String> seenNodes = new java.util.TreeSet<>();
        int maxStreams = 0;
        Traffic.Steady normal = new Traffic.Steady(PORT, HOST);
        try {
            while (!run.isDone()) {
                String r = Traffic.raw(PORT, EnvoyConfigRenderer.STATS_HOST, "GET", status, Map.of(header, stats));
                if (r.startsWith("HTTP/1.1 200")) {
                    JsonNode envoys = JSON.readTree(r.split("\r\n\r\n", 2)[1]).path("envoys");
                    maxStreams = Math.max(maxStreams, envoys.size());
                    envoys.forEach(e -> seenNodes.add(e.path("node").asText()));
                }
                Thread.sleep(500);
            }
            System.out.println("ADS attackers ran: " + run.get().replace('\n', ' '));
            Cli.Result shifted = cli().run("shift", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP,
                    "--env", "webdev", "--weight", "50", "--converge-timeout", "60s");
            shifted.ok();
            cli().run("shift", "--edge", EDGE, "--probe-host", Bed.PROBE_HOST, "--app", APP, "--env", "webdev",
                    "--weight", "0").ok();
        } finally {
            normal.close();
        }
        long envoyTasks = new DockerSwarmGateway(DockerConnection.fromEnvironment()).tasks(EDGE).stream()
                .filter(t -> t.wanted() && t.running()).count();
        Map<String, Boolean> attacks = new LinkedHashMap<>();
        i = 0;
        for (String attack : attackers.keySet()) {
            attacks.put("an ADS stream (and so an ACK) with " + attack, seenNodes.contains("attacker-" + i++));
        }
        attacks.put("more ADS streams than Envoy tasks (" + envoyTasks + ")", maxStreams > envoyTasks);
        long succeeded = attacks.values().stream().filter(b -> b).count();
        System.out.println("ADS attacks tried: " + attacks.size() + ", succeeded: " + succeeded + "; nodes seen " + seenNodes
                + "; normal requests " + normal.sent() + ", failed " + normal.failed());
        assertThat(seenNodes).as("the edge's Envoys kept their streams").contains(EDGE);
        assertThat(attacks).as("attacks that succeeded").allSatisfy((attack, worked) -> assertThat(worked).as(attack).isFalse());
        assertThat(normal.failed()).as("failed normal requests of %d", normal.sent()).isZero();
    }

    @Test
    void aSecondEnsureReusesTheAdsCertificatesAndRestartsNothing() {
        String envoyVersion = Bed.docker("service", "inspect", "--format", "{{.Version.Index}}", EDGE).strip();
        String secrets = Bed.docker("secret", "ls", "-q", "--filter", "label=io.swarm-canary.kind=" + AdsPki.KIND,
                "--filter", "label=io.swarm-canary.edge=" + EDGE).strip();
        String cpTasks = Bed.docker("service", "ps", "-q", "--filter", "desired-state=running", CONTROL_PLANE).strip();
        Cli.Result again = cli().run("edge", "ensure", "--edge", EDGE, "--port", String.valueOf(PORT), "--image",
                TestSwarm.ENVOY, "--delivery", "xds", "--control-plane-image", Bed.cliImage(IMAGE), "--probe-host",
                Bed.PROBE_HOST).ok();
        assertThat(again.stderr() + again.stdout()).doesNotContain("ADS certificates");
        assertThat(Bed.docker("secret", "ls", "-q", "--filter", "label=io.swarm-canary.kind=" + AdsPki.KIND,
                "--filter", "label=io.swarm-canary.edge=" + EDGE).strip()).isEqualTo(secrets).isNotEmpty();
        assertThat(secrets.lines().count()).isEqualTo(5);
        assertThat(Bed.docker("service", "inspect", "--format", "{{.Version.Index}}", EDGE).strip()).isEqualTo(envoyVersion);
        assertThat(Bed.docker("service", "ps", "-q", "--filter", "desired-state=running", CONTROL_PLANE).strip())
                .isEqualTo(cpTasks);
    }

    /** An upstream TLS socket to the control plane: h2, no check of its certificate (an attacker does not care). */
    private static com.fasterxml.jackson.databind.node.ObjectNode tls(AdsPki.Generation client) {
        com.fasterxml.jackson.databind.node.ObjectNode socket = JSON.createObjectNode().put("name", "envoy.transport_sockets.tls");
        com.fasterxml.jackson.databind.node.ObjectNode common = socket.putObject("typed_config")
                .put("@type", "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext")
                .putObject("common_tls_context");
        common.putArray("alpn_protocols").add("h2");
        if (client != null) {
            com.fasterxml.jackson.databind.node.ObjectNode cert = common.putArray("tls_certificates").addObject();
            cert.putObject("certificate_chain").put("filename", "/tmp/atk/" + AdsPki.Part.CLIENT_CERT.file);
            cert.putObject("private_key").put("filename", "/tmp/atk/" + AdsPki.Part.CLIENT_KEY.file);
        }
        return socket;
    }

    /** A bootstrap that only opens ADS to the edge's control plane as node attacker-N. */
    private static com.fasterxml.jackson.databind.node.ObjectNode attacker(int n,
                                                                          com.fasterxml.jackson.databind.node.ObjectNode socket) {
        com.fasterxml.jackson.databind.node.ObjectNode root = JSON.createObjectNode();
        root.putObject("node").put("id", "attacker-" + n).put("cluster", "attacker");
        com.fasterxml.jackson.databind.node.ObjectNode dynamic = root.putObject("dynamic_resources");
        dynamic.putObject("ads_config").put("api_type", "GRPC").put("transport_api_version", "V3")
                .putArray("grpc_services").addObject().putObject("envoy_grpc").put("cluster_name", "xds");
        dynamic.putObject("cds_config").put("resource_api_version", "V3").putObject("ads");
        com.fasterxml.jackson.databind.node.ObjectNode cluster = root.putObject("static_resources").putArray("clusters")
                .addObject().put("name", "xds").put("type", "STRICT_DNS").put("connect_timeout", "2s");
        cluster.putObject("typed_extension_protocol_options").putObject("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                .put("@type", "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
                .putObject("explicit_http_config").putObject("http2_protocol_options");
        cluster.putObject("load_assignment").put("cluster_name", "xds").putArray("endpoints").addObject()
                .putArray("lb_endpoints").addObject().putObject("endpoint").putObject("address").putObject("socket_address")
                .put("address", "tasks." + CONTROL_PLANE).put("port_value", XdsConfig.DEFAULT_GRPC_PORT);
        if (socket != null) {
            cluster.set("transport_socket", socket);
        }
        return root;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
