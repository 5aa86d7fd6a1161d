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

    /** The archive being made, while one command makes it (the first of the test run that reads the cluster). */
    private static final java.util.concurrent.atomic.AtomicReference<Path> TRAINING = new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * The JVM users' commands run on (bin/swarm-canary and the Jenkins runner pass the same options): C1 only and the
     * serial collector, from a class-data-sharing archive of this jar that the first command changing the edge makes,
     * as bin/swarm-canary does (same file, same options, so either may make it for the other). The JVM's own messages go
     * to stderr, never into stdout's JSON; a stale archive is skipped silently (the JVM checks it against the jar).
     *
     * @param archive set to where this command writes a new archive (moved in when it ends), or left null
     */
    static List<String> jvm(Path jar, List<String> args, Path[] archive) {
        List<String> jvm = new ArrayList<>(List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xlog:disable"));
        Path jsa = Path.of(jar + ".jsa");
        try {
            if (Files.isRegularFile(jsa) && !Files.getLastModifiedTime(jar).toInstant().isAfter(Files.getLastModifiedTime(jsa).toInstant())) {
                jvm.addAll(List.of("-XX:SharedArchiveFile=" + jsa, "-Xlog:all=warning,cds=off,cds+dynamic=off:stderr"));
                return jvm;
            }
        } catch (IOException e) {
            // no archive then
        }
        // as bin/swarm-canary: a command that changes the edge loads the planner and Envoy's types (status does not);
        // only help is excluded: deploy's --version names the release (the CLI's own --version comes first, not a command)
        boolean trains = !args.isEmpty() && List.of("deploy", "shift", "promote", "rollback", "route", "mirror", "edge").contains(args.get(0))
                && args.stream().noneMatch(a -> List.of("-h", "--help", "help").contains(a));
        Path tmp = Path.of(jsa + "." + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".tmp");
        if (trains && Files.isWritable(jar.getParent()) && TRAINING.compareAndSet(null, tmp)) {
            archive[0] = tmp;
            jvm.addAll(List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:all=warning,cds=off,cds+dynamic=off:stderr"));
        } else {
            jvm.add("-Xlog:all=warning:stderr");
        }
        return jvm;
    }

    /** Moves a finished command's archive in whole (a concurrent command never reads half of one), or drops it. */
    static void archived(Path tmp, boolean finished) {
        if (tmp == null) {
            return;
        }
        try {
            if (finished && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
                Files.move(tmp, Path.of(jar() + ".jsa"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            // the next command makes one
        } finally {
            TRAINING.compareAndSet(tmp, null);
        }
    }

    /** Starts the CLI and returns at once, for races and for killing it mid-run. */
    public Running start(String... args) {
        Path[] archive = {null};
        List<String> command = jvm(jar(), List.of(args), archive);
        command.addAll(List.of("-jar", jar().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.environment().put("CI", "true");
        try {
            Path out = Files.createTempFile("cli", ".out");
            Path err = Files.createTempFile("cli", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            return new Running(pb.start(), command, out, err, archive[0]);
        } catch (IOException e) {
            archived(archive[0], false);
            throw new IllegalStateException(e);
        }
    }

    /** @param archive the class-data-sharing archive this command makes at exit, or null */
    public record Running(Process process, List<String> command, Path out, Path err, Path archive) {
        /** SIGKILL, like a Jenkins agent dying: no shutdown hooks, no cleanup. @return whether it was still running */
        public boolean kill() {
            boolean alive = process.isAlive();
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            archived(archive, !alive && process.exitValue() == 0); // one that had finished made its archive
            return alive;
        }

        public Result await() {
            try {
                if (!process.waitFor(10, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    archived(archive, false);
                    throw new IllegalStateException("CLI did not finish: " + command);
                }
                archived(archive, process.exitValue() == 0); // a refused command loads few of the classes
                Result r = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
                Files.delete(out);
                Files.delete(err);
                return r;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                archived(archive, false);
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
