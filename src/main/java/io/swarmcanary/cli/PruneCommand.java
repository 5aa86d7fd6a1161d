package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.prune.ClusterState;
import io.swarmcanary.prune.NodeCleanup;
import io.swarmcanary.prune.PruneExecutor;
import io.swarmcanary.prune.PrunePlan;
import io.swarmcanary.prune.PrunePlanner;
import io.swarmcanary.prune.PrunePolicy;
import io.swarmcanary.release.Labels;
import io.swarmcanary.release.Progress;
import io.swarmcanary.release.Track;
import io.swarmcanary.swarm.SwarmGateway;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune",
        description = {"Removes what no release needs any more: old releases, unused secrets and configs, and with --images",
                "the images of the removed releases on every node. It plans first and prints the plan (what, why, size);",
                "--dry-run stops there. The way back is never removed:",
                "  releases, per track: every release with traffic, the stable, the canary (also one still deploying),",
                "    the rollback target a promote kept, and the --keep newest others stay; a track that no edge routes",
                "    keeps at least its newest release. Releases a rollback retired go.",
                "  secrets and configs made by swarm-canary: removed when no service mounts them in its spec or in the",
                "    previous spec Docker keeps for 'docker service rollback' (Docker's own check ignores that one), no",
                "    edge names them (its Envoy config and template, now or before its last update), and they are older",
                "    than --older-than (a deploy creates its secrets just before its service).",
                "  --images: one Swarm global-job on every node, with the docker CLI image --prune-image and the node's",
                "    Docker socket, removes the images of the releases this run removed (by name, never forced: an image a",
                "    container still uses stays), stopped containers of swarm-canary releases older than --older-than,",
                "    and, only with --image-label, unused images carrying that label older than --older-than. It never",
                "    prunes a node machine-wide.",
                "Right before each removal the cluster is read again: an object that became referenced meanwhile is",
                "skipped and reported, not forced."},
        footer = {"", "Examples:",
                "  swarm-canary prune --dry-run                       # the plan, nothing changed",
                "  swarm-canary prune --keep 2 --older-than 24h       # the defaults, applied",
                "  swarm-canary prune --app files --env webdev --keep 0 --output json",
                "  swarm-canary prune --env webdev --keep 0 --older-than 2h   # test environments harder than prod",
                "  swarm-canary prune --images --prune-image docker:27-cli --image-label com.example.team=files",
                "",
                "--prune-image must hold a docker CLI that can talk to the nodes' engines (API 1.41 or later), e.g. Docker's",
                "official docker:27-cli, or your registry's mirror of it; the default is the image the test bed builds.",
                "Exit codes: 0 done (skips are not failures), 1 something could not be removed or a node failed,",
                "2 bad input (nothing removed)."})
