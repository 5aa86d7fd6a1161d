package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.testing.FakeSwarm;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * swarm-canary next on an in-memory swarm: its options, its answer read from the edge and the releases, and its JSON
 * (the fixtures under cli-json/ that the Groovy step tests answer with).
 */
class NextCommandTest {
    static final String EDGE = "envoy";
    final FakeSwarm swarm = new FakeSwarm();
    final Track files = new Track("files", "webdev");
    final EdgeManager edges = new EdgeManager(swarm, swarm.liveEdge(EDGE), Clock.systemUTC(), Duration.ofMillis(400));

    @BeforeEach
    void anEdge() {
        swarm.images.add("envoy");
        edges.ensure(new EdgeSettings(EDGE, "envoy", 10000, List.of("envoy-net"), List.of(), null, null),
                Optional.empty(), false, Progress.SILENT);
    }

    String release(String version, String createdAt) {
        String name = files.name() + "-" + version.replace('.', '_');
        Map<String, String> labels = Labels.ofTrack(files, "release");
        labels.put(Labels.VERSION, version);
        labels.put(Labels.PORT, "8080");
        labels.put(Labels.DOMAINS, "files.webdev.example.com");
        labels.put(Labels.EDGE, EDGE);
        swarm.createService(ServiceDefinition.replicated(name, "img", 1, labels, Map.of(), List.of(), List.of("envoy-net"),
                List.of(), List.of(), null, List.of()));
        ServiceInfo s = swarm.services.get(name);
        swarm.services.put(name, new ServiceInfo(s.id(), s.name(), s.versionIndex(), s.labels(), s.image(), s.replicas(),
                s.secretNames(), s.networkIds(), createdAt));
        return name;
    }

    void route(RouteTable.TrackEntry entry) {
        edges.updateTrack(EDGE, files.name(), (current, releases) -> entry, Progress.SILENT);
    }

    /** The command as a user runs it, on this swarm: its JSON answer. */
    JsonNode next(String... args) {
        return CliJsonFixtures.parse(answer(args));
    }

    String answer(String... args) {
        CommandLine cli = new FakeCluster(swarm, edges).commandLine(Map.of());
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        List<String> argv = new java.util.ArrayList<>(List.of("next"));
        argv.addAll(List.of(args));
        assertThat(cli.execute(argv.toArray(String[]::new))).isZero();
        return out.toString();
    }

    static final String[] CANARY = {"--app", "files", "--env", "webdev", "--version", "1.0.10", "--output", "json"};

    @Test
    void aCanaryAt25ResumesWithItsGate() {
        String v9 = release("1.0.9", "2026-01-01T00:00:00Z");
        String v10 = release("1.0.10", "2026-01-02T00:00:00Z");
        route(new RouteTable.TrackEntry(Map.of(v9, 75, v10, 25), v10, v9, null, List.of()));
        JsonNode d = next(CANARY);
        assertThat(d.get("phase").asText()).isEqualTo("canary at 25%");
        assertThat(d.get("canaryIsThisVersion").asBoolean()).isTrue();
        assertThat(d.get("weight").asInt()).isEqualTo(25);
        assertThat(d.get("weights").toString()).isEqualTo("{\"1.0.9\":75,\"1.0.10\":25}");
        assertThat(d.get("next").get("action").asText()).isEqualTo("gate");
        assertThat(d.get("next").get("weight").asInt()).isEqualTo(25);
        assertThat(d.get("service").asText()).isEqualTo("files-webdev-1_0_10");
    }

    @Test
    void textForPeople() {
        String v9 = release("1.0.9", "2026-01-01T00:00:00Z");
        String v10 = release("1.0.10", "2026-01-02T00:00:00Z");
        route(new RouteTable.TrackEntry(Map.of(v9, 100, v10, 0), v10, v9, null, List.of()));
        assertThat(answer("--app", "files", "--env", "webdev", "--version", "1.0.10", "--steps", "50,100"))
                .contains("track files-webdev: canary at 0%").contains("files-webdev-1_0_10 is the track's canary, at 0%")
                .contains("  shift 50%").contains("  gate 50%").contains("  promote 100%");
    }

    @Test
    void withoutAnEdgeTheTrackIsUnrouted() {
        swarm.services.remove(EDGE);
        release("1.0.10", "2026-01-02T00:00:00Z");
        assertThat(next(CANARY).get("next").get("action").asText()).isEqualTo("unrouted");
    }

    @Test
    void badInputIsExit2WithTheReasonAsJsonAndNeverAsksDocker() {
        for (String[] bad : List.of(new String[] {"--steps", "25,5"}, new String[] {"--steps", "0,50"},
                new String[] {"--steps", "5,x"}, new String[] {"--version", "1.0 10"}, new String[] {"--app", "fi.les"})) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = SwarmCanary.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            List<String> args = new java.util.ArrayList<>(List.of("next", "--app", "files", "--env", "webdev", "--version", "1.0.10",
                    "--output", "json"));
            args.addAll(List.of(bad));
            assertThat(cli.execute(args.toArray(String[]::new))).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(CliJsonFixtures.parse(out.toString()).get("error").get("kind").asText()).isEqualTo("bad-input");
            assertThat(err.toString()).doesNotContain("cannot reach the Docker engine");
        }
        assertThat(SwarmCanary.commandLine().execute("next", "--help")).isZero();
    }

    /** The JSON the step tests' fake CLI answers with: one fixture per situation the deploy step meets. */
    @Test
    void theFixturesAreWhatTheCommandPrints() {
        String v9 = release("1.0.9", "2026-01-01T00:00:00Z");
        String v10 = release("1.0.10", "2026-01-02T00:00:00Z");
        route(new RouteTable.TrackEntry(Map.of(v9, 100, v10, 0), v10, v9, null, List.of()));
        CliJsonFixtures.check("next-canary-at-0", answer(CANARY));
        String[] noGates = java.util.stream.Stream.concat(java.util.Arrays.stream(CANARY), java.util.stream.Stream.of("--no-gates"))
                .toArray(String[]::new);
        CliJsonFixtures.check("next-canary-at-0-no-gates", answer(noGates));
        route(new RouteTable.TrackEntry(Map.of(v9, 0, v10, 100), null, v10, v9, List.of()));
        CliJsonFixtures.check("next-promoted", answer(CANARY));
    }
}
