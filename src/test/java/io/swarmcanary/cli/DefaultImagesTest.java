package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.ProductVersion;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.swarm.ImageLookup;
import io.swarmcanary.testing.FakeSwarm;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What gets docker.sock runs a fully qualified image, pinned to the digest a registry gives for it. */
class DefaultImagesTest {
    static final String DIGEST = "sha256:" + "ab".repeat(32);
    final FakeSwarm swarm = new FakeSwarm();
    final EdgeManager edges = new EdgeManager(swarm, port -> Optional.empty(), Clock.systemUTC(), Duration.ofMillis(100));

    @Test
    void theControlPlaneDefaultsToThisVersionsQualifiedImagePinnedToItsDigest() {
        String image = ProductVersion.controlPlaneImage();
        assertThat(image).startsWith("ghcr.io/swarm-canary/cli:").endsWith(":" + ProductVersion.current());
        swarm.images.add("docker.io/envoyproxy/envoy:v1.34-latest");
        swarm.registry.put(image, found("ghcr.io"));

        String plan = cli("edge", "ensure", "--edge", "envoy", "--delivery", "xds", "--dry-run");

        assertThat(plan).contains("control plane: would create it (image " + image + "@" + DIGEST + ")");
        assertThat(swarm.services).isEmpty();
    }

    @Test
    void aNewEdgeWithoutDeliveryGetsXdsAndThisVersionsControlPlane() {
        String image = ProductVersion.controlPlaneImage();
        swarm.images.add("docker.io/envoyproxy/envoy:v1.34-latest");
        swarm.registry.put(image, found("ghcr.io"));

        String plan = cli("edge", "ensure", "--edge", "envoy", "--dry-run");

        assertThat(plan).contains("(delivery xds,").contains("control plane: would create it (image " + image + "@" + DIGEST + ")");
        assertThat(swarm.services).isEmpty();
    }

    @Test
    void anExistingRedeployEdgeKeepsItsDeliveryWithoutTheFlag() {
        swarm.images.add("envoy");
        new EdgeManager(swarm, swarm.liveEdge("envoy"), Clock.systemUTC(), Duration.ofMillis(400)).ensure(
                new EdgeSettings("envoy", "envoy", 10000, List.of("envoy-net"), List.of(), null, EdgeSettings.REDEPLOY),
                Optional.empty(), false, io.swarmcanary.release.Progress.SILENT);

        String plan = cli("edge", "ensure", "--edge", "envoy", "--image", "envoy", "--dry-run");

        assertThat(plan).contains("(delivery redeploy,").doesNotContain("control plane: would create");
    }

    @Test
    void aControlPlaneImageAsksForXdsAndIsRefusedWithRedeploy() {
        swarm.images.add("envoy");
        swarm.images.add("swarm-canary/cli:latest");
        new EdgeManager(swarm, swarm.liveEdge("envoy"), Clock.systemUTC(), Duration.ofMillis(400)).ensure(
                new EdgeSettings("envoy", "envoy", 10000, List.of("envoy-net"), List.of(), null, EdgeSettings.REDEPLOY),
                Optional.empty(), false, io.swarmcanary.release.Progress.SILENT);

        assertThat(cli("edge", "ensure", "--edge", "envoy", "--image", "envoy", "--control-plane-image",
                "swarm-canary/cli:latest", "--dry-run")).contains("(delivery xds,").contains("control plane: would create it");
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(Map.of());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("edge", "ensure", "--edge", "envoy", "--delivery", "redeploy", "--control-plane-image",
                "swarm-canary/cli:latest")).isEqualTo(2);
        assertThat(err.toString()).contains("--control-plane-image is the xds delivery's control plane");
    }

    @Test
    void aNewEdgeWhoseControlPlaneImageIsNowhereIsRefusedNamingTheWaysOut() {
        swarm.images.add("docker.io/envoyproxy/envoy:v1.34-latest");
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(Map.of());
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("edge", "ensure", "--edge", "envoy")).isEqualTo(2);

        assertThat(err.toString()).contains("--control-plane-image").contains("--delivery redeploy").contains("Nothing was changed");
        assertThat(swarm.services).isEmpty();
    }

    @Test
    void aControlPlaneImageNoRegistryKnowsButTheNodeHasRunsAsGiven() {
        swarm.images.add("docker.io/envoyproxy/envoy:v1.34-latest");
        swarm.images.add("swarm-canary/cli:latest"); // the one-node bed: built here, no registry

        String plan = cli("edge", "ensure", "--edge", "envoy", "--delivery", "xds", "--control-plane-image",
                "swarm-canary/cli:latest", "--dry-run");

        assertThat(plan).contains("control plane: would create it (image swarm-canary/cli:latest)");
    }

    @Test
    void thePruneJobsDefaultImageIsTheDockerProjectsOwnFullyQualified() {
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(Map.of());
        assertThat(cli.getSubcommands().get("prune").getCommandSpec().findOption("--prune-image").defaultValue())
                .isEqualTo("docker.io/library/docker:27-cli");
    }

    @Test
    void anImageThatGetsDockerSockAndNamesNoRegistryIsWarnedAbout() {
        assertThat(io.swarmcanary.release.ImageResolver.unqualifiedWarning("swarm-canary/cli:latest", "control plane image"))
                .hasValueSatisfying(w -> assertThat(w).contains("pulls docker.io/swarm-canary/cli:latest"));
        assertThat(io.swarmcanary.release.ImageResolver.unqualifiedWarning("docker:27-cli", "--prune-image"))
                .hasValueSatisfying(w -> assertThat(w).contains("docker.io/library/docker:27-cli"));
        for (String qualified : List.of(ProductVersion.controlPlaneImage(), "docker.io/library/docker:27-cli",
                "198.18.0.1:5000/swarm-canary/cli:latest", "localhost/swarm-canary/cli:latest")) {
            assertThat(io.swarmcanary.release.ImageResolver.unqualifiedWarning(qualified, "image")).as(qualified).isEmpty();
        }
    }

    static ImageLookup found(String registry) {
        return new ImageLookup(ImageLookup.Result.FOUND, registry, DIGEST, List.of(), null, false);
    }

    String cli(String... argv) {
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(Map.of());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(argv);
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }
}
