package io.swarmcanary.cli;

import io.swarmcanary.ConflictException;
import io.swarmcanary.UserInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "swarm-canary",
        mixinStandardHelpOptions = true,
        versionProvider = SwarmCanary.Version.class,
        description = {
            "Canary releases for Docker Swarm behind an Envoy edge proxy.",
            "",
            "Every release of a track (one app in one env) runs as its own Swarm service,",
            "e.g. files-webdev-1_0_10; Envoy moves traffic between releases by weight.",
            "All state lives in the cluster: every command can be re-run and converges."},
        footer = {
            "",
            "Examples:",
            "  swarm-canary deploy --app files --env webdev --version 1.0.10 --image files:1.0.10 \\",
            "      --domain files.webdev.example.com --secret db_password=env:DB_PASSWORD",
            "  swarm-canary shift --app files --env webdev --weight 25",
            "  swarm-canary promote --app files --env webdev      # or: rollback",
            "  swarm-canary status --output json",
            "  swarm-canary analyze --app files --env webdev --window 60s --rollback-on-fail",
            "",
            "Exit codes: 0 done, 1 failed, 2 bad input (nothing changed), 3 conflict: someone else changed the",
            "cluster (re-run), or the track already has a canary; analyze: 4 not enough data.",
            "Docker is reached like the docker CLI does: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH."},
        subcommands = {DeployCommand.class, StatusCommand.class, ShiftCommand.class, RouteCommand.class, MirrorCommand.class,
            PromoteCommand.class,
            RollbackCommand.class, AnalyzeCommand.class, ReportCommand.class, PruneCommand.class, EdgeCommand.class,
            NextCommand.class, // read-only: what a pipeline does next (vars/swarmCanaryDeploy)
            EnvoyCommand.class, ControlPlaneCommand.class, CanaryTokenCommand.class, CommandLine.HelpCommand.class})
public final class SwarmCanary {
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_CONFLICT = 3;

    /** The cluster and environment every command of this command line works with. */
    final CommandContext context;

    public SwarmCanary() {
        this(CommandContext.PROCESS);
    }

    SwarmCanary(CommandContext context) {
        this.context = context;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        return commandLine(CommandContext.PROCESS);
    }

    /** The CLI whose commands work on this context's cluster and environment (tests: an in-memory swarm). */
    public static CommandLine commandLine(CommandContext context) {
        CommandLine cli = new CommandLine(new SwarmCanary(context));
        cli.setUsageHelpWidth(110);
        cli.setParameterExceptionHandler((ex, argv) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            if (wantsJson(argv)) { // pipelines parse stdout even when the flags themselves are wrong
                new Output().printError(ex.getCommandLine().getOut(), ex, EXIT_BAD_INPUT);
            }
            err.println("error: " + ex.getMessage());
            err.println("Nothing was changed. See '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            int code = ex instanceof UserInputException ? EXIT_BAD_INPUT
                    : ex instanceof ConflictException ? EXIT_CONFLICT : EXIT_FAILED;
            Object command = commandLine.getCommand();
            if (command instanceof JsonErrors json && json.output().json()) {
                json.output().printError(commandLine.getOut(), ex, code);
            }
            commandLine.getErr().println("error: " + Output.message(ex));
            return code;
        });
        return cli;
    }

    static boolean wantsJson(String[] argv) {
        argv = withArgFiles(argv);
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--output=json") || a.equals("-ojson")
                    || ((a.equals("--output") || a.equals("-o")) && i + 1 < argv.length && argv[i + 1].equals("json"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The arguments with each readable {@code @file} replaced by its tokens (one a line, quoted or whitespace-separated),
     * as picocli reads it: the Jenkins steps pass everything, --output json too, in one such file.
     */
    static String[] withArgFiles(String[] argv) {
        java.util.List<String> all = new java.util.ArrayList<>();
        for (String a : argv) {
            java.nio.file.Path file = a.startsWith("@") && !a.startsWith("@@") ? java.nio.file.Path.of(a.substring(1)) : null;
            if (file == null || !java.nio.file.Files.isReadable(file)) {
                all.add(a);
                continue;
            }
            try {
                for (String line : java.nio.file.Files.readAllLines(file)) {
                    String t = line.strip();
                    if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
                        all.add(t.substring(1, t.length() - 1));
                    } else if (!t.isEmpty() && !t.startsWith("#")) {
                        all.addAll(java.util.List.of(t.split("\\s+")));
                    }
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                all.add(a); // picocli reports the unreadable file itself
            }
        }
        return all.toArray(String[]::new);
    }

    /** Commands whose errors are also written as JSON on stdout when --output json is set. */
    interface JsonErrors {
        Output output();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"swarm-canary " + io.swarmcanary.ProductVersion.current()};
        }
    }
}
