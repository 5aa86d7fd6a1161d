package io.swarmcanary.cli;

import io.swarmcanary.UserInputException;
import io.swarmcanary.envoy.RouteMatch;
import io.swarmcanary.operations.CanaryTrafficOperation;
import io.swarmcanary.operations.Operations;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "route",
        description = {
            "A/B routing: requests that meet ALL the given matches (AND, as Envoy's route match) go to the track's",
            "canary, whatever its weight; every other request is split by the weights as before. A header is matched",
            "exactly (NAME=VALUE), by prefix (NAME^=PREFIX) or by an RE2 regular expression (NAME~REGEX, the whole value",
            "must match); a cookie by its exact value. Needs a deployed canary; a promote or a rollback clears the",
            "matches (after a rollback matched users are on the stable at once). A token from canary-token still",
            "reaches the canary first. Returns once the live Envoy serves it, as shift does."},
        footer = {"", "Examples:",
            "  swarm-canary route --app files --env webdev --match header:x-beta=1",
            "  swarm-canary route --app files --env webdev --match cookie:beta=yes",
            "  swarm-canary route --app files --env webdev --match 'header:x-region~eu-(west|north)-[0-9]+' \\",
            "      --match header:user-agent^=Mozilla/5.0          # both must hold",
            "  swarm-canary route --app files --env webdev --match header:x-employee=true --dry-run",
            "  swarm-canary route --app files --env webdev --clear      # everyone by weight again",
            "", "Exit codes: 0 routed (or already so), 1 the edge did not converge (rolled back), 2 bad input (a bad",
            "header name or regex, no canary; nothing changed), 3 someone else changed the track meanwhile (re-run)."})
public final class RouteCommand extends CanaryTrafficCommand {
    @Option(names = "--match", paramLabel = "MATCH", description = {
            "header:NAME=VALUE, header:NAME^=PREFIX, header:NAME~REGEX or cookie:NAME=VALUE; repeat it to require",
            "several (all must hold). Replaces the track's matches."}) List<String> matches;
    @Option(names = "--clear", description = "Remove the track's matches: everyone is routed by weight.") boolean clear;

    @Override
    CanaryTrafficOperation operation(Operations ops) {
        return ops.route();
    }

    @Override
    CanaryTrafficOperation.Request request() {
        if (clear == (matches != null && !matches.isEmpty())) {
            throw new UserInputException("give --match MATCH (one or more) or --clear. Nothing was changed.");
        }
        // every match is checked before the cluster is read
        List<RouteMatch> parsed = clear ? List.of() : matches.stream().map(RouteMatch::parse).distinct().toList();
        return new CanaryTrafficOperation.Request(trackOptions.track(), parsed, 0);
    }
}
