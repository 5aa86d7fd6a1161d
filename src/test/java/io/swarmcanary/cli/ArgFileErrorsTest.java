package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The Jenkins steps pass every argument, --output json too, in one @file: a rejected option is still a JSON error. */
class ArgFileErrorsTest {
    @TempDir Path dir;

    @Test
    void anOptionPicocliRejectsInAnArgFileIsAJsonErrorNamingTheReason() throws Exception {
        Path args = dir.resolve("args");
        // as swarmCanaryExecute writes it: one argument a line, in double quotes
        Files.writeString(args, String.join("\n", "\"deploy\"", "\"--app\"", "\"files\"", "\"--env\"", "\"webdev\"",
                "\"--version\"", "\"1.0.0\"", "\"--image\"", "\"testapp:1\"", "\"--replicas\"", "\"2.5\"", "\"--output\"", "\"json\"") + "\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SwarmCanary.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int code = cli.execute("@" + args);

        assertThat(code).isEqualTo(SwarmCanary.EXIT_BAD_INPUT);
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.toString()).contains("2.5").contains("replicas");
        assertThat(err.toString()).contains("Nothing was changed");
    }

    @Test
    void withoutJsonInTheArgFileNothingIsPrintedOnStdout() throws Exception {
        Path args = dir.resolve("args");
        Files.writeString(args, "deploy --app files --env webdev --version 1.0.0 --image testapp:1 --replicas 2.5\n");
        StringWriter out = new StringWriter();
        CommandLine cli = SwarmCanary.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));

        assertThat(cli.execute("@" + args)).isEqualTo(SwarmCanary.EXIT_BAD_INPUT);
        assertThat(out.toString()).isEmpty();
        assertThat(SwarmCanary.wantsJson(new String[] {"@" + dir.resolve("missing")})).isFalse();
    }
}
