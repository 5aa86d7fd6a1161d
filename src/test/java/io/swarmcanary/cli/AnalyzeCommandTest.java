package io.swarmcanary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** analyze's and report's faces: help that formats, and bad input refused before anything is read or changed. */
class AnalyzeCommandTest {
    private static String usage(String command) {
        return SwarmCanary.commandLine().getSubcommands().get(command).getUsageMessage();
    }

    @Test
    void helpTeachesByExampleAndItsPercentSignsFormat() {
        String analyze = usage("analyze");
        assertThat(analyze).contains("--rollback-on-fail").contains("Exit codes: 0 pass, 1 fail")
                .contains("4 not enough data").contains("(default: 1%)").contains("--traffic mirrored").doesNotContain("%%");
        assertThat(usage("report")).contains("\"type\":\"approval\"").contains("\"step\":\"25%\"")
                .contains("+%Y-%m-%dT%H:%M:%SZ").doesNotContain("%%");
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cli = SwarmCanary.commandLine();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }

    @Test
    void badLimitsAreExitTwoBeforeDockerIsAsked() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "analyze", "--app", "a", "--env", "b", "--window", "0s")).isEqualTo(2);
        assertThat(err.toString()).contains("--window must be between 1s and 1h");
        err = new StringWriter();
        assertThat(run(err, "analyze", "--app", "a", "--env", "b", "--min-requests", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("never a pass");
        err = new StringWriter();
        assertThat(run(err, "analyze", "--app", "a", "--env", "b", "--prometheus-url", "http://p:9090")).isEqualTo(2);
        assertThat(err.toString()).contains("--prometheus-url needs --source prometheus");
        err = new StringWriter();
        assertThat(run(err, "analyze", "--app", "a", "--env", "b", "--source", "prometheus", "--prometheus-url", "p:9090"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("is not an http(s) URL");
        err = new StringWriter();
        assertThat(run(err, "analyze", "--app", "a", "--env", "b", "--source", "graphite")).isEqualTo(2);
        assertThat(err.toString()).contains("graphite");
        err = new StringWriter();
        assertThat(run(err, "report", "--events", "/nonexistent/run.jsonl", "--out", "/tmp/x.html")).isEqualTo(2);
        assertThat(err.toString()).contains("does not exist");
    }
}