public final class PruneCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;

    @Option(names = "--keep", defaultValue = "2", paramLabel = "N",
            description = "Per track, releases to keep besides those with traffic, the stable, the canary and the rollback target (default: ${DEFAULT-VALUE}).")
    int keep;

    @Option(names = "--older-than", defaultValue = "24h", converter = Durations.class, paramLabel = "DURATION",
            description = "Grace period: secrets, configs, stopped containers and labelled images younger than this stay (default: ${DEFAULT-VALUE}).")
    Duration olderThan;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.") boolean dryRun;

    @Option(names = "--app", description = "Only this app's tracks (with --env: one track).") String app;
    @Option(names = "--env", description = "Only this environment's tracks, e.g. prune webdev harder than prod.") String env;

    @Option(names = "--edge", paramLabel = "NAME",
            description = "Only the tracks routed by this edge, and its Envoy configs (default: every edge and track; each"
                    + " release is always judged by the route table of the edge that routes it).")
    String edge;

    @Option(names = "--images", description = "Also clean every node (a global job): see above.") boolean images;

    @Option(names = "--image-label", paramLabel = "KEY[=VALUE]",
            description = "With --images: also remove unused images carrying this label, older than --older-than.")
    String imageLabel;

    @Option(names = "--prune-image", defaultValue = "docker.io/library/docker:27-cli", paramLabel = "IMAGE",
            description = "Image with the docker CLI for the node job (default: ${DEFAULT-VALUE}, the Docker project's own);"
                    + " it gets each node's docker.sock, so it is pinned to its digest when a registry knows it.")
    String pruneImage;

    @Option(names = "--no-image-check", description = "Do not require --prune-image on this node (nodes pull it from a registry).")
    boolean noImageCheck;

    @Option(names = "--job-timeout", defaultValue = "5m", converter = Durations.class, paramLabel = "DURATION",
            description = "How long the node job may take (default: ${DEFAULT-VALUE}).")
    Duration jobTimeout;

    @Option(names = {"-v", "--verbose"}, description = "List every object kept and why, and the Docker API calls made.")
    boolean verbose;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        // everything the user typed is checked before the cluster is touched
        try {
            new Track(app == null ? "any" : app, env == null ? "any" : env); // the same name rules as deploy
        } catch (UserInputException e) {
            throw new UserInputException(e.getMessage() + ". Nothing was removed.");
        }
        PrunePolicy policy = new PrunePolicy(keep, olderThan, app, env, edge, images, imageLabel);
        if (images && (pruneImage == null || pruneImage.isBlank())) {
            throw new UserInputException("--prune-image is empty; name an image holding the docker CLI, e.g. docker:27-cli. Nothing was removed.");
        }
        Clock clock = Clock.systemUTC();
        Progress progress = output.progress();
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            SwarmGateway swarm = cluster.swarm();
            long t0 = System.nanoTime();
            ClusterState state = ClusterState.read(swarm, clock.instant());
            requireKnown(policy, state);
            // the job's nodes pull with this run's login: a wrong one is exit 2 naming the registry; the digest
            // pins what gets docker.sock on every node to the bytes checked now
            if (images) {
                io.swarmcanary.release.ImageResolver.unqualifiedWarning(pruneImage, "--prune-image").ifPresent(progress::info);
            }
            String jobImage = !images ? pruneImage : io.swarmcanary.release.ImageResolver.resolve(swarm, pruneImage,
                    !noImageCheck, true, "--prune-image", "Nothing was removed.", progress).reference();
            PrunePlanner planner = new PrunePlanner();
            PrunePlan plan = planner.plan(state, policy);
            long planCalls = cluster.apiCalls();
            double planSeconds = (System.nanoTime() - t0) / 1e9;
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("dryRun", dryRun);
            json.put("policy", policyJson(policy));
            json.put("plan", planJson(plan));
            if (!output.json()) {
                printPlan(out, plan);
            }
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("services", state.services().size());
            stats.put("secrets", state.secrets().size());
            stats.put("configs", state.configs().size());
            stats.put("planSeconds", round(planSeconds));
            stats.put("planApiCalls", planCalls);
            if (dryRun) {
                json.put("stats", stats);
                if (output.json()) {
                    output.printJson(out, json);
                } else {
                    out.println("dry run: nothing was changed.");
                    printStats(out, stats);
                }
                return 0;
            }
            long t1 = System.nanoTime();
            NodeCleanup cleanup = new NodeCleanup(swarm, clock);
            PruneExecutor.Result result = new PruneExecutor(swarm, planner, clock).apply(plan, state,
                    Optional.of((imgs, tracks, removed, p, pr) -> cleanup.run(jobImage, imgs, tracks, removed, p, jobTimeout, pr)),
                    progress);
            stats.put("applySeconds", round((System.nanoTime() - t1) / 1e9));
            stats.put("applyApiCalls", cluster.apiCalls() - planCalls);
            json.put("result", resultJson(result));
            json.put("stats", stats);
            boolean failed = !result.failed().isEmpty()
                    || result.nodes().stream().anyMatch(n -> !n.finished() || !n.errors().isEmpty());
            if (output.json()) {
                output.printJson(out, json);
            } else {
                printResult(out, result);
                printStats(out, stats);
            }
            return failed ? SwarmCanary.EXIT_FAILED : 0;
        }
    }

    /** A track or edge the user named must exist: a typo must not look like "nothing to prune". */
    private static void requireKnown(PrunePolicy policy, ClusterState state) {
        if (policy.edge() != null && state.edges().stream().noneMatch(e -> e.name().equals(policy.edge()))) {
            throw new UserInputException("edge '" + policy.edge() + "' does not exist (edges: "
                    + state.edges().stream().map(e -> e.name()).sorted().toList() + "). Nothing was removed.");
        }
        if (policy.narrowedToTracks()) {
            boolean known = java.util.stream.Stream.concat(state.releases().stream().map(r -> r.labels()),
                            state.secrets().stream().map(x -> x.labels()))
                    .anyMatch(l -> l.get(Labels.TRACK) != null && policy.covers(l.get(Labels.APP), l.get(Labels.ENV)));
            if (!known) {
                throw new UserInputException(policy.describeScope() + " has no releases and no secrets: check --app and --env"
                        + " ('swarm-canary status' lists the tracks). Nothing was removed.");
            }
        }
    }

    private void printPlan(PrintWriter out, PrunePlan plan) {
        PrunePolicy p = plan.policy();
        out.println("prune plan (--keep " + p.keep() + ", --older-than " + format(p.olderThan())
                + (p.describeScope() == null ? "" : ", " + p.describeScope()) + (p.edge() == null ? "" : ", edge " + p.edge())
                + "): " + plan.remove().size() + " to remove" + (plan.bytes() > 0 ? " (" + human(plan.bytes()) + " of configs)" : "")
                + ", " + plan.keep().size() + " kept");
        String row = "  %-7s %-15s %-45s %-9s %s%n";
        out.printf(row, "ACTION", "KIND", "NAME", "SIZE", "WHY");
        plan.remove().forEach(i -> out.printf(row, "remove", i.kind(), i.name(), size(i), i.reason()));
        long hidden = 0;
        for (PrunePlan.Item i : plan.keep()) {
            if (verbose || i.kind().equals(PrunePlan.RELEASE)) {
                out.printf(row, "keep", i.kind(), i.name(), size(i), i.reason());
            } else {
                hidden++;
            }
        }
        if (hidden > 0) {
            out.println("  and " + hidden + " secrets/configs kept (mounted, named by an edge, or younger than --older-than); --verbose lists them");
        }
        if (p.images()) {
            out.println("  on every node: " + (plan.images().isEmpty() ? "no release images to remove"
                    : "remove images " + String.join(", ", plan.images())) + "; stopped release containers older than "
                    + format(p.olderThan()) + (p.imageLabel() == null ? "" : "; unused images labelled " + p.imageLabel()
                    + " older than " + format(p.olderThan())) + " (image " + pruneImage + ")");
        }
    }

    private static void printResult(PrintWriter out, PruneExecutor.Result r) {
        out.println("removed " + r.removed().size() + ", skipped " + r.skipped().size() + ", failed " + r.failed().size()
                + "; reclaimed " + human(r.reclaimedBytes()));
        r.removed().forEach(i -> out.println("  removed " + i.kind() + " " + i.name()));
        r.skipped().forEach(s -> out.println("  skipped " + s.item().kind() + " " + s.item().name() + ": " + s.reason()));
        r.failed().forEach(f -> out.println("  FAILED " + f.item().kind() + " " + f.item().name() + ": " + f.error()));
        for (NodeCleanup.NodeReport n : r.nodes()) {
            out.println("  node " + n.node() + ": " + n.removedImages().size() + " images removed, " + n.containersRemoved()
                    + " stopped containers, " + n.labelledImagesRemoved() + " labelled images, reclaimed " + human(n.reclaimedBytes())
                    + (n.finished() ? "" : " (did not finish)"));
            n.keptImages().forEach(k -> out.println("    image kept: " + k));
            n.errors().forEach(e -> out.println("    error: " + e));
        }
    }

    private void printStats(PrintWriter out, Map<String, Object> stats) {
        if (verbose) {
            out.println("stats: " + stats);
        }
    }

    private Map<String, Object> policyJson(PrunePolicy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keep", p.keep());
        m.put("olderThan", format(p.olderThan()));
        m.put("app", p.app());
        m.put("env", p.env());
        m.put("edge", p.edge());
        m.put("images", p.images());
        m.put("imageLabel", p.imageLabel());
        m.put("pruneImage", p.images() ? pruneImage : null);
        return m;
    }

    private static Map<String, Object> planJson(PrunePlan plan) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("remove", plan.remove());
        m.put("keep", plan.keep());
        m.put("images", plan.images());
        m.put("containerTracks", plan.containerTracks());
        m.put("bytes", plan.bytes());
        return m;
    }

    private static Map<String, Object> resultJson(PruneExecutor.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("removed", r.removed());
        m.put("skipped", r.skipped().stream().map(s -> Map.of("kind", s.item().kind(), "name", s.item().name(), "reason", s.reason())).toList());
        m.put("failed", r.failed().stream().map(f -> Map.of("kind", f.item().kind(), "name", f.item().name(), "error", f.error())).toList());
        m.put("nodes", r.nodes());
        m.put("reclaimedBytes", r.reclaimedBytes());
        return m;
    }

    private static String size(PrunePlan.Item i) {
        return i.bytes() == null ? "-" : human(i.bytes());
    }

    static String human(long bytes) {
        if (bytes < 1000) return bytes + " B";
        if (bytes < 1_000_000) return String.format("%.1f kB", bytes / 1e3);
        if (bytes < 1_000_000_000) return String.format("%.1f MB", bytes / 1e6);
        return String.format("%.2f GB", bytes / 1e9);
    }

    /** 24h, 90m, 0s: as the user would type it back. */
    static String format(Duration d) {
        long s = d.toSeconds();
        if (s > 0 && s % 86400 == 0) return s / 86400 + "d";
        if (s > 0 && s % 3600 == 0) return s / 3600 + "h";
        if (s > 0 && s % 60 == 0) return s / 60 + "m";
        return s + "s";
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
