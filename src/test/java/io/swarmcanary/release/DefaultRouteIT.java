package io.swarmcanary.release;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The default-route report checked against the route table inside a running task. */
class DefaultRouteIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final TestSwarm swarm = new TestSwarm();
    private final String app = TestSwarm.uniqueApp("rte");
    private final List<String> networks = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        swarm.removeTrack(app + "-webdev");
        TestSwarm.sleep(2000); // task endpoints leave the networks shortly after the service
        for (String n : networks) {
            for (int attempt = 0; attempt < 20; attempt++) {
                try {
                    swarm.docker.removeNetworkCmd(n).exec();
                    break;
                } catch (RuntimeException stillInUse) {
                    TestSwarm.sleep(500);
                }
            }
        }
        swarm.close();
    }

    /** docker-java cannot set a network's scope: the docker CLI makes the swarm-scoped bridges. */
    private String network(String name, String... options) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker", "network", "create"));
        command.addAll(List.of(options));
        command.add(name);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        networks.add(name);
        return name;
    }

    /** A swarm-scoped bridge's subnet is per node: read it on the node that runs the service's task. */
    private String gatewayOf(String network, String service) {
        var node = io.swarmcanary.testing.Bed.nodeOf(swarm.docker, swarm.containerOf(service));
        return node.inspectNetworkCmd().withNetworkId(network).exec().getIpam().getConfig().get(0).getGateway();
    }

    private String defaultGatewayInside(String service) {
        String routes = swarm.exec(swarm.containerOf(service), "ip", "route");
        Matcher m = Pattern.compile("default via (\\S+)").matcher(routes);
        assertThat(m.find()).as(routes).isTrue();
        return m.group(1);
    }

    private JsonNode deploy(String... networkArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("deploy", "--app", app, "--env", "webdev", "--version", "1.0.0",
                "--image", TestSwarm.TESTAPP, "--output", "json", "--edge", "no-edge-here"));
        for (String n : networkArgs) {
            args.add("--network");
            args.add(n);
        }
        Cli.Result r = cli().run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return JSON.readTree(r.stdout());
    }

    @Test
    void theLexicallyFirstNetworkWithAGatewayGivesTheDefaultRouteAndABackEndWinnerIsWarnedAbout() throws Exception {
        // swarm-scoped bridges have gateways, so their names decide; the back end sorts first here
        String back = network(app + "-aa_backend", "--scope", "swarm", "--driver", "bridge");
        String front = network(app + "-zz_public", "--scope", "swarm", "--driver", "bridge");
        JsonNode result = deploy(front, back);
        assertThat(result.path("defaultRouteNetwork").asText()).isEqualTo(back);
        assertThat(result.path("warnings").toString()).contains("back-end");
        assertThat(defaultGatewayInside(app + "-webdev-1_0_0")).isEqualTo(gatewayOf(back, app + "-webdev-1_0_0"));
    }

    @Test
    void onOverlaysOnlyTheDefaultRouteGoesThroughDockerGwbridge() throws Exception {
        String overlay = network(app + "-overlay", "--driver", "overlay", "--attachable");
        JsonNode result = deploy(overlay);
        assertThat(result.path("defaultRouteNetwork").asText()).isEqualTo("docker_gwbridge");
        assertThat(result.path("warnings")).isEmpty();
        assertThat(defaultGatewayInside(app + "-webdev-1_0_0")).isEqualTo(gatewayOf("docker_gwbridge", app + "-webdev-1_0_0"));
    }

    @Test
    void aLocalScopedNetworkIsRefusedBeforeAnythingIsCreated() throws Exception {
        String local = network(app + "-local", "--driver", "bridge");
        Cli.Result r = cli().run("deploy", "--app", app, "--env", "webdev", "--version", "1.0.0",
                "--image", TestSwarm.TESTAPP, "--network", local);
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains("swarm-scoped");
        assertThat(swarm.servicesOfTrack(app + "-webdev")).isEmpty();
    }
}
