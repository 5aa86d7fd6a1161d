package io.swarmcanary.release;

import static io.swarmcanary.testing.Cli.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.swarmcanary.testing.Bed;
import io.swarmcanary.testing.Cli;
import io.swarmcanary.testing.TestSwarm;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad input: a clear message, exit code 2, and nothing created on the real swarm. */
class BadInputIT {
    private static final String SECRET_VALUE = "never-print-me-9981";
    private static final TestSwarm swarm = new TestSwarm();
    private static final String APP = TestSwarm.uniqueApp("bad");

    @BeforeAll
    static void noReleaseYet() {
        assertThat(swarm.servicesOfTrack(APP + "-webdev")).isEmpty();
    }

    @AfterAll
    static void close() {
        swarm.removeTrack(APP + "-webdev");
        swarm.close();
    }

    static Stream<Arguments> badInputs() {
        String tooLong = "v" + "1".repeat(60);
        return Stream.of(
                Arguments.of("app with a space", List.of("--app", "my app"), "invalid --app"),
                Arguments.of("app with a shell metacharacter", List.of("--app", "files;rm"), "invalid --app"),
                Arguments.of("env with a dot", List.of("--env", "web.dev"), "invalid --env"),
                Arguments.of("version with a slash", List.of("--version", "1/0"), "invalid --version"),
                Arguments.of("name over 63 characters", List.of("--version", tooLong), "allow 63"),
                Arguments.of("zero replicas", List.of("--replicas", "0"), "--replicas must be at least 1"),
                Arguments.of("port 0", List.of("--port", "0"), "--port must be between 1 and 65535"),
                Arguments.of("port 70000", List.of("--port", "70000"), "--port must be between 1 and 65535"),
                Arguments.of("unknown network", List.of("--network", "no-such-network-xyz"), "network 'no-such-network-xyz' does not exist"),
                Arguments.of("secret from a missing variable", List.of("--secret", "db=env:NOT_SET_ANYWHERE"), "NOT_SET_ANYWHERE is not set"),
                Arguments.of("secret from a missing file", List.of("--secret", "db=file:/no/such/file"), "/no/such/file does not exist"),
                Arguments.of("the same secret twice", List.of("--secret", "db=env:SECRET", "--secret", "db=env:SECRET"), "given twice"),
                Arguments.of("secret value on the command line", List.of("--secret", "db=" + SECRET_VALUE), "never accepted on the command line"),
                Arguments.of("missing image", List.of("--image", Bed.image("swarm-canary/nothing-here:0")), "does not exist on node"),
                Arguments.of("bad domain", List.of("--domain", "evil.com\n  - inject: true"), "invalid --domain"),
                Arguments.of("bad env variable", List.of("--env", "webdev", "--env", "=x"), "invalid --env"),
                Arguments.of("bad timeout", List.of("--timeout", "soon"), "cannot read duration"),
                Arguments.of("non-numeric replicas", List.of("--replicas", "many"), "replicas"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputChangesNothing(String what, List<String> override, String message) {
        List<String> args = new ArrayList<>(List.of("deploy"));
        List<String> defaults = List.of("--app", APP, "--env", "webdev", "--version", "1.0.0", "--image", TestSwarm.TESTAPP);
        for (int i = 0; i < defaults.size(); i += 2) {
            if (!override.contains(defaults.get(i))) {
                args.add(defaults.get(i));
                args.add(defaults.get(i + 1));
            }
        }
        args.addAll(override);
        Cli.Result r = cli().env("SECRET", SECRET_VALUE).run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).as(r.toString()).contains(message);
        assertThat(r.all()).doesNotContain(SECRET_VALUE);
        assertThat(swarm.servicesOfTrack(APP + "-webdev")).isEmpty();
        assertThat(swarm.secretsOfTrack(APP + "-webdev")).isEmpty();
    }
}
