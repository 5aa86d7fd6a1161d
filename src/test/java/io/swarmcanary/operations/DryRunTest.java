package io.swarmcanary.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.edge.EdgeProbe;
import io.swarmcanary.edge.EdgeSettings;
import io.swarmcanary.edge.RouteTable;
import io.swarmcanary.release.Deployer;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.SecretSource;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.ServiceDefinition;
import io.swarmcanary.swarm.ServiceInfo;
import io.swarmcanary.swarm.SwarmGateway;
import io.swarmcanary.testing.FakeSwarm;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A dry run reads the cluster, decides as the real run would, and writes nothing: every operation's plan runs against a
 * gateway that fails on any write, and its weights and revision are what the real run then applies.
 */
class DryRunTest {
    static final String EDGE = "edge";
    static final ObjectMapper JSON = new ObjectMapper();
    final FakeSwarm swarm = new FakeSwarm();
    final Track files = new Track("files", "prod");
    /** The gateway a dry run gets: reads go to the fake swarm, any write fails the test. */
    final List<String> writes = new ArrayList<>();
    final SwarmGateway readOnly = (SwarmGateway) Proxy.newProxyInstance(SwarmGateway.class.getClassLoader(),
            new Class<?>[] {SwarmGateway.class}, (proxy, method, args) -> {
                String name = method.getName();
                if (name.startsWith("create") || name.startsWith("update") && !name.equals("updateState")
                        || name.startsWith("remove")) {
                    writes.add(name);
                    throw new AssertionError("a dry run wrote to the cluster: " + name);
                }
                try {
                    return method.invoke(swarm, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    final EdgeProbe probe = swarm.liveEdge(EDGE);
    final Operations real = operations(swarm);
    final Operations dry = operations(readOnly);
    String v1;
    String v2;

    Operations operations(SwarmGateway gateway) {
        return operations(gateway, EDGE);
    }

    Operations operations(SwarmGateway gateway, String edge) {
        return new Operations(gateway, new EdgeManager(gateway, probe, Clock.systemUTC(), Duration.ofSeconds(2)), edge);
    }

    String release(String version, String createdAt) {
        String name = files.name() + "-" + version.replace('.', '_');
        Map<String, String> labels = Labels.ofTrack(files, "release");
        labels.put(Labels.VERSION, version);
        labels.put(Labels.PORT, "8080");
        labels.put(Labels.DOMAINS, "files.example.com");
        labels.put(Labels.EDGE, EDGE);
        swarm.createService(ServiceDefinition.replicated(name, "img", 1, labels, Map.of(), List.of(), List.of("edge-net"),
                List.of(), List.of(), null, List.of()));
        ServiceInfo s = swarm.services.get(name);
        swarm.services.put(name, new ServiceInfo(s.id(), s.name(), s.versionIndex(), s.labels(), s.image(), s.replicas(),
                s.secretNames(), s.networkIds(), createdAt));
        return name;
    }

    /** files runs 1.0.1 as stable and 1.0.2 as its canary at 0%. */
    @BeforeEach
    void aTrackWithACanary() {
        swarm.images.add("envoy");
        swarm.images.add("app:3");
        real.edges().ensure(settings(EDGE), Optional.empty(), false, Progress.SILENT);
        v1 = release("1.0.1", "2026-01-01T00:00:00Z");
        v2 = release("1.0.2", "2026-01-02T00:00:00Z");
        real.edges().updateTrack(EDGE, files.name(), (c, r) ->
                new RouteTable.TrackEntry(Map.of(v1, 100, v2, 0), v2, v1, null, List.of()), Progress.SILENT);
        swarm.calls.clear();
    }

    static EdgeSettings settings(String edge) {
        return new EdgeSettings(edge, "envoy", 10000, List.of(edge + "-net"), List.of(), null, null);
    }

    /** What the cluster holds, to compare before and after a dry run. */
    String snapshot() {
        return swarm.services.toString() + swarm.secrets.keySet() + swarm.configs.keySet() + swarm.networks.keySet();
    }

    @Test
    void aDryShiftPlansTheWeightsTheRealShiftThenApplies() {
        String before = snapshot();
        ShiftOperation.Request request = new ShiftOperation.Request(files, 25, null);
        ShiftPlan plan = dry.shift().plan(request, Progress.SILENT);

        assertThat(writes).isEmpty();
        assertThat(snapshot()).isEqualTo(before);
        assertThat(plan.outcome()).isEqualTo("planned");
        assertThat(plan.dryRun()).isTrue();
        assertThat(plan.weights()).isEqualTo(Map.of("1.0.1", 75, "1.0.2", 25));
        assertThat(plan.before()).containsEntry("1.0.1", 100).containsEntry("1.0.2", 0);
        assertThat(plan.gaining()).containsExactly(v2);
        assertThat(plan.text()).anySatisfy(l -> assertThat(l).contains("would shift files-prod"));

        ShiftResult applied = real.shift().apply(request, Progress.SILENT);
        assertThat(applied.weights()).isEqualTo(plan.weights());
        assertThat(applied.revision()).isEqualTo(plan.revision());
        assertThat(dry.shift().plan(request, Progress.SILENT).outcome()).isEqualTo("unchanged");
    }

    @Test
    void badInputInADryRunIsStillBadInputAndWritesNothing() {
        assertThatThrownBy(() -> dry.shift().plan(new ShiftOperation.Request(files, 101, null), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("between 0 and 100");
        assertThatThrownBy(() -> dry.shift().plan(new ShiftOperation.Request(files, null, Map.of("9.9.9", 10)), Progress.SILENT))
                .isInstanceOf(UserInputException.class).hasMessageContaining("has no release 9.9.9");
        assertThatThrownBy(() -> dry.promote().plan(new Track("nothing", "prod"), Progress.SILENT))
                .isInstanceOf(UserInputException.class);
        assertThat(writes).isEmpty();
    }

    @Test
    void aDryPromoteAndRollbackSayWhatTheyWouldSetAndRemove() {
        String before = snapshot();
        StepPlan promote = dry.promote().plan(files, Progress.SILENT);
        assertThat(promote.weights()).containsEntry("1.0.2", 100).containsEntry("1.0.1", 0);
        assertThat(promote.phase()).isEqualTo("promoted");
        assertThat(promote.previous()).isEqualTo(v1);
        assertThat(promote.remove()).isEmpty();

        StepPlan rollback = dry.rollback().plan(files, Progress.SILENT);
        assertThat(rollback.weights()).containsExactlyEntriesOf(Map.of("1.0.1", 100));
        assertThat(rollback.remove()).containsExactly(v2);
        assertThat(rollback.phaseBefore()).isEqualTo("canary at 0%");
        assertThat(rollback.phase()).isEqualTo("stable");
        assertThat(writes).isEmpty();
        assertThat(snapshot()).isEqualTo(before);

        StepResult done = real.rollback().apply(files, Progress.SILENT);
        assertThat(done.weights()).isEqualTo(rollback.weights());
        assertThat(done.removed()).isEqualTo(rollback.remove());
        assertThat(done.phase()).isEqualTo(rollback.phase());
    }

    ReleaseRequest request(String version) {
        return new ReleaseRequest(files, version, "app:3", 2, 8080, List.of("files.example.com"), List.of(),
                List.of(SecretSource.parse("db=env:DB")), List.of(), null, null, List.of(), Duration.ofSeconds(5), true, EDGE);
    }

    @Test
    void aDryDeployChecksTheClaimAndListsWhatItWouldCreate() throws Exception {
        String before = snapshot();
        Deployer deployer = new Deployer(readOnly, Clock.systemUTC(), Map.of("DB", "s3cret"));
        // the track holds a canary: the real deploy would fail with exit 3, so does the dry run
        assertThatThrownBy(() -> dry.deploy().plan(request("1.0.3"), deployer, false, List.of(), Progress.SILENT))
                .isInstanceOf(ConflictException.class).hasMessageContaining("already has a canary");

        DeployPlan plan = dry.deploy().plan(request("1.0.3"), deployer, true, List.of(), Progress.SILENT);
        assertThat(writes).isEmpty();
        assertThat(snapshot()).isEqualTo(before);
        assertThat(plan.outcome()).isEqualTo("create");
        assertThat(plan.service()).isEqualTo("files-prod-1_0_3");
        assertThat(plan.replacedCanary()).containsExactly(v2);
        assertThat(plan.weights()).isEqualTo(Map.of("1.0.1", 100, "1.0.3", 0));
        assertThat(plan.networks()).containsExactly("edge-net"); // attached to the edge's network
        assertThat(plan.secrets()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("db");
            assertThat(s.object()).isNull(); // no naming key in this cluster yet: the deploy makes it
            assertThat(s.create()).isTrue();
        });
        assertThat(JSON.writeValueAsString(plan)).doesNotContain("s3cret");
    }

    @Test
    void aDryEnsureOfANewEdgeCreatesNothing() {
        String before = snapshot();
        EdgeEnsurePlan plan = dry.ensureEdge().plan(new EdgeEnsureOperation.Request(settings("other"), Optional.empty(), false,
                List.of()), Progress.SILENT);
        assertThat(plan.outcome()).isEqualTo("create");
        assertThat(plan.networksToCreate()).containsExactly("other-net");
        assertThat(plan.controlPlane()).isEqualTo("none");
        assertThat(writes).isEmpty();
        assertThat(snapshot()).isEqualTo(before);

        EdgeEnsurePlan again = dry.ensureEdge().plan(new EdgeEnsureOperation.Request(settings(EDGE), Optional.empty(), false,
                List.of()), Progress.SILENT);
        assertThat(again.outcome()).isEqualTo("unchanged");
        assertThat(again.weights().get(files.name())).containsEntry("1.0.1", 100);
    }

    /** The pipeline steps parse these: a result's JSON may gain fields, never lose or rename one. */
    @Test
    void resultsKeepTheJsonFieldsThePipelineStepsRead() throws Exception {
        assertThat(fields(real.shift().apply(new ShiftOperation.Request(files, 10, null), Progress.SILENT)))
                .containsExactly("track", "weights", "edge", "outcome", "revision", "seconds");
        assertThat(fields(real.promote().apply(files, Progress.SILENT))).containsExactly("track", "outcome", "phase", "stable",
                "previous", "weights", "removed", "edge", "revision", "seconds");
        assertThat(fields(real.ensureEdge().apply(new EdgeEnsureOperation.Request(settings(EDGE), Optional.empty(), false,
                List.of("from the file")), Progress.SILENT)))
                .containsExactly("edge", "outcome", "revision", "config", "weights", "warnings", "seconds", "forceCanary");
        assertThat(fields(real.status().read(null))).containsExactly("tracks", "edge", "unrouted", "forceCanary");
        assertThat(fields(operations(swarm, "no-such-edge").status().read(files))).containsExactly("tracks", "unrouted");
        assertThat(fields(new DeployReport("s", "t", "v", io.swarmcanary.release.DeployResult.Outcome.CREATED, List.of(),
                List.of(), null, List.of(), 1, "r", Map.of(), List.of(), true))).containsExactly("service", "track", "version",
                "outcome", "secretsCreated", "secretsReused", "defaultRouteNetwork", "warnings", "seconds", "routing", "weights",
                "replacedCanary");
    }

    static List<String> fields(Object value) throws Exception {
        JsonNode node = JSON.valueToTree(value);
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
