package io.swarmcanary.cli;

import io.swarmcanary.compose.ComposeDeploy;
import io.swarmcanary.operations.DeployPlan;
import io.swarmcanary.operations.DeployReport;
import io.swarmcanary.operations.Operations;
import io.swarmcanary.release.Deployer;
import io.swarmcanary.release.ReleaseRequest;
import io.swarmcanary.release.SecretSource;
import io.swarmcanary.release.Track;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "deploy",
        description = {
            "Create one release of a track as its own Swarm service <app>-<env>-<version, dots as _>,",
            "with its secrets under content-addressed names mounted at /run/secrets/<name>,",
            "and wait until every task is running and healthy.",
            "",
            "Running the same deploy again changes nothing. If tasks fail, the error says why and",
            "only what this run created is removed.",
            "",
            "Behind an edge (see 'edge ensure'), the first release of a track takes 100%% of its traffic; a later",
            "one becomes the track's canary at weight 0 (reachable only with a 'canary-token' when the edge has",
            "--force-canary on) until you 'shift', 'promote' or 'rollback'. A track holds one canary: deploying another fails (exit 3) unless",
            "--replace-canary."},
        footer = {
            "",
            "Examples:",
            "  # first release of files in webdev, reachable through Envoy at files.webdev.example.com",
            "  swarm-canary deploy --app files --env webdev --version 1.0.10 --image registry/files:1.0.10 \\",
            "      --replicas 2 --port 8080 --domain files.webdev.example.com --network webdev_public",
            "",
            "  # secrets come from the environment or a file, never from the command line",
            "  export DB_PASSWORD=...   # in Jenkins: withCredentials([string(credentialsId: ..., variable: 'DB_PASSWORD')])",
            "  swarm-canary deploy ... --secret db_password=env:DB_PASSWORD --secret tls.key=file:/run/keys/tls.key",
            "",
            "  # a second version becomes the canary at 0%%; then move traffic",
            "  swarm-canary deploy --app files --env webdev --version 1.0.11 --image registry/files:1.0.11 \\",
            "      --replicas 2 --port 8080 --domain files.webdev.example.com",
            "  swarm-canary shift --app files --env webdev --weight 25",
            "",
            "  # what a deploy would create and route, without changing anything",
            "  swarm-canary deploy ... --dry-run --output json",
            "",
            "Compose files:",
            "  # the release as the team's stack file describes the service 'files' (image, command, env, env_file,",
            "  # secrets and configs with their targets, networks, healthcheck, deploy: replicas/resources/placement/",
            "  # labels/update_config/restart_policy, the container port from ports:); $${VAR:-default} works as in docker",
            "  swarm-canary deploy --compose docker-compose.yml --service files --app files --env webdev --version 1.0.10",
            "  # flags override the file: --image/--replicas/--port/--health-cmd replace its value; --env KEY=VALUE and",
            "  # --secret NAME=... replace the same key; --network and --constraint add to the file's.",
            "  # What the file says that a release cannot honour (build:, depends_on, volumes, ...) is listed as a warning.",
            "",
            "Exit codes: 0 deployed (or already there), 1 tasks failed (what this run created was removed),",
            "2 bad input (nothing created), 3 the track already has a canary, or the edge changed meanwhile."})
public final class DeployCommand implements Callable<Integer>, SwarmCanary.JsonErrors {
    @Spec CommandSpec spec;
    @Mixin Output output;
    @Mixin HelpOption help;
    @Mixin EdgeOptions edgeOptions;
    @Mixin DryRunOption dryRun;

