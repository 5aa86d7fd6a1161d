package io.swarmcanary.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the packaged CLI as a user would: a separate process, real argv, real environment. */
public final class Cli {
    private final Map<String, String> env = new HashMap<>();

    public static Cli cli() {
        return new Cli();
    }

    public Cli env(String key, String value) {
        env.put(key, value);
        return this;
    }

    public record Result(int exitCode, String stdout, String stderr) {
        /** Asserts the command succeeded (exit 0, its output in the message otherwise). */
        public Result ok() {
            org.assertj.core.api.Assertions.assertThat(exitCode).as(toString()).isZero();
            return this;
        }

        public String all() {
            return stdout + "\n" + stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    public static Path jar() {
        Path jar = Path.of("target", "swarm-canary.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run 'mvn package' first (mvn verify does)");
        }
        return jar;
    }

    public Result run(String... args) {
        return start(args).await();
    }

    /**
     * {@code deploy} of the test app as {@code version} of the track {@code app}-webdev behind {@code edge} on {@code host}
     * (APP_VERSION set to the version), with more {@code NAME=VALUE} variables for the app (e.g. ERROR_RATE=30).
     */
    public Result deployTestApp(String edge, String app, String host, String version, String... env) {
        List<String> args = new ArrayList<>(List.of("deploy", "--edge", edge, "--app", app, "--env", "webdev", "--version",
                version, "--image", TestSwarm.TESTAPP, "--env", "APP_VERSION=" + version, "--domain", host, "-q"));
        for (String e : env) {
            args.addAll(List.of("--env", e));
        }
        return run(args.toArray(String[]::new));
    }

    /** Starts the CLI and returns at once, for races and for killing it mid-run. */
    public Running start(String... args) {
        List<String> command = new ArrayList<>(List.of("java", "-jar", jar().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.environment().put("CI", "true");
        try {
            Path out = Files.createTempFile("cli", ".out");
            Path err = Files.createTempFile("cli", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            return new Running(pb.start(), command, out, err);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public record Running(Process process, List<String> command, Path out, Path err) {
        /** SIGKILL, like a Jenkins agent dying: no shutdown hooks, no cleanup. @return whether it was still running */
        public boolean kill() {
            boolean alive = process.isAlive();
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return alive;
        }

        public Result await() {
            try {
                if (!process.waitFor(10, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("CLI did not finish: " + command);
                }
                Result r = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
                Files.delete(out);
                Files.delete(err);
                return r;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
