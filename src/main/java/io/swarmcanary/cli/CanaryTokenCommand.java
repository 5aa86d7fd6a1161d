package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.edge.EdgeKey;
import io.swarmcanary.edge.EdgeManager;
import io.swarmcanary.envoy.EnvoyConfigRenderer;
import io.swarmcanary.release.Track;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "canary-token",
        description = {"Print a short-lived token that sends a request to a track's canary whatever the weights, when the",
                "edge forces canaries ('edge ensure --force-canary on'): send it in the header '"
                        + EnvoyConfigRenderer.TOKEN_HEADER + "'. A request",
                "without it, or with a wrong, expired or other track's token, is routed by weight as usual and the header",
                "never reaches the application. Forced requests go to the cluster <release>"
                        + EnvoyConfigRenderer.FORCED_SUFFIX + ", so analysis never counts",
                "them. The token is signed with the cluster's edge key (a Swarm config, readable by Docker API users",
                "only); Envoy holds only its public half. The token goes to stdout only: treat it as a password until it expires."},
        footer = {"", "Examples:",
                "  curl -H \"" + EnvoyConfigRenderer.TOKEN_HEADER + ": $(swarm-canary canary-token --app files --env webdev)\" https://files.example.com/",
                "  swarm-canary canary-token --app files --env webdev --ttl 10m",
                "  # for a script or a pipeline: the token in a file only its owner reads, the JSON without it",
                "  swarm-canary canary-token --app files --env webdev --out \"$TMP/token\" --output json",
                "  swarm-canary canary-token --app files --env webdev --header-out \"$TMP/h\" && curl -H @\"$TMP/h\" https://files.example.com/",
                "  # a token for Prometheus scraping the stats host (Host swarm-canary-stats, GET /stats/prometheus),",
                "  # as its bearer token; renew it before it expires (at most 31 days)",
                "  swarm-canary canary-token --stats --ttl 30d > /etc/prometheus/edge-token"})
public final class CanaryTokenCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;

    @Option(names = "--app", description = "The track's app (with --env).") String app;
    @Option(names = "--env", description = "The track's environment (with --app).") String env;
    @Option(names = "--stats", description = "A token that reads the stats host instead (for Prometheus).") boolean stats;
    @Option(names = "--ttl", defaultValue = "1h", converter = Durations.class, paramLabel = "DURATION",
            description = "How long the token works (default: ${DEFAULT-VALUE}; at most 31 days).") Duration ttl;
    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the token to FILE (created or replaced, readable by its owner only; a missing directory is"
                    + " made, for its owner only) instead of stdout;"
                    + " --output json then says where it is and never carries the token.") Path outFile;
    @Option(names = "--header-out", paramLabel = "FILE",
            description = "Also write the whole header line ('" + EnvoyConfigRenderer.TOKEN_HEADER + ": TOKEN') to FILE, owner-only,"
                    + " for curl -H @FILE: the token then appears in no command line nor shell trace.") Path headerFile;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        if (stats == (app != null || env != null) || (!stats && (app == null || env == null))) {
            throw new UserInputException("give --app and --env (a token forcing that track's canary) or --stats, not both."
                    + " Nothing was changed.");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(EdgeKey.MAX_TTL) > 0) {
            throw new UserInputException("--ttl must be more than 0 and at most " + EdgeKey.MAX_TTL.toDays() + " days, got "
                    + ttl.toSeconds() + "s. Nothing was changed.");
        }
        String audience = stats ? EnvoyConfigRenderer.STATS_AUDIENCE : new Track(app, env).name();
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            var ops = edgeOptions.operations(cluster);
            EdgeKey key = EdgeKey.read(ops.swarm()).orElseThrow(() -> new UserInputException("this cluster has no edge key yet;"
                    + " run 'swarm-canary edge ensure' with this version first. Nothing was changed."));
            Boolean forcing = null;
            if (!stats) {
                forcing = ops.edges().read(edgeOptions.edge).map(e -> e.settings().forcesCanary()).orElse(null);
                if (!Boolean.TRUE.equals(forcing)) {
                    output.progress().info("warning: edge " + edgeOptions.edge + (forcing == null ? " does not exist" : " does not"
                            + " force canaries") + ": this token routes nothing until 'swarm-canary edge ensure --edge "
                            + edgeOptions.edge + " --force-canary on'");
                }
            }
            Instant now = Instant.now();
            String token = key.mint(audience, ttl, now);
            if (outFile != null) {
                writeOwnerOnly(outFile, token);
            }
            if (headerFile != null) {
                writeOwnerOnly(headerFile, EnvoyConfigRenderer.TOKEN_HEADER + ": " + token);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                if (outFile == null && headerFile == null) {
                    json.put("token", token);
                }
                if (outFile != null) {
                    json.put("file", outFile.toAbsolutePath().toString());
                }
                if (headerFile != null) {
                    json.put("headerFile", headerFile.toAbsolutePath().toString());
                }
                json.put("audience", audience);
                json.put("header", EnvoyConfigRenderer.TOKEN_HEADER);
                json.put("expires", now.plus(ttl).toString());
                if (!stats) {
                    json.put("edge", edgeOptions.edge);
                    json.put("edgeForcesCanary", forcing != null && forcing);
                }
                output.printJson(out, json);
            } else if (outFile == null && headerFile == null) {
                out.println(token);
            } else {
                out.println("token for " + audience + " written to " + (outFile != null ? outFile : headerFile)
                        + (outFile != null && headerFile != null ? " and " + headerFile : "") + " (expires " + now.plus(ttl) + ")");
            }
            return 0;
        }
    }

    /** The token never exists with wider permissions, not even for a moment: the file is made 0600 before it is written. */
    private static void writeOwnerOnly(Path file, String content) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) { // a directory of its own for a pipeline's token: only its owner may list it
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path tmp = Files.createTempFile(dir, ".canary-token", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(tmp, content + "\n");
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp); // gone after the move; left only by a failed write or move
            }
        } catch (IOException e) {
            throw new UserInputException("cannot write the token to " + file + ": " + e.getMessage()
                    + ". Give a file in a directory this user can write. Nothing was changed.");
        }
    }
}