    @Option(names = "--app", required = true, description = "Application name, e.g. files.") String app;
    // The contract uses --env both for the environment (--env webdev) and container variables (--env KEY=VALUE):
    // a value with '=' is a variable, the one without is the environment.
    @Option(names = "--env", required = true, paramLabel = "ENV|KEY=VALUE",
            description = {"The environment, e.g. webdev, webstaging, prod (given once);",
                    "or, with '=', an environment variable for the containers (repeatable, not for secrets)."})
    List<String> envOrVars = new ArrayList<>();
    @Option(names = "--version", required = true, description = "Release version, e.g. 1.0.10 (dots become _ in the service name).") String version;
    @Option(names = "--image", description = {"Image to run, pinned to its registry digest (name:tag@sha256:...) when its registry has it; the nodes",
            "pull it with your login for that registry (DOCKER_CONFIG or ~/.docker/config.json, or SWARM_CANARY_REGISTRY",
            "with SWARM_CANARY_REGISTRY_USER/_PASSWORD). Otherwise it must exist on the node unless --no-image-check.",
            "Required unless --compose gives one."}) String image;
    @Option(names = "--compose", paramLabel = "FILE", description = {"Take the release's definition from this stack (compose v3) file;",
            "flags given as well override it (see 'Compose files' below)."}) java.nio.file.Path compose;
    @Option(names = "--service", paramLabel = "NAME", description = "With --compose: the service to deploy (default: the one named like --app, or the file's only service).") String composeService;
    @Option(names = "--stack", paramLabel = "NAME", description = "With --compose: use <NAME>_<net> for the file's non-external networks (those of a deployed stack).") String stack;
    @Option(names = "--replicas", defaultValue = "1", description = "Number of tasks (default: ${DEFAULT-VALUE}).") int replicas;
    @Option(names = "--port", defaultValue = "80", description = "Container port Envoy sends traffic to (default: ${DEFAULT-VALUE}).") int port;
    @Option(names = "--domain", paramLabel = "HOST[:PORT]", description = "Domain routed to this track by Envoy; repeatable.") List<String> domains = new ArrayList<>();
    @Option(names = "--network", paramLabel = "NET", description = "Swarm-scoped network to attach; repeatable. The default route is reported.") List<String> networks = new ArrayList<>();
    @Option(names = "--secret", paramLabel = "NAME=env:VAR|NAME=file:PATH", description = "Secret mounted at /run/secrets/NAME; repeatable.") List<String> secrets = new ArrayList<>();
    @Option(names = {"-e", "--env-var"}, paramLabel = "KEY=VALUE", description = "Environment variable for the containers; repeatable (not for secrets).") List<String> envVars = new ArrayList<>();
    @Option(names = "--health-cmd", paramLabel = "CMD", description = "Health check run in the container by a shell (overrides the image's HEALTHCHECK).") String healthCmd;
    @Option(names = "--health-start-period", converter = Durations.class, paramLabel = "DURATION",
            description = "With --health-cmd: time to start before failed checks count; a passing check ends it early"
                    + " (default: 60s).") Duration healthStartPeriod;
    @Option(names = "--constraint", paramLabel = "EXPR", description = "Placement constraint, e.g. node.role==worker; repeatable.") List<String> constraints = new ArrayList<>();
    @Option(names = "--timeout", defaultValue = "5m", converter = Durations.class, description = "How long to wait for healthy tasks (default: ${DEFAULT-VALUE}).") Duration timeout;
    @Option(names = "--replace-canary", negatable = false,
            description = "If the track already has a canary, roll it back (remove it) and make this release the canary instead.")
    boolean replaceCanary;
    @Option(names = "--no-image-check", negatable = false, description = "Do not require the image in a registry or on this node: unresolved, it runs by its tag (a wrong registry login is still exit 2).") boolean noImageCheck;

    @Override
    public Output output() {
        return output;
    }

    @Override
    public Integer call() {
        List<String> envNames = envOrVars.stream().filter(v -> !v.contains("=")).toList();
        if (envNames.size() != 1) {
            throw new io.swarmcanary.UserInputException(envNames.isEmpty()
                    ? "--env ENV is required (e.g. --env webdev); --env KEY=VALUE only sets container variables"
                    : "--env names the environment more than once: " + String.join(", ", envNames));
        }
        List<String> vars = new ArrayList<>(envOrVars.stream().filter(v -> v.contains("=")).toList());
        vars.addAll(envVars);
        List<SecretSource> secretSources = secrets.stream().map(SecretSource::parse).toList();
        ReleaseRequest request;
        List<String> composeWarnings = List.of();
        if (compose == null) {
            if (composeService != null || stack != null) {
                throw new io.swarmcanary.UserInputException("--service and --stack need --compose FILE. Nothing was changed.");
            }
            request = new ReleaseRequest(new Track(app, envNames.get(0)), version, image, replicas, port, domains, networks,
                    secretSources, vars, healthCmd, healthStartPeriod, constraints, timeout, !noImageCheck, edgeOptions.edge);
        } else {
            ComposeDeploy fromFile = ComposeDeploy.of(compose, composeService, app, stack, CommandContext.of(spec).environment());
            var parsed = spec.commandLine().getParseResult();
            request = fromFile.request(new Track(app, envNames.get(0)), version, image,
                    parsed.hasMatchedOption("--replicas") ? replicas : null, parsed.hasMatchedOption("--port") ? port : null,
                    domains, networks, secretSources, vars, healthCmd, healthStartPeriod, constraints, timeout,
                    !noImageCheck, edgeOptions.edge);
            composeWarnings = fromFile.release().warnings();
        }
        for (String w : composeWarnings) {
            output.progress().info("warning: " + w);
        }
        try (Cluster cluster = CommandContext.of(spec).connect()) {
            Operations ops = edgeOptions.operations(cluster);
            Deployer deployer = new Deployer(ops.swarm(), Clock.systemUTC(), CommandContext.of(spec).environment());
            PrintWriter out = spec.commandLine().getOut();
            if (dryRun.dryRun) {
                DeployPlan plan = ops.deploy().plan(request, deployer, replaceCanary, composeWarnings, output.progress());
                output.print(out, plan, plan.text());
                return 0;
            }
            DeployReport report = ops.deploy().apply(request, deployer, replaceCanary, composeWarnings, output.progress());
            output.print(out, report, report.text());
            return 0;
        }
    }
}
